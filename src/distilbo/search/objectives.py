"""Objectives: a metric, its direction, an optional threshold (a constraint), and its source:
observed (a GP surrogate) or computed (an exact function of the parameters).

An Objective describes; it does not compute. The functions of computed objectives are given to
`suggest` (and `Optimizer`) on their own, so reading a history (frontier, report) needs none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from distilbo.records.labels import STATUS_OK


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str = "maximize"
    threshold: float | None = None
    source: str = "observed"
    optimize: bool = True  # False: a constraint only (must meet its threshold; not part of the frontier)
    noise_sd: float | None = None  # observation noise when known (the GP's is fixed to it); None: inferred
    # stated structure: ((parameter, "increasing" | "decreasing"), ...): the metric does not fall
    # (rise) as the parameter grows, all else equal; the surrogate's trend follows it
    monotone: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if self.direction not in ("maximize", "minimize"):
            raise ValueError(f"objective {self.name}: direction must be maximize or minimize, got {self.direction!r}")
        if self.source not in ("observed", "computed"):
            raise ValueError(f"objective {self.name}: source must be observed or computed, got {self.source!r}")
        if not self.optimize and self.threshold is None:
            raise ValueError(f"objective {self.name}: a constraint needs a threshold")
        for param, way in self.monotone:
            if way not in ("increasing", "decreasing"):
                raise ValueError(f"objective {self.name}: monotone.{param} must be increasing or decreasing, got {way!r}")

    @property
    def sign(self) -> float:
        """Multiplier to a minimization problem."""
        return -1.0 if self.direction == "maximize" else 1.0

    def to_min(self, values) -> np.ndarray:
        return self.sign * np.asarray(values, dtype=float)

    def meets(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        if self.threshold is None:
            return np.isfinite(v)
        return v >= self.threshold if self.direction == "maximize" else v <= self.threshold


def objectives_from_config(spec: Mapping[str, Mapping], teacher: Mapping | None = None) -> list[Objective]:
    """Objectives from the config's search.objectives (checked by distilbo.study.config.check_objectives).
    `teacher`: the teacher's metrics, which resolve thresholds written relative to it."""
    objectives = [Objective(name, s.get("direction", "maximize"), resolve_threshold(name, s.get("threshold"), teacher),
                            s.get("source", "observed"), optimize=s.get("role", "objective") == "objective",
                            noise_sd=s.get("noise_sd"), monotone=tuple((s.get("monotone") or {}).items()))
                  for name, s in spec.items()]
    if len(optimized(objectives)) < 2:
        raise ValueError(f"search.objectives: need at least 2 objectives to optimize, got {len(optimized(objectives))}")
    return objectives


def resolve_threshold(name: str, threshold, teacher: Mapping | None) -> float | None:
    """A threshold as a number: as written, or {teacher_fraction: F} times the teacher's score."""
    if not isinstance(threshold, Mapping):
        return threshold
    if teacher is None:
        raise ValueError(f"search.objectives.{name}: a threshold relative to the teacher needs the teacher's metrics")
    if not isinstance(teacher.get(name), (int, float)):
        raise ValueError(f"search.objectives.{name}: the teacher's metrics record no {name!r} to take a fraction of")
    return float(threshold["teacher_fraction"]) * float(teacher[name])


# A computed objective's values for a table of parameter sets (one row per trial).
ComputedFn = Callable[[pd.DataFrame], np.ndarray]


def check_computed(objectives: list[Objective], computed: Mapping[str, ComputedFn]) -> None:
    missing = [o.name for o in objectives if o.source == "computed" and o.name not in computed]
    if missing:
        raise ValueError(f"computed objective(s) {missing} need a function of the parameters (computed={{name: fn}})")


def optimized(objectives: list[Objective]) -> list[Objective]:
    """The objectives that span the frontier (constraints left out)."""
    return [o for o in objectives if o.optimize]


def feasible(history: pd.DataFrame, objectives: list[Objective]) -> np.ndarray:
    """Trials that succeeded and meet every threshold."""
    ok = history["status"].eq(STATUS_OK).to_numpy(copy=True) if "status" in history else np.ones(len(history), bool)
    for o in objectives:
        ok &= o.meets(history[o.name].to_numpy(dtype=float)) if o.name in history else False
    return ok


def objective_matrix(history: pd.DataFrame, objectives: list[Objective]) -> np.ndarray:
    """Values of the optimized objectives as a minimization matrix [trials, objectives]."""
    objs = optimized(objectives)
    return np.column_stack([o.to_min(history[o.name]) for o in objs]) if len(history) else np.empty((0, len(objs)))


def meets_constraints(objectives: list[Objective], samples: np.ndarray) -> np.ndarray:
    """[S, N]: whether each draw of each candidate (samples [S, N, m], minimization, in the order of
    `objectives`) meets the constraint-only metrics."""
    meets = np.ones(samples.shape[:2], bool)
    for j, o in enumerate(objectives):
        if not o.optimize:
            meets &= o.meets(o.sign * samples[:, :, j])
    return meets
