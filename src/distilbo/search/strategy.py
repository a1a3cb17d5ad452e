"""suggest(): the next q trials from the history of past ones.

Until `n_initial` trials exist: a scrambled Sobol design (the baseline first, when given). Then:
a candidate pool (distilbo.search.candidates) refined around its best candidates, and q picks by
Monte Carlo noisy expected hypervolume improvement (distilbo.search.acquisition): over joint GP
posterior draws at the candidates and the observed points (distilbo.search.surrogate), each
draw's candidates against that draw's front, weighted by the probability that the trial succeeds;
points past a threshold improve nothing, so each pick is also weighted by its chance to meet the
thresholds. While no trial meets them, picks close in on them instead.

Trials suggested earlier and still running (`pending`, an overlapped round's) are never suggested
again: the design avoids them, and the picks are conditioned on their posterior draws first (as
BoTorch's X_pending). With `cost_aware`, picks go by expected improvement per predicted training
second (distilbo.search.cost), once the history has the times to fit it.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from distilbo.records.labels import ORIGIN_BASELINE, ORIGIN_INITIAL, ORIGIN_MODEL, ORIGIN_REPLICATE, STATUS_OK
from distilbo.search import candidates
from distilbo.search.acquisition import choose, greedy_batch
from distilbo.search.cost import fit_cost
from distilbo.search.objectives import ComputedFn, Objective, check_computed, feasible, optimized
from distilbo.search.pareto import reference_point
from distilbo.search.space import SearchSpace
from distilbo.search.steps import StepScale
from distilbo.search.surrogate import Observed, Surrogate

N_SAMPLES = 64


def suggest(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame, q: int, seed: int = 0,
            n_initial: int | None = None, baseline: Mapping | None = None,
            computed: Mapping[str, ComputedFn] | None = None, replicates: int = 0,
            steps: StepScale | None = None, pending: pd.DataFrame | None = None,
            cost_aware: bool = False, acquisition: str = "auto") -> pd.DataFrame:
    """q new, distinct parameter sets, each with predicted means/stds and its acquisition value.
    `computed` maps each computed objective to the function of the parameters that gives it. The
    first suggestions of a study (an empty history) are the baseline and then `replicates` more of
    it (origin "replicate"): repeats on purpose, whose scatter is the noise. With `steps`, the
    history's steps are an input of the surrogates and predictions are for the top rung. `pending`:
    parameter sets suggested and not yet observed (they count towards the initial design).
    `cost_aware`: picks by value per predicted training second. `acquisition`: a name of
    distilbo.search.acquisition.ACQUISITIONS, or "auto" (its `choose`)."""
    computed = dict(computed or {})
    check_computed(objectives, computed)
    history = _normalized(history, space, objectives)
    pending = _pending(pending, space)
    n_initial = max(n_initial if n_initial is not None else 2 * space.dim + 2, 2)
    if len(history) + len(pending) < n_initial or history["status"].eq(STATUS_OK).sum() < 2:
        replicates = replicates if baseline is not None and not len(history) + len(pending) else 0
        known = [t for t in (history[space.names], pending) if len(t)]  # an empty table would turn dtypes to object
        known = pd.concat(known, ignore_index=True) if known else history
        table = _initial(space, objectives, known, q - replicates, seed, baseline, computed)
        copies = table.iloc[[0] * replicates].assign(origin=ORIGIN_REPLICATE)  # the baseline's, first of the table
        return pd.concat([table.iloc[:1], copies, table.iloc[1:]], ignore_index=True)
    return _model_based(space, optimized(objectives) + [o for o in objectives if not o.optimize],  # constraints last
                        history, q, seed, computed, steps, pending, cost_aware, acquisition)


def _model_based(space, objectives, history, q, seed, computed, steps, pending, cost_aware,
                 acquisition) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = choose(acquisition, history, objectives)  # the round's acquisition: every ranking below uses it
    surrogate = Surrogate(space, objectives, history, seed, computed, steps)
    feas = feasible(history, objectives)
    X_hist = space.encode(history[space.names])
    ref = reference_point(history, objectives)
    ok = history["status"].eq(STATUS_OK).to_numpy()
    observed = Observed(X_hist[ok], np.column_stack([o.to_min(history.loc[ok, o.name]) for o in objectives]),
                        surrogate.top[ok])
    X_pending = space.encode(pending) if len(pending) else np.empty((0, space.dim))
    taken = np.vstack([X_hist, X_pending])
    pool = candidates.pool(space, surrogate, candidates.centres(history, objectives, X_hist, feas), taken, rng, seed)
    pool = candidates.refine(space, surrogate, pool, observed, ref, taken, rng, kind)
    n_pool, pool = len(pool), np.vstack([pool, X_pending])  # the pending last: drawn jointly, never picked
    draws = surrogate.draws(pool, rng, observed, ref, n=N_SAMPLES)
    means, stds, weight = draws.means, draws.stds, draws.weight
    cost = _cost(surrogate, history, X_hist, pool, means) if cost_aware else None
    picks, acq = greedy_batch(kind(draws), q, fallback=weight * stds.sum(axis=1),  # else explore the unknown
                              shapes=_shapes(means, objectives), pending=np.arange(n_pool, len(pool)), cost=cost,
                              probes=_probes(space, objectives, history, pool))
    table = space.decode(pool[picks])
    for j, o in enumerate(objectives):
        table[f"pred_mean_{o.name}"] = o.sign * means[picks, j]
        table[f"pred_std_{o.name}"] = stds[picks, j]
    return table.assign(p_success=weight[picks], acquisition=acq, origin=ORIGIN_MODEL)


def _cost(surrogate: Surrogate, history: pd.DataFrame, X_hist: np.ndarray, pool: np.ndarray,
          means: np.ndarray) -> np.ndarray | None:
    """Each candidate's predicted training seconds, relative to the median's: affine in the computed
    objectives (a student's exact size, already in `means` at the candidates), else in the
    parameters. None while too few trials are timed."""
    if "train_seconds" not in history:
        return None
    cols = [j for j, o in enumerate(surrogate.objectives) if o.source == "computed"]
    timed = np.column_stack([surrogate.computed(surrogate.objectives[j], X_hist) for j in cols]) if cols else X_hist
    model = fit_cost(timed, pd.to_numeric(history["train_seconds"], errors="coerce").to_numpy(float))
    if model is None:
        return None
    cost = model(means[:, cols] if cols else pool)
    return cost / np.median(cost)


def _shapes(means: np.ndarray, objectives: list[Objective]) -> np.ndarray | None:
    """A label per candidate for its computed objectives' values (a student's size): candidates of
    one label are the same shape to the frontier. None without computed objectives."""
    cols = [j for j, o in enumerate(objectives) if o.source == "computed"]
    if not cols:
        return None
    return np.unique(np.round(means[:, cols], 9), axis=0, return_inverse=True)[1].ravel()


def _probes(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame,
            pool: np.ndarray) -> np.ndarray | None:
    """A label per candidate at a level of an integer parameter an objective states monotone where
    no trial has met the objective's threshold, whether none was measured there or every one fell
    below it ("n_layers=3"; "" for the others; an objective without a threshold: where none was
    measured). There the trend only extrapolates, or has seen nothing but a cliff, and a batch of
    such picks, conditioned on one another by the same optimistic draws, can spend every trial past
    it (docs/experiments.md, "Seeds 1 and 2 with the warped trend", "Seed 0 on 0.16.0"): one trial
    of a batch finds out for the next round. One label per candidate: where two parameters are at
    such levels, the later by name (n_layers over n_heads)."""
    stated = {(o, p) for o in objectives for p, _ in o.monotone if space.specs[space.names.index(p)]["type"] == "int"}
    if not stated:
        return None
    table = space.decode(pool)
    labels = np.full(len(pool), "", dtype=object)
    ok = history["status"].eq(STATUS_OK).to_numpy()
    for o, p in sorted(stated, key=lambda op: (op[1], op[0].name)):
        passed = ok & (o.meets(history[o.name].to_numpy(float)) if o.name in history else False)
        unseen = ~table[p].isin(set(history.loc[passed, p]))
        labels[unseen.to_numpy()] = [f"{p}={v}" for v in table.loc[unseen, p]]
    return labels


def _normalized(history: pd.DataFrame | None, space: SearchSpace, objectives: list[Objective]) -> pd.DataFrame:
    cols = space.names + [o.name for o in objectives] + ["status"]
    if history is None or len(history) == 0:
        return pd.DataFrame(columns=cols)
    missing = [c for c in space.names + ["status"] if c not in history]
    if missing:
        raise ValueError(f"history: missing column(s) {missing}")
    return history.reset_index(drop=True)


def _pending(pending: pd.DataFrame | None, space: SearchSpace) -> pd.DataFrame:
    """The running trials' parameters (an empty table when none)."""
    if pending is None or not len(pending):
        return pd.DataFrame(columns=space.names)
    missing = [n for n in space.names if n not in pending]
    if missing:
        raise ValueError(f"pending: missing column(s) {missing}")
    return pending[space.names].reset_index(drop=True)


def _initial(space, objectives, history, q, seed, baseline, computed) -> pd.DataFrame:
    design = space.sample(len(history) + q + 1, seed)
    if baseline is not None:
        space.validate(baseline, "search.baseline")
        design = pd.concat([pd.DataFrame([{n: baseline[n] for n in space.names}]), design], ignore_index=True)
    X = space.encode(design)
    taken = space.encode(history[space.names]) if len(history) else np.empty((0, space.dim))
    keep = candidates.new_rows(X, taken)
    picks = design.iloc[keep[:q]].reset_index(drop=True)
    picks["origin"] = [ORIGIN_BASELINE if baseline is not None and i == 0 else ORIGIN_INITIAL for i in keep[:q]]
    picks["acquisition"] = np.nan
    for o in objectives:
        if o.source == "computed":
            picks[f"pred_mean_{o.name}"] = np.asarray(computed[o.name](picks), dtype=float)
            picks[f"pred_std_{o.name}"] = 0.0
    return picks
