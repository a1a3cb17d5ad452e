"""suggest(): the next q trials from the history of past ones.

Until `n_initial` trials exist: a scrambled Sobol design (the baseline first, when given). Then:
a candidate pool from pymoo's NSGA-II run on the surrogate means (plus Sobol points and
perturbations of the current front), refined by local points around its best candidates, and q
picks by Monte Carlo noisy expected hypervolume improvement: over joint GP posterior draws at the
candidates and the observed points, each draw's candidates against that draw's front, weighted by
the probability that the trial succeeds; points past a threshold improve nothing, so each pick is
also weighted by its chance to meet the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.optimize import minimize

from distilbo.search.acquisition import expected_hvi, greedy_batch
from distilbo.search.objectives import ComputedFn, Objective, check_computed, feasible, objective_matrix, optimized
from distilbo.search.pareto import non_dominated, reference_point
from distilbo.search.space import SearchSpace
from distilbo.search.surrogate import FeasibilityModel, fit_gp, joint_samples, posterior

N_SAMPLES = 64
POOL = 384
NSGA_GENERATIONS = 15
REFINE_CENTRES = 8
REFINE_SCALES = np.array([0.03, 0.01, 0.003])
REFINE_PER_SCALE = 8


@dataclass(frozen=True)
class Budget:
    """Training steps as an input of the surrogates (search.fidelity): log(steps), scaled to 0 at
    the first rung and 1 at the top one. History rows then say their `steps`; suggestions are for
    the top rung, and observed points below it enter the front as the GP's draws at the top."""

    low: float
    high: float

    def encode(self, steps) -> np.ndarray:
        return np.log(np.asarray(steps, dtype=float) / self.low) / np.log(self.high / self.low)


def suggest(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame, q: int, seed: int = 0,
            n_initial: int | None = None, baseline: Mapping | None = None,
            computed: Mapping[str, ComputedFn] | None = None, replicates: int = 0,
            budget: Budget | None = None) -> pd.DataFrame:
    """q new, distinct parameter sets, each with predicted means/stds and its acquisition value.
    `computed` maps each computed objective to the function of the parameters that gives it. The
    first suggestions of a study (an empty history) are the baseline and then `replicates` more of
    it (origin "replicate"): repeats on purpose, whose scatter is the noise. With `budget`, the
    history's `steps` are an input of the surrogates and predictions are for the top rung."""
    computed = dict(computed or {})
    check_computed(objectives, computed)
    history = _normalized(history, space, objectives)
    n_initial = max(n_initial if n_initial is not None else 2 * space.dim + 2, 2)
    ok = history["status"].eq("ok").to_numpy()
    if len(history) < n_initial or ok.sum() < 2:
        replicates = replicates if baseline is not None and not len(history) else 0
        table = _initial(space, objectives, history, q - replicates, seed, baseline, computed)
        copies = table.iloc[[0] * replicates].assign(origin="replicate")  # the baseline's, first of the table
        return pd.concat([table.iloc[:1], copies, table.iloc[1:]], ignore_index=True)
    return _model_based(space, objectives, history, q, seed, computed, budget)


def _normalized(history: pd.DataFrame | None, space: SearchSpace, objectives: list[Objective]) -> pd.DataFrame:
    cols = space.names + [o.name for o in objectives] + ["status"]
    if history is None or len(history) == 0:
        return pd.DataFrame(columns=cols)
    missing = [c for c in space.names + ["status"] if c not in history]
    if missing:
        raise ValueError(f"history: missing column(s) {missing}")
    return history.reset_index(drop=True)


def _initial(space, objectives, history, q, seed, baseline, computed) -> pd.DataFrame:
    design = space.sample(len(history) + q + 1, seed)
    if baseline is not None:
        space.validate(baseline, "search.baseline")
        design = pd.concat([pd.DataFrame([{n: baseline[n] for n in space.names}]), design], ignore_index=True)
    X = space.encode(design)
    taken = space.encode(history[space.names]) if len(history) else np.empty((0, space.dim))
    keep = _new_rows(X, taken)
    picks = design.iloc[keep[:q]].reset_index(drop=True)
    picks["origin"] = ["baseline" if baseline is not None and i == 0 else "initial" for i in keep[:q]]
    picks["acquisition"] = np.nan
    return _with_computed(picks, objectives, computed)


