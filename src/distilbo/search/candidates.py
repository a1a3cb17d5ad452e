"""Candidate generation for model-based suggestions: a pool from pymoo's NSGA-II run on the
surrogate means, Sobol points and perturbations of the current front, then refined by local points
around its best candidates by expected improvement."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.optimize import minimize

from distilbo.records.labels import STATUS_OK
from distilbo.search.acquisition import AcquisitionKind
from distilbo.search.objectives import Objective, objective_matrix
from distilbo.search.pareto import non_dominated
from distilbo.search.space import SearchSpace
from distilbo.search.surrogate import Observed, Surrogate

POOL = 384
NSGA_GENERATIONS = 15
REFINE_CENTRES = 8
REFINE_SCALES = np.array([0.03, 0.01, 0.003])
REFINE_PER_SCALE = 8


class SurrogateProblem(Problem):
    """The objectives as pymoo sees them: surrogate means (observed) or exact values (computed)."""

    def __init__(self, surrogate: Surrogate):
        self.surrogate = surrogate
        super().__init__(n_var=surrogate.dim, n_obj=surrogate.n_obj, xl=0.0, xu=1.0)

    def _evaluate(self, X, out, *args, **kwargs):
        out["F"] = self.surrogate.means(X)


def new_rows(X: np.ndarray, taken: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Indices of rows of X that match neither `taken` nor an earlier row of X (within tol)."""
    def keys(A):
        return [tuple(r) for r in np.round(np.asarray(A, float) / tol).astype(np.int64)]

    seen, keep = set(keys(taken)) if len(taken) else set(), []
    for i, k in enumerate(keys(X)):
        if k not in seen:
            seen.add(k)
            keep.append(i)
    return np.array(keep, dtype=int)


def centres(history: pd.DataFrame, objectives: list[Objective], X_hist: np.ndarray, feas: np.ndarray) -> np.ndarray:
    """Where the pool's local candidates go: around the feasible front, or while no trial meets the
    thresholds, around the successful trials that no other dominates (those nearest to doing so):
    in 10 or more dimensions a uniform pool rarely lands inside the thresholds at all."""
    front_idx = non_dominated(objective_matrix(history[feas], objectives))
    if len(front_idx):
        return X_hist[feas][front_idx]
    ok = history["status"].eq(STATUS_OK).to_numpy()
    F = objective_matrix(history[ok], objectives)
    finite = np.all(np.isfinite(F), axis=1)
    return X_hist[ok][finite][non_dominated(F[finite])]


def pool(space: SearchSpace, surrogate: Surrogate, near: np.ndarray, taken: np.ndarray,
         rng: np.random.Generator, seed: int) -> np.ndarray:
    """Up to POOL new encoded points: NSGA-II's final population on the surrogate means, uniform
    points, and perturbations of the points `near` (centres)."""
    res = minimize(SurrogateProblem(surrogate), NSGA2(pop_size=40), ("n_gen", NSGA_GENERATIONS), seed=seed,
                   verbose=False)
    parts = [np.atleast_2d(res.X), rng.random((POOL // 2, space.dim))]
    if len(near):
        local = near[rng.integers(0, len(near), POOL // 4)] + rng.normal(0, 0.05, (POOL // 4, space.dim))
        parts.append(np.clip(local, 0, 1))
    X = space.round_trip(np.vstack(parts))
    return X[new_rows(X, taken)][:POOL]


def refine(space: SearchSpace, surrogate: Surrogate, candidates: np.ndarray, observed: Observed, ref: np.ndarray,
           taken: np.ndarray, rng: np.random.Generator, kind: AcquisitionKind, n_draws: int = 32) -> np.ndarray:
    """The candidates plus local points around the best of them by the round's acquisition `kind`:
    a discrete pool alone cannot place a pick more finely than its spacing, and late in a study
    that matters."""
    acq = kind(surrogate.draws(candidates, rng, observed, ref, n=n_draws))()
    best = candidates[np.argsort(-acq)[:REFINE_CENTRES]]
    scales = np.repeat(REFINE_SCALES, REFINE_PER_SCALE)
    local = best[:, None, :] + rng.normal(size=(len(best), len(scales), space.dim)) * scales[None, :, None]
    X = space.round_trip(np.vstack([candidates, np.clip(local.reshape(-1, space.dim), 0, 1)]))
    return X[new_rows(X, taken)]
