"""What a match is and what one game of it gave: MatchSettings and MatchGame (plain dataclasses; imports nothing of ours)."""

from __future__ import annotations

from dataclasses import dataclass, field


def referee_move_cap(max_moves: int, size: int, superko: str) -> int:
    """The cap a referee plays under (0 = none): ``max_moves`` when given (>= 0), else 4 N^2 moves under simple
    ko, none under positional superko. Simple ko allows cycles (a triple ko repeats for ever), so one game could
    hang a match; 4 N^2 is far past any real game, and a capped game is scored by area like any other."""
    if max_moves >= 0:
        return max_moves
    return 4 * size * size if superko == "simple" else 0


@dataclass
class MatchGame:
    """One refereed game: who played which colour, how it ended, the scores everyone reported."""

    index: int
    black: str  # engine label ("A" or "B")
    white: str
    winner: str | None = None  # "A", "B" or None (draw / unfinished)
    result: str = ""  # SGF RE: B+R, W+3.5, 0, B+F (forfeit after an illegal move) ...
    reason: str = ""  # two passes | resignation | move cap | illegal move | engine error
    moves: int = 0
    our_score: float | None = None  # black - white - komi after dead stones removed
    engine_scores: dict[str, str] = field(default_factory=dict)  # label -> its final_score reply
    disagreements: list[str] = field(default_factory=list)  # labels whose final_score disagrees with ours
    # labels whose final_score differs from ours only by the empty points inside a seki that one colour surrounds
    # (Tromp-Taylor counts them for that colour, Chinese counting for nobody): not a disagreement
    seki_eye_differences: list[str] = field(default_factory=list)
    dead_disagreement: bool = False  # the engines' final_status_list dead differed
    illegal: str = ""  # "A played D4 (occupied)" etc.
    sgf_path: str = ""
    finished: int = -1  # the order in which the match's games ended (0 = the first); -1 = not recorded


@dataclass(frozen=True)
class Sprt:
    """A match that stops once a sequential probability ratio test decides between H0 (A is ``elo0`` Elo stronger
    than B) and H1 (``elo1`` stronger): ``alpha`` is the chance of accepting H1 when H0 holds, ``beta`` of accepting
    H0 when H1 holds (Leela Zero gated its networks on 0 against 35 at 0.05 and 0.05)."""

    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        if not -2000 <= self.elo0 < self.elo1 <= 2000:  # at 2000 the weaker side wins one game in 100,000
            raise ValueError(
                f"the SPRT's elo0 must be below its elo1, both within -2000..2000, got {self.elo0:g} and {self.elo1:g}"
            )
        if not (0 < self.alpha < 1 and 0 < self.beta < 1 and self.alpha + self.beta < 1):
            raise ValueError(
                f"the SPRT's alpha and beta must lie in (0, 1) with a sum below 1, got {self.alpha:g} and {self.beta:g}"
            )


@dataclass(frozen=True)
class MatchSettings:
    """One match: engines, board, how many games and where the records go."""

    engine_a: str
    engine_b: str
    games: int = 2
    size: int = 9
    komi: float = 7.5
    parallel: int = 1
    max_moves: int = -1  # the referee's move cap; -1 = referee_move_cap's default, 0 = none
    sgf_dir: str = ""
    name_a: str = "A"
    name_b: str = "B"
    timeout: float = 600.0  # seconds any single GTP command may take
    superko: str = "positional"  # the referee's ko rule; "simple" for engines such as GNU Go that play only simple ko
    threads: int = 0  # CPU threads of each engine; 0 = this process's cores split over the games played at once
    a_color: str = "alternate"  # A's colour: "alternate" (Black in even games), "black" or "white" in every game
    engine_log_dir: str = (
        ""  # each engine's stderr appended to <dir>/<A|B>-slot<k>.log; "" = only its last lines kept for errors
    )
    sprt: Sprt | None = None  # stop starting games once this test decides; ``games`` is then the most it plays
