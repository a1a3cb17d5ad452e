"""What a study keeps on disk (search.keep_models: frontier): the weights of trials that can never
be picked are removed after each round. WORK IN PROGRESS (issue 31, item 2): not wired into the
workflow yet.

A trial is kept when it is the baseline, on the Pareto set of the search objectives, or not
strictly dominated in the frontier's (quality, size) plane by a feasible trial. The scenario picks
(distilbo.frontier.pick_scenarios) are always among the last, and a trial dominated by a recorded
trial stays dominated in every later round: a pruned trial can never become a pick."""

from __future__ import annotations

import numpy as np
import pandas as pd

from distilbo.search.objectives import Objective, feasible
from distilbo.search.pareto import pareto_front

KEY = ["round", "trial"]


def strictly_dominated(quality: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Rows another row beats: at least as good in quality and size, better in one."""
    q, s = quality[:, None], size[:, None]
    beaten = (quality[None, :] >= q) & (size[None, :] <= s) & ((quality[None, :] > q) | (size[None, :] < s))
    return beaten.any(axis=1)


def kept_trials(history: pd.DataFrame, objectives: list[Objective], quality: str, size: str) -> set[tuple[int, int]]:
    """(round, trial) of every trial whose model a study with keep_models: frontier keeps."""
    ok = history[feasible(history, objectives)]
    keep = ok[~strictly_dominated(ok[quality].to_numpy(float), ok[size].to_numpy(float))]
    parts = [keep, pareto_front(history, objectives)]
    if "origin" in history:
        parts.append(history[history["origin"].eq("baseline")])
    rows = pd.concat(parts)[KEY].astype(int).drop_duplicates()
    return set(map(tuple, rows.to_numpy()))
