"""Fidelity: the gain of promoting a measurement of a multi-fidelity (rung) study to the top rung,
by the surrogates that take training steps as an input (distilbo.search.steps)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from distilbo.records.labels import STATUS_OK
from distilbo.search.acquisition import AcquisitionKind, greedy_batch
from distilbo.search.objectives import Objective, optimized
from distilbo.search.pareto import reference_point
from distilbo.search.space import SearchSpace
from distilbo.search.steps import StepScale
from distilbo.search.surrogate import Observed, Surrogate


def promotion_gains(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame,
                    candidates: pd.DataFrame, n: int, steps: StepScale, kind: AcquisitionKind,
                    seed: int = 0) -> tuple[list[int], list[float]]:
    """The n candidates (positions in `candidates`, best first) whose continuation to the top rung
    is expected to add most hypervolume to the front measured there, each conditioned on the ones
    before it, and their expected improvements. The surrogate is suggest's (every successful
    measurement of `history`, log(steps) an input), so a candidate's own lower-rung measurement and
    every other trial's learning curve inform its top-rung draw; the front holds only what was
    measured at the top rung (what a study can ship at full budget). Candidates carry the measured
    values of computed objectives. Where no candidate improves in any draw, their order is kept.
    `kind`: the acquisition that ranks them, the round's (distilbo.search.acquisition.choose), as
    everywhere else a round ranks candidates."""
    objectives = optimized(objectives) + [o for o in objectives if not o.optimize]
    computed = {o.name: (lambda table, name=o.name: candidates[name].to_numpy(float))
                for o in objectives if o.source == "computed"}
    history = history.reset_index(drop=True)
    surrogate = Surrogate(space, objectives, history, seed, computed, steps)
    ok = history["status"].eq(STATUS_OK).to_numpy() & surrogate.top
    X_top = space.encode(history.loc[ok, space.names])
    F_top = np.column_stack([o.to_min(history.loc[ok, o.name]) for o in objectives])
    pool = space.encode(candidates[space.names])
    rng = np.random.default_rng(seed)
    observed = Observed(X_top, F_top, np.ones(len(X_top), bool))
    draws = surrogate.draws(pool, rng, observed, reference_point(history, objectives), np.ones(len(pool)))
    order = -np.arange(len(pool), dtype=float)  # the caller's ranking, for candidates that add nothing
    return greedy_batch(kind(draws), n, order)
