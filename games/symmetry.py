"""The 8 dihedral symmetries of a square board, applied to feature planes and policy vectors (pass stays pass).

Symmetry ``k`` in ``0..7``: first transpose the board if ``k >= 4``, then rotate it
``k % 4`` quarter turns counter-clockwise (``np.rot90`` on the last two axes).
Planes are ``[..., H, W]`` with ``H == W``; a policy vector is ``[..., H*W]`` or
``[..., H*W + 1]`` where the last entry is pass and is left in place.
Point index convention: ``index = y * W + x`` (row-major, ``y`` from the top).
"""

from __future__ import annotations

import numpy as np

NUM_SYMMETRIES = 8
IDENTITY = 0


def transform_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two (spatial) axes of ``planes``; returns a contiguous copy."""
    _check(k)
    out = np.swapaxes(planes, -1, -2) if k >= 4 else planes
    return np.ascontiguousarray(np.rot90(out, k % 4, axes=(-2, -1)))


def inverse_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Undo symmetry ``k`` on the last two axes: ``inverse_planes(transform_planes(x, k), k) == x``."""
    _check(k)
    out = np.rot90(planes, -(k % 4), axes=(-2, -1))
    if k >= 4:
        out = np.swapaxes(out, -1, -2)
    return np.ascontiguousarray(out)


def inverse(k: int) -> int:
    """The symmetry that undoes ``k`` (rotations by 1 and 3 swap; the rest are their own inverses)."""
    _check(k)
    if k in (1, 3):
        return 4 - k
    return k


def point_permutation(size: int, k: int) -> np.ndarray:
    """``perm`` with ``transformed_flat[i] == original_flat[perm[i]]`` for a ``size``x``size`` board."""
    idx = np.arange(size * size).reshape(size, size)
    return transform_planes(idx, k).reshape(-1)


def transform_policy(policy: np.ndarray, size: int, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to a policy ``[..., size*size (+1 pass)]`` the same way as to the planes."""
    return _permute_points(policy, size, point_permutation(size, k))


def inverse_policy(policy: np.ndarray, size: int, k: int) -> np.ndarray:
    """Undo symmetry ``k`` on a policy vector."""
    return _permute_points(policy, size, point_permutation(size, inverse(k)))


def transform_action(action: int, size: int, k: int) -> int:
    """Where point ``action`` (``y*size + x``) lands under symmetry ``k``; pass (``size*size``) stays pass."""
    if action == size * size:
        return action
    perm = point_permutation(size, k)
    return int(np.nonzero(perm == action)[0][0])


def _permute_points(policy: np.ndarray, size: int, perm: np.ndarray) -> np.ndarray:
    points = size * size
    if policy.shape[-1] not in (points, points + 1):
        raise ValueError(
            f"policy has {policy.shape[-1]} entries; expected {points} or {points + 1} for a {size}x{size} board"
        )
    out = np.array(policy, copy=True)
    out[..., :points] = policy[..., perm]
    return out


def _check(k: int) -> None:
    if not 0 <= k < NUM_SYMMETRIES:
        raise ValueError(f"symmetry index must be in 0..7, got {k}")
