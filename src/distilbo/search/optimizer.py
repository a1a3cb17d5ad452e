"""Ask/tell use of the optimizer outside the workflow (a notebook, another tool)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from distilbo.records.labels import STATUS_OK
from distilbo.search.acquisition import ACQUISITIONS
from distilbo.search.candidates import new_rows
from distilbo.search.objectives import ComputedFn, Objective, check_computed
from distilbo.search.pareto import hypervolume_trace, pareto_front
from distilbo.search.space import SearchSpace
from distilbo.search.strategy import suggest


class Optimizer:
    """opt = Optimizer(space_spec, objectives); opt.ask(q) -> DataFrame; opt.tell(params, metrics).
    `computed` maps each computed objective to its function of the parameters; `acquisition` names
    what ranks a model-based batch (auto, or one of distilbo.search.acquisition.ACQUISITIONS, as
    search.acquisition does for a study). Asked and not yet
    told, a trial is pending: a later ask never suggests it again and conditions on it, so several
    batches may run at once (workers that ask as they free up)."""

    def __init__(self, space: Mapping[str, Mapping] | SearchSpace, objectives: list[Objective], seed: int = 0,
                 n_initial: int | None = None, baseline: Mapping | None = None,
                 computed: Mapping[str, ComputedFn] | None = None, acquisition: str = "auto"):
        self.space = space if isinstance(space, SearchSpace) else SearchSpace(space)
        self.computed = dict(computed or {})
        check_computed(objectives, self.computed)
        self.objectives, self.seed, self.n_initial, self.baseline = objectives, seed, n_initial, baseline
        if acquisition != "auto" and acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition {acquisition!r} is not one of auto, {', '.join(ACQUISITIONS)}")
        self.acquisition = acquisition
        self.history = pd.DataFrame(columns=self.space.names + [o.name for o in objectives] + ["status", "round"])
        self.pending = pd.DataFrame(columns=self.space.names)
        self.round = 0

    def ask(self, q: int = 1) -> pd.DataFrame:
        table = suggest(self.space, self.objectives, self.history, q, seed=self.seed + self.round,
                        n_initial=self.n_initial, baseline=self.baseline, computed=self.computed, pending=self.pending,
                        acquisition=self.acquisition)
        self.pending = pd.concat([self.pending, table[self.space.names]], ignore_index=True) if len(self.pending) \
            else table[self.space.names].reset_index(drop=True)
        self.round += 1
        return table

    def tell(self, params: Mapping | pd.DataFrame, metrics: Mapping | pd.DataFrame, status: str | list = STATUS_OK) -> None:
        p, m = _rows(params), _rows(metrics)
        if len(p) != len(m):
            raise ValueError(f"tell: {len(p)} parameter set(s) but {len(m)} row(s) of metrics")
        rows = pd.concat([p[self.space.names], m[[o.name for o in self.objectives if o.name in m]]], axis=1)
        for o in self.objectives:
            if o.name not in rows:
                rows[o.name] = self.computed[o.name](rows) if o.name in self.computed else float("nan")
        still = new_rows(self.space.encode(self.pending), self.space.encode(p[self.space.names]))
        self.pending = self.pending.iloc[still].reset_index(drop=True)
        rows["status"] = status
        rows["round"] = self.round - 1
        self.history = pd.concat([self.history, rows], ignore_index=True) if len(self.history) else rows

    def frontier(self) -> pd.DataFrame:
        return pareto_front(self.history, self.objectives)

    def trace(self) -> pd.DataFrame:
        return hypervolume_trace(self.history, self.objectives)


def _rows(table: Mapping | pd.DataFrame) -> pd.DataFrame:
    """A table from a DataFrame, a mapping of columns (lists) or one row (scalars)."""
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True)
    if all(np.ndim(v) == 0 for v in table.values()):
        return pd.DataFrame([table])
    return pd.DataFrame({k: list(v) for k, v in table.items()})
