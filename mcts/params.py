"""Search parameters (one flat frozen dataclass, one line of doc per field); imports nothing of ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class SearchParams:
    """PUCT search settings; paper names: c_init/c_base from AlphaZero (Silver et al. 2018), FPU from Leela Zero, alpha scaling from KataGo."""

    simulations: int = field(
        default=800, metadata={"doc": "root visits to reach per move (reused visits count); also sizes the tree"}
    )
    leaves_per_step: int = field(
        default=8, metadata={"doc": "leaves selected per tree per step with virtual loss (1 = plain sequential PUCT)"}
    )
    c_init: float = field(
        default=1.25, metadata={"doc": "PUCT exploration constant c_init (AlphaZero pseudocode: 1.25)"}
    )
    c_base: float = field(
        default=19652.0,
        metadata={"doc": "PUCT c_base: c(s) = log((1 + N(s) + c_base) / c_base) + c_init (AlphaZero: 19652)"},
    )
    fpu_reduction: float = field(
        default=0.25, metadata={"doc": "unvisited child value = parent Q - fpu_reduction * sqrt(visited prior mass)"}
    )
    fpu_root_reduction: float = field(
        default=0.0, metadata={"doc": "the same reduction at the root (smaller: the root's noise should get explored)"}
    )
    virtual_loss: float = field(
        default=1.0, metadata={"doc": "visits of value -1 added per selection in flight through an edge"}
    )
    dirichlet_epsilon: float = field(
        default=0.25,
        metadata={"doc": "weight of Dirichlet noise in the root priors when noise is on (AlphaGo Zero: 0.25)"},
    )
    dirichlet_alpha_scale: float = field(
        default=10.83, metadata={"doc": "alpha = scale / legal moves at the root (KataGo 10.83; 0.03 on 19x19)"}
    )
    dirichlet_alpha: float = field(
        default=0.0, metadata={"doc": "fixed Dirichlet alpha; 0 = use dirichlet_alpha_scale / legal moves"}
    )
    root: Literal["puct", "gumbel"] = field(
        default="puct",
        metadata={
            "doc": "root action choice: puct (AlphaZero) or gumbel (Danihelka et al. 2022: Gumbel-top-m, sequential halving, improved policy target; for 4-32 simulations)"
        },
    )
    gumbel_considered: int = field(
        default=16,
        metadata={"doc": "gumbel root: m, the actions sampled without replacement by Gumbel-top-m (paper: 16)"},
    )
    gumbel_c_visit: float = field(
        default=50.0,
        metadata={"doc": "gumbel root: c_visit of sigma(q) = (c_visit + max N) * c_scale * q (paper and mctx: 50)"},
    )
    gumbel_c_scale: float = field(
        default=0.1,
        metadata={"doc": "gumbel root: c_scale of sigma, on Q rescaled to [0, 1] (mctx's value_scale: 0.1)"},
    )
    forced_playouts_k: float = field(
        default=0.0,
        metadata={
            "doc": "KataGo's forced playouts at noised PUCT roots (self-play): a child with fewer visits than the whole playouts it is owed, floor(sqrt(k * P * total visits)), is searched first, and the policy target prunes those visits again (KataGo: 2; 0 = off)"
        },
    )
    reuse_tree: bool = field(
        default=False,
        metadata={"doc": "keep the subtree of the played move for the next search (noise re-applied at the new root)"},
    )

    def validate(self) -> None:
        if self.simulations < 1:
            raise ValueError(f"simulations must be >= 1, got {self.simulations}")
        if self.leaves_per_step < 1:
            raise ValueError(f"leaves_per_step must be >= 1, got {self.leaves_per_step}")
        if self.c_init < 0:
            raise ValueError(f"c_init must be >= 0, got {self.c_init}")
        if self.c_base <= 0:
            raise ValueError(f"c_base must be > 0, got {self.c_base}")
        if self.virtual_loss < 0:
            raise ValueError(f"virtual_loss must be >= 0, got {self.virtual_loss}")
        if not 0.0 <= self.dirichlet_epsilon <= 1.0:
            raise ValueError(f"dirichlet_epsilon must be in [0, 1], got {self.dirichlet_epsilon}")
        if self.dirichlet_alpha_scale <= 0:
            raise ValueError(f"dirichlet_alpha_scale must be > 0, got {self.dirichlet_alpha_scale}")
        if self.root not in ("puct", "gumbel"):
            raise ValueError(f"root must be puct or gumbel, got {self.root!r}")
        if self.gumbel_considered < 1:
            raise ValueError(f"gumbel_considered must be >= 1, got {self.gumbel_considered}")
        if self.gumbel_c_visit < 0 or self.gumbel_c_scale < 0:
            raise ValueError("gumbel_c_visit must be >= 0 (and gumbel_c_scale too)")
        if self.root == "gumbel" and self.reuse_tree:
            raise ValueError(
                "reuse_tree must be false with root = gumbel (each move's sequential halving starts from a fresh root)"
            )
        if self.forced_playouts_k < 0:
            raise ValueError(f"forced_playouts_k must be >= 0 (0 = off), got {self.forced_playouts_k}")
        if self.dirichlet_alpha < 0:
            raise ValueError(f"dirichlet_alpha must be >= 0 (0 = scaled), got {self.dirichlet_alpha}")
