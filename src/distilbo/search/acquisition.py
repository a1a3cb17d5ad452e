"""Acquisitions: one contract (`Acquisition`, built from a round's posterior draws at its
candidates: a value per candidate, and a condition on a pick) and its kinds, by name (ACQUISITIONS,
the names search.acquisition takes): Monte Carlo expected hypervolume improvement, and the
distance to the thresholds while no trial meets them. A study's round chooses its kind once
(`choose`), and every step that ranks candidates builds that kind: the pool's refinement, the
batch (greedy_batch) and the promotions of a rung study. A new acquisition is one class here
and its name in ACQUISITIONS and the config's schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import pandas as pd
from pymoo.indicators.hv import HV

from distilbo.search.objectives import Objective, feasible, meets_constraints, optimized
from distilbo.search.pareto import non_dominated


@dataclass(frozen=True)
class Draws:
    """What an acquisition is built from. samples: [S, N, m] minimization values of the N
    candidates in S joint posterior draws (every objective, in the order of `objectives`,
    constraints last); fronts: per draw, the front to improve on (the observed one, or its draw
    under noise); observed: [k, m] the successful trials' observed minimization values; ref: the
    reference point; weight: [N] each candidate's probability of succeeding; means, stds: [N, m]
    each candidate's posterior means and standard deviations (minimization values), where a
    surrogate drew them (distilbo.search.surrogate.Surrogate.draws)."""

    samples: np.ndarray
    fronts: list[np.ndarray]
    observed: np.ndarray
    ref: np.ndarray
    weight: np.ndarray
    objectives: list[Objective]
    means: np.ndarray | None = None
    stds: np.ndarray | None = None


class Acquisition(Protocol):
    """A value per candidate (`__call__`), and the same after conditioning on a pick."""

    def __call__(self) -> np.ndarray: ...

    def condition(self, pick: int) -> None: ...


# An acquisition's class: built from a round's draws.
AcquisitionKind = Callable[[Draws], Acquisition]


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


class ExpectedHVI:
    """Monte Carlo expected hypervolume improvement: draw s of every candidate against front s,
    weighted by each candidate's chance to succeed; a draw that misses a constraint improves nothing."""

    def __init__(self, draws: Draws):
        self.meets = meets_constraints(draws.objectives, draws.samples)
        self.samples = draws.samples[:, :, :len(optimized(draws.objectives))]
        self.fronts, self.ref, self.weight = [f.copy() for f in draws.fronts], draws.ref, draws.weight


    def __call__(self) -> np.ndarray:
        """[N] the expected improvement of each candidate."""
        return self.weight * np.mean([hvi(self.fronts[s], self.ref, self.samples[s]) * self.meets[s]
                                      for s in range(len(self.samples))], axis=0)

    def condition(self, pick: int) -> None:
        """Every draw's front takes the pick's value in that draw (where it meets the constraints)."""
        for s in np.flatnonzero(self.meets[:, pick]):
            merged = np.vstack([self.fronts[s], self.samples[s, pick]])
            self.fronts[s] = merged[non_dominated(merged)]


class ThresholdDistance:
    """While no trial meets the objectives' thresholds (the reference box), hypervolume improvement
    is a lottery on the posterior's tails (in 10 or more dimensions it picks the corners): the
    expected reduction of the summed distance past the thresholds (of the optimized objectives)
    below the least observed."""

    def __init__(self, draws: Draws):
        objectives = optimized(draws.objectives)
        samples, observed = draws.samples[:, :, :len(objectives)], draws.observed[:, :len(objectives)]
        limits = np.array([o.to_min(o.threshold) if o.threshold is not None else np.inf for o in objectives])

        def violation(F):  # a missing value never meets them
            return np.where(np.isnan(F), np.inf, np.clip(F - limits, 0, None)).sum(axis=-1)

        self.v = violation(samples)  # [S, N]
        self.best = np.full(len(self.v), np.min(violation(observed)) if len(observed) else np.inf)
        self.weight = draws.weight


    def __call__(self) -> np.ndarray:
        gain = self.weight * np.mean(np.clip(self.best[:, None] - self.v, 0, None), axis=0)
        gain[~np.isfinite(gain)] = 0.0  # no observation has a violation to reduce (all missing)
        return gain

    def condition(self, pick: int) -> None:
        """In each draw, the pick's distance is now the least."""
        self.best = np.minimum(self.best, self.v[:, pick])


# The kinds by the name search.acquisition gives them ("auto": `choose` decides each round).
ACQUISITIONS: dict[str, AcquisitionKind] = {"ehvi": ExpectedHVI, "threshold_distance": ThresholdDistance}


def choose(name: str, history: pd.DataFrame, objectives: list[Objective]) -> AcquisitionKind:
    """A round's acquisition kind: the one `name` names, or for "auto" expected hypervolume
    improvement once a trial meets every objective's threshold (is inside the reference box), the
    distance to the thresholds before."""
    if name != "auto":
        if name not in ACQUISITIONS:
            raise ValueError(f"search.acquisition: {name!r} is not one of auto, {', '.join(ACQUISITIONS)}")
        return ACQUISITIONS[name]
    return ExpectedHVI if feasible(history, optimized(objectives)).any() else ThresholdDistance


# A pick may repeat the shape (the computed objectives' values) of an earlier pick of its batch only
# where the acquisition values it this many times more than any pick of a new shape: a batch's trials
# spread along the frontier's known axis instead of buying one lottery ticket four times.
REPEAT_FACTOR = 2.0


def greedy_batch(acquisition: Acquisition, q: int, fallback: np.ndarray, shapes: np.ndarray | None = None,
                 pending: np.ndarray | None = None, cost: np.ndarray | None = None,
                 probes: np.ndarray | None = None) -> tuple[list[int], list[float]]:
    """Pick q candidates one at a time by `acquisition`, each
    conditioned on the ones before it (fantasies drawn from the same posterior samples), and their
    acquisition values. When no candidate left improves, `fallback` [N] ranks them. `shapes` [N]
    (optional): a label per candidate; a label already picked counts REPEAT_FACTOR times less.
    `pending`: indices of trials suggested earlier and still running, conditioned on first and never
    picked. `cost` [N] (optional): each candidate's predicted cost; picks go by value per cost.
    `probes` [N] (optional): a label per candidate at a level no trial has yet shown to meet the
    threshold (strategy._probes; "" for the others); a batch takes one candidate of each label."""
    n = len(fallback)
    taken = [int(i) for i in (pending if pending is not None else [])]
    for i in taken:
        acquisition.condition(i)
    picked, values = [], []
    for _ in range(min(q, n - len(taken))):
        acq = acquisition()
        ranked = acq / cost if cost is not None else acq.copy()
        if shapes is not None and taken + picked:
            ranked[np.isin(shapes, shapes[taken + picked])] /= REPEAT_FACTOR
        if probes is not None and taken + picked:
            probed = [label for label in probes[taken + picked] if label]
            ranked[np.isin(probes, probed)] = -np.inf
        ranked[taken + picked] = -np.inf
        best = int(np.argmax(ranked))
        if not ranked[best] > 0:
            best = int(np.argmax(np.where(np.isin(np.arange(n), taken + picked), -np.inf, fallback)))
        picked.append(best)
        values.append(float(max(acq[best], 0.0)))
        acquisition.condition(best)
    return picked, values
