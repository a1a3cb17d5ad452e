"""Pareto tools: non-dominated feasible trials and hypervolume (pymoo), per-round hypervolume trace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pymoo.indicators.hv import HV
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from distilbo.records.labels import STATUS_OK
from distilbo.search.objectives import Objective, feasible, objective_matrix, optimized


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows of a minimization matrix."""
    if len(F) == 0:
        return np.empty(0, dtype=int)
    return np.sort(NonDominatedSorting().do(F, only_non_dominated_front=True))


def pareto_front(history: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """The feasible trials no other feasible trial dominates (thresholds applied)."""
    ok = history[feasible(history, objectives)]
    return ok.iloc[non_dominated(objective_matrix(ok, objectives))]


def reference_point(history: pd.DataFrame, objectives: list[Objective], margin: float = 0.1) -> np.ndarray:
    """Minimization reference point: at each threshold, else the worst observed value plus a margin."""
    ok = history[history["status"].eq(STATUS_OK)] if "status" in history else history
    F = objective_matrix(ok, objectives)
    ref = []
    for j, o in enumerate(optimized(objectives)):
        if o.threshold is not None:
            ref.append(o.to_min(o.threshold))
        elif len(F):
            worst, best = np.nanmax(F[:, j]), np.nanmin(F[:, j])
            ref.append(worst + margin * max(worst - best, abs(worst) * 1e-3, 1e-12))
        else:
            ref.append(np.inf)
    return np.array(ref, dtype=float)


def hypervolume(F: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume of minimization points against ref (points beyond ref count for nothing)."""
    F = np.asarray(F, dtype=float)
    F = F[np.all(F < ref, axis=1)] if len(F) else F
    return float(HV(ref_point=ref)(F)) if len(F) else 0.0


def hypervolume_trace(history: pd.DataFrame, objectives: list[Objective], ref: np.ndarray | None = None) -> pd.DataFrame:
    """Hypervolume of the feasible trials up to and including each round."""
    ref = reference_point(history, objectives) if ref is None else ref
    rows = []
    for r in sorted(history["round"].unique()):
        upto = history[history["round"] <= r]
        front = pareto_front(upto, objectives)
        rows.append({"round": int(r), "trials": len(upto), "frontier_size": len(front),
                     "hypervolume": hypervolume(objective_matrix(front, objectives), ref)})
    return pd.DataFrame(rows)
