"""Monte Carlo expected hypervolume improvement, and the greedy batch choice that conditions each
pick on the ones before it (fantasies drawn from the same posterior samples)."""

from __future__ import annotations

import numpy as np
from pymoo.indicators.hv import HV

from distilbo.search.pareto import non_dominated


def hvi_2d(front: np.ndarray, ref: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Exact hypervolume improvement of each row of Y [N, 2] over a 2-objective front (minimization),
    vectorized: the region a new point adds is a sum of rectangles under the front's staircase."""
    front = front[np.all(front < ref, axis=1)]
    front = front[np.argsort(front[:, 0])]
    lefts = np.concatenate([[-np.inf], front[:, 0]])
    rights = np.concatenate([front[:, 0], [ref[0]]])
    heights = np.concatenate([[ref[1]], front[:, 1]])
    width = np.clip(np.minimum(rights[None, :], ref[0]) - np.maximum(lefts[None, :], Y[:, :1]), 0, None)
    height = np.clip(heights[None, :] - Y[:, 1:2], 0, None)
    return (width * height).sum(axis=1)


def hvi(front: np.ndarray, ref: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each row of Y over `front` (any number of objectives)."""
    if Y.shape[1] == 2:
        return hvi_2d(front, ref, Y)
    inside = front[np.all(front < ref, axis=1)]
    hv = HV(ref_point=ref)
    base = hv(inside) if len(inside) else 0.0
    out = np.zeros(len(Y))
    for i in np.flatnonzero(np.all(Y < ref, axis=1)):
        out[i] = hv(np.vstack([inside, Y[i]])) - base
    return out


def expected_hvi(samples: np.ndarray, fronts: list[np.ndarray], ref: np.ndarray, weight: np.ndarray,
                 meets: np.ndarray) -> np.ndarray:
    """[N] Monte Carlo expected hypervolume improvement: draw s of every candidate against front s."""
    return weight * np.mean([hvi(fronts[s], ref, samples[s]) * meets[s] for s in range(len(samples))], axis=0)


def greedy_batch(samples: np.ndarray, fronts: list[np.ndarray], ref: np.ndarray, weight: np.ndarray, q: int,
                 fallback: np.ndarray, meets: np.ndarray | None = None) -> tuple[list[int], list[float]]:
    """Pick q candidates by MC expected hypervolume improvement.

    samples: [S, N, m] minimization values of the N candidates in each of S posterior draws;
    fronts: per draw, the front to improve on (the observed one, or its draw under noise);
    weight: [N] probability of the trial succeeding;
    meets: [S, N] whether the candidate meets the constraints in each draw (all, if None).
    After each pick, every draw's front takes that candidate's value in that draw (where it meets
    the constraints), so the next pick is conditioned on it. When no candidate improves in any
    draw, `fallback` [N] ranks them.
    """
    S, N, _ = samples.shape
    meets = np.ones((S, N), bool) if meets is None else meets
    fronts = [f.copy() for f in fronts]
    picked, values = [], []
    for _ in range(min(q, N)):
        acq = expected_hvi(samples, fronts, ref, weight, meets)
        acq[picked] = -np.inf
        best = int(np.argmax(acq))
        if not acq[best] > 0:
            rank = np.where(np.isin(np.arange(N), picked), -np.inf, fallback)
            best = int(np.argmax(rank))
        picked.append(best)
        values.append(float(max(acq[best], 0.0)))
        for s in np.flatnonzero(meets[:, best]):
            merged = np.vstack([fronts[s], samples[s, best]])
            fronts[s] = merged[non_dominated(merged)]
    return picked, values