def _new_rows(X: np.ndarray, taken: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Indices of rows of X that match neither `taken` nor an earlier row of X (within tol)."""
    keys = lambda A: [tuple(r) for r in np.round(np.asarray(A, float) / tol).astype(np.int64)]
    seen, keep = set(keys(taken)) if len(taken) else set(), []
    for i, k in enumerate(keys(X)):
        if k not in seen:
            seen.add(k)
            keep.append(i)
    return np.array(keep, dtype=int)


def _with_computed(table: pd.DataFrame, objectives: list[Objective], computed: Mapping[str, ComputedFn]) -> pd.DataFrame:
    for o in objectives:
        if o.source == "computed":
            table[f"pred_mean_{o.name}"] = np.asarray(computed[o.name](table), dtype=float)
            table[f"pred_std_{o.name}"] = 0.0
    return table


class _SurrogateProblem(Problem):
    """The objectives as pymoo sees them: surrogate means (observed) or exact values (computed)."""

    def __init__(self, predict):
        self.predict = predict
        super().__init__(n_var=predict.dim, n_obj=predict.n_obj, xl=0.0, xu=1.0)

    def _evaluate(self, X, out, *args, **kwargs):
        out["F"] = self.predict.means(X)


class _Predictor:
    def __init__(self, space: SearchSpace, objectives: list[Objective], history: pd.DataFrame, seed: int,
                 computed: Mapping[str, ComputedFn], budget: Budget | None = None):
        self.space, self.objectives, self.functions, self.budget = space, objectives, computed, budget
        self.dim, self.n_obj = space.dim, len(optimized(objectives))
        X = space.encode(history[space.names])
        ok = history["status"].eq("ok").to_numpy()
        self.top = budget.encode(history["steps"]) >= 1 - 1e-9 if budget else np.ones(len(history), bool)
        inputs = self.inputs(X, budget.encode(history["steps"]) if budget else None)
        self.gps = {}
        for o in objectives:
            if o.source == "observed":
                y = o.to_min(history.loc[ok, o.name])
                finite = np.isfinite(y)
                self.gps[o.name] = fit_gp(inputs[ok][finite], y[finite], seed, o.noise_sd)
        self.feasibility = FeasibilityModel(X, ok, seed)
        # replicated configurations tell the noise apart from the function; without them the fitted
        # noise is a guess (benchmarks/README.md), and an objective is taken as measured exactly
        self.replicated = bool(pd.DataFrame(inputs[ok]).duplicated().any())

    def inputs(self, X: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """The GP inputs of points of the space: with a budget, its encoded steps appended (the top
        rung unless `z` says otherwise)."""
        if self.budget is None:
            return X
        return np.column_stack([X, np.ones(len(X)) if z is None else z])

    def noisy(self, o: Objective) -> bool:
        """Whether draws of `o` at observed points may differ from the observations (noisy EHVI)."""
        return o.source == "observed" and (o.noise_sd is not None or self.replicated)

    def computed(self, o: Objective, X: np.ndarray) -> np.ndarray:
        return o.to_min(self.functions[o.name](self.space.decode(X)))

    def means(self, X: np.ndarray) -> np.ndarray:
        X = self.space.round_trip(X)
        return np.column_stack([posterior(self.gps[o.name], self.inputs(X))[0] if o.source == "observed"
                                else self.computed(o, X)
                                for o in optimized(self.objectives)])


def _pool(space: SearchSpace, predictor: _Predictor, front_X: np.ndarray, taken: np.ndarray,
          rng: np.random.Generator, seed: int) -> np.ndarray:
    res = minimize(_SurrogateProblem(predictor), NSGA2(pop_size=40), ("n_gen", NSGA_GENERATIONS), seed=seed, verbose=False)
    parts = [np.atleast_2d(res.X), rng.random((POOL // 2, space.dim))]
    if len(front_X):
        local = front_X[rng.integers(0, len(front_X), POOL // 4)] + rng.normal(0, 0.05, (POOL // 4, space.dim))
        parts.append(np.clip(local, 0, 1))
    X = space.round_trip(np.vstack(parts))
    return X[_new_rows(X, taken)][:POOL]


def _model_based(space, objectives, history, q, seed, computed, budget=None) -> pd.DataFrame:
    objectives = optimized(objectives) + [o for o in objectives if not o.optimize]  # constraints last
    rng = np.random.default_rng(seed)
    predictor = _Predictor(space, objectives, history, seed, computed, budget)
    feas = feasible(history, objectives)
    F_obs = objective_matrix(history[feas], objectives)
    front_idx = non_dominated(F_obs)
    X_hist = space.encode(history[space.names])
    ref = reference_point(history, objectives)
    ok = history["status"].eq("ok").to_numpy()
    observed = (X_hist[ok], np.column_stack([o.to_min(history.loc[ok, o.name]) for o in objectives]), predictor.top[ok])
    pool = _pool(space, predictor, _centres(history, objectives, X_hist, feas, front_idx), X_hist, rng, seed)
    pool = _refined(space, predictor, pool, observed, ref, X_hist, rng)
    samples, means, stds, fronts = _draws(predictor, pool, rng, observed)
    weight = predictor.feasibility(pool)
    n_opt = predictor.n_obj
    fallback = weight * stds.sum(axis=1)  # explore where the surrogates know least
    if feasible(history, optimized(objectives)).any():
        picks, acq = greedy_batch(samples[:, :, :n_opt], fronts, ref, weight, q, fallback, _meets(objectives, samples))
    else:  # no trial inside the reference box yet
        picks, acq = _toward_thresholds(optimized(objectives), samples[:, :, :n_opt], observed[1][:, :n_opt], weight, q,
                                        fallback)
    table = space.decode(pool[picks])
    for j, o in enumerate(objectives):
        table[f"pred_mean_{o.name}"] = o.sign * means[picks, j]
        table[f"pred_std_{o.name}"] = stds[picks, j]
    table["p_success"] = weight[picks]
    table["acquisition"] = acq
    table["origin"] = "model"
    return table


def _toward_thresholds(objectives: list[Objective], samples: np.ndarray, F_obs: np.ndarray, weight: np.ndarray,
                       q: int, fallback: np.ndarray) -> tuple[list[int], list[float]]:
    """While no trial meets the objectives' thresholds (the reference box), hypervolume improvement
    is a lottery on the posterior's tails (in 10 or more dimensions it picks the corners): pick
    instead by the expected reduction of the summed distance past them below the least observed, each
    pick conditioned on the ones before it (per draw, as greedy_batch does); `fallback` ranks the
    candidates when none is expected to reduce it."""
    limits = np.array([o.to_min(o.threshold) if o.threshold is not None else np.inf for o in objectives])
    violation = lambda F: np.where(np.isnan(F), np.inf, np.clip(F - limits, 0, None)).sum(axis=-1)  # missing: never met
    v = violation(samples)  # [S, N]
    best = np.full(len(v), np.min(violation(F_obs)) if len(F_obs) else np.inf)
    picked, values = [], []
    for _ in range(min(q, v.shape[1])):
        gain = weight * np.mean(np.clip(best[:, None] - v, 0, None), axis=0)
        gain[~np.isfinite(gain)] = 0.0  # no observation has a violation to reduce (all missing)
        gain[picked] = -np.inf
        pick = int(np.argmax(gain))
        if not gain[pick] > 0:
            pick = int(np.argmax(np.where(np.isin(np.arange(len(gain)), picked), -np.inf, fallback)))
        picked.append(pick)
        values.append(float(max(gain[pick], 0.0)))
        best = np.minimum(best, v[:, pick])
    return picked, values


def _centres(history: pd.DataFrame, objectives: list[Objective], X_hist: np.ndarray, feas: np.ndarray,
             front_idx: np.ndarray) -> np.ndarray:
    """Where the pool's local candidates go: around the feasible front, or while no trial meets the
    thresholds, around the successful trials that no other dominates (those nearest to doing so):
    in 10 or more dimensions a uniform pool rarely lands inside the thresholds at all."""
    if len(front_idx):
        return X_hist[feas][front_idx]
    ok = history["status"].eq("ok").to_numpy()
    F = objective_matrix(history[ok], objectives)
    finite = np.all(np.isfinite(F), axis=1)
    return X_hist[ok][finite][non_dominated(F[finite])]


def _meets(objectives: list[Objective], samples: np.ndarray) -> np.ndarray:
    """[S, N]: whether each draw of each candidate meets the constraint-only metrics."""
    meets = np.ones(samples.shape[:2], bool)
    for j, o in enumerate(objectives):
        if not o.optimize:
            meets &= o.meets(o.sign * samples[:, :, j])
    return meets


def _refined(space: SearchSpace, predictor: _Predictor, pool: np.ndarray, observed: tuple, ref: np.ndarray,
             taken: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The pool plus local points around its best candidates by expected improvement: a discrete
    pool alone cannot place a pick more finely than its spacing, and late in a study that matters."""
    samples, _, _, fronts = _draws(predictor, pool, rng, observed, n=N_SAMPLES // 2)
    acq = expected_hvi(samples[:, :, :predictor.n_obj], fronts, ref, predictor.feasibility(pool),
                       _meets(predictor.objectives, samples))
    best = pool[np.argsort(-acq)[:REFINE_CENTRES]]
    scales = np.repeat(REFINE_SCALES, REFINE_PER_SCALE)
    local = best[:, None, :] + rng.normal(size=(len(best), len(scales), space.dim)) * scales[None, :, None]
    X = space.round_trip(np.vstack([pool, np.clip(local.reshape(-1, space.dim), 0, 1)]))
    return X[_new_rows(X, taken)]


def _draws(predictor: _Predictor, pool: np.ndarray, rng: np.random.Generator, observed: tuple,
           n: int = N_SAMPLES):
    """[S, N, m] minimization draws at the pool, with per-candidate means and stds, and per draw the
    front of the successful observed points (`observed`: their X, minimization values [k, m], and
    whether each was measured at the top rung).

    Noisy EHVI (Daulton et al. 2021): for a noisy objective (predictor.noisy) the front is drawn
    jointly with the candidates, at the observed points, so that improvement is measured against
    the front the GP believes in and not against observations that flatter the lucky trials; any
    other objective keeps its observed values there, where they were measured at the top rung (a
    point measured below it enters as the GP's draw of its top-rung value)."""
    X_obs, F_obs, top = observed
    X, k = np.vstack([X_obs, pool]), len(X_obs)
    S, m = n, len(predictor.objectives)
    draws = np.empty((S, len(X), m))
    means, stds = np.empty((len(pool), m)), np.zeros((len(pool), m))
    for j, o in enumerate(predictor.objectives):
        exact = np.ones(k, bool)  # computed objectives: exact everywhere
        if o.source == "computed":
            means[:, j] = predictor.computed(o, pool)
            draws[:, k:, j] = means[None, :, j]
        else:
            gp = predictor.gps[o.name]
            means[:, j], stds[:, j] = posterior(gp, predictor.inputs(pool))
            exact = np.zeros(k, bool) if predictor.noisy(o) else top
            at = pool if exact.all() else X  # the front is drawn with the candidates where it is not exact
            draws[:, len(X) - len(at):, j] = joint_samples(gp, predictor.inputs(at), S, rng)
        draws[:, :k, j] = np.where(exact, F_obs[:, j], draws[:, :k, j])
    at_observed, samples = draws[:, :k], draws[:, k:]
    at_observed = np.where(np.isnan(at_observed), np.inf, at_observed)  # a missing score is no front point
    meets = _meets(predictor.objectives, at_observed)
    fronts = []
    for s in range(S):
        F = at_observed[s, meets[s], :predictor.n_obj]
        F = F[np.all(np.isfinite(F), axis=1)]
        fronts.append(F[non_dominated(F)] if len(F) else F)
    return samples, means, stds, fronts


def promotion_gains(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame,
                    candidates: pd.DataFrame, n: int, budget: Budget, seed: int = 0) -> tuple[list[int], list[float]]:
    """The n candidates (positions in `candidates`, best first) whose continuation to the top rung
    is expected to add most hypervolume to the front measured there, each conditioned on the ones
    before it, and their expected improvements. The GPs are those of suggest (every successful
    measurement of `history`, log(steps) an input), so a candidate's own lower-rung measurement and
    every other trial's learning curve inform its top-rung draw; the front holds only what was
    measured at the top rung (what a study can ship at full budget). Candidates carry the measured
    values of computed objectives. Where no candidate improves in any draw, their order is kept."""
    objectives = optimized(objectives) + [o for o in objectives if not o.optimize]
    computed = {o.name: (lambda table, name=o.name: candidates[name].to_numpy(float))
                for o in objectives if o.source == "computed"}
    history = history.reset_index(drop=True)
    predictor = _Predictor(space, objectives, history, seed, computed, budget)
    ok = history["status"].eq("ok").to_numpy() & predictor.top
    X_top = space.encode(history.loc[ok, space.names])
    F_top = np.column_stack([o.to_min(history.loc[ok, o.name]) for o in objectives])
    pool = space.encode(candidates[space.names])
    rng = np.random.default_rng(seed)
    samples, _, _, fronts = _draws(predictor, pool, rng, (X_top, F_top, np.ones(len(X_top), bool)))
    order = -np.arange(len(pool), dtype=float)  # the caller's ranking, for candidates that add nothing
    return greedy_batch(samples[:, :, :predictor.n_obj], fronts, reference_point(history, objectives),
                        np.ones(len(pool)), n, order, _meets(objectives, samples))
