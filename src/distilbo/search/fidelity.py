"""Fidelity: training steps as an input of the surrogates in a multi-fidelity (rung) study, and
the gain of promoting a measurement to the top rung."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from distilbo.search.acquisition import ExpectedHVI, greedy_batch
from distilbo.search.labels import STATUS_OK
from distilbo.search.objectives import Objective, optimized
from distilbo.search.pareto import reference_point
from distilbo.search.space import SearchSpace


@dataclass(frozen=True)
class StepScale:
    """Training steps as a surrogate input: log(steps), scaled to 0 at the first rung (`low` steps)
    and 1 at the top one (`high`). History rows then say their `steps`; suggestions are for the top
    rung, and observed points below it enter the front as the GP's draws at the top."""

    low: float
    high: float

    def encode(self, steps) -> np.ndarray:
        return np.log(np.asarray(steps, dtype=float) / self.low) / np.log(self.high / self.low)


def study_steps(search: Mapping) -> StepScale | None:
    """The step scale of a study's search section (None without search.fidelity: one budget)."""
    steps = (search.get("fidelity") or {}).get("steps")
    return StepScale(steps[0], steps[-1]) if steps else None


def promotion_gains(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame,
                    candidates: pd.DataFrame, n: int, steps: StepScale, seed: int = 0) -> tuple[list[int], list[float]]:
    """The n candidates (positions in `candidates`, best first) whose continuation to the top rung
    is expected to add most hypervolume to the front measured there, each conditioned on the ones
    before it, and their expected improvements. The surrogate is suggest's (every successful
    measurement of `history`, log(steps) an input), so a candidate's own lower-rung measurement and
    every other trial's learning curve inform its top-rung draw; the front holds only what was
    measured at the top rung (what a study can ship at full budget). Candidates carry the measured
    values of computed objectives. Where no candidate improves in any draw, their order is kept."""
    from distilbo.search.surrogate import Observed, Surrogate

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
    samples, _, _, fronts = surrogate.draws(pool, rng, Observed(X_top, F_top, np.ones(len(X_top), bool)))
    order = -np.arange(len(pool), dtype=float)  # the caller's ranking, for candidates that add nothing
    ehvi = ExpectedHVI(samples, fronts, reference_point(history, objectives), np.ones(len(pool)), objectives)
    return greedy_batch(ehvi, n, order)
