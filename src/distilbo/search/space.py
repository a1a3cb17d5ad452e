"""The search space from the config: real (linear or log), integer and categorical parameters,
encoded to the unit cube with scikit-optimize's Space. A space is checked in plain Python, and
scikit-optimize loads on the first encode or decode: the workflow's parse checks the config's
space without it."""

from __future__ import annotations

from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

KINDS = ("real", "int", "categorical")


class SpaceError(ValueError):
    """A bad parameter definition or value; the message names the parameter."""


def _checked(name: str, spec: Mapping) -> dict:
    """One dimension's spec, checked: its kind, and its bounds or choices."""
    kind = spec.get("type")
    if kind not in KINDS:
        raise SpaceError(f"search.space.{name}: type must be real, int or categorical, got {kind!r}")
    needed = ("choices",) if kind == "categorical" else ("low", "high")
    missing = [k for k in needed if k not in spec]
    if missing:
        raise SpaceError(f"search.space.{name}: missing key {missing[0]!r} for type {kind!r}")
    if kind == "categorical":
        if not list(spec["choices"]):
            raise SpaceError(f"search.space.{name}: no choices")
        return {"type": kind, "choices": list(spec["choices"])}
    cast = float if kind == "real" else int
    low, high = cast(spec["low"]), cast(spec["high"])
    if spec.get("log") and low <= 0:
        raise SpaceError(f"search.space.{name}: a log scale needs low > 0, got {low}")
    if low >= high:
        raise SpaceError(f"search.space.{name}: the lower bound {low} has to be less than the upper bound {high}")
    return {"type": kind, "low": low, "high": high, "log": bool(spec.get("log"))}


def _dimension(name: str, spec: Mapping):
    """scikit-optimize's dimension of a checked spec."""
    from skopt.space import Categorical, Integer, Real

    if spec["type"] == "categorical":
        return Categorical(spec["choices"], name=name, transform="normalize")
    kind = Real if spec["type"] == "real" else Integer
    return kind(spec["low"], spec["high"], prior="log-uniform" if spec["log"] else "uniform", name=name,
                transform="normalize")


def _contains(spec: Mapping, value) -> bool:
    if spec["type"] == "categorical":
        return value in spec["choices"]
    try:
        return bool(spec["low"] <= value <= spec["high"])
    except TypeError:
        return False


def _bounds(spec: Mapping) -> str:
    return f"{spec['choices']}" if spec["type"] == "categorical" else f"[{spec['low']}, {spec['high']}]"


class SearchSpace:
    """Named dimensions; `encode`/`decode` map parameter tables to and from [0, 1]^d."""

    def __init__(self, spec: Mapping[str, Mapping]):
        if not spec:
            raise SpaceError("search.space: no parameters")
        self.names = list(spec)
        self.specs = [_checked(n, s) for n, s in spec.items()]

    @cached_property
    def space(self):
        """scikit-optimize's Space of the dimensions (loaded on first use)."""
        from skopt.space import Space

        return Space([_dimension(n, s) for n, s in zip(self.names, self.specs)])

    @property
    def dim(self) -> int:
        return len(self.names)

    def validate(self, params: Mapping, where: str = "parameters") -> None:
        for name, spec in zip(self.names, self.specs):
            if name not in params:
                raise SpaceError(f"{where}: missing parameter {name!r}")
            if not _contains(spec, params[name]):
                raise SpaceError(f"{where}: {name}={params[name]!r} is outside {spec['type']} {_bounds(spec)}")

    def encode(self, table: pd.DataFrame | list[Mapping]) -> np.ndarray:
        table = table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table), columns=self.names)
        if not len(table):
            return np.empty((0, self.dim))
        # Column by column (every dimension is normalized to one column): much faster than skopt's
        # row-wise Space.transform, which matters inside the acquisition search.
        return np.column_stack([np.asarray(d.transform(list(table[n]) if s["type"] == "categorical" else table[n].to_numpy()),
                                           dtype=float) for n, s, d in zip(self.names, self.specs, self.space.dimensions)])

    def decode(self, X: np.ndarray) -> pd.DataFrame:
        X = np.clip(np.asarray(X, dtype=float), 0.0, 1.0).reshape(-1, self.dim)
        columns = {n: pd.Series(np.asarray(d.inverse_transform(X[:, j]), dtype=_dtype(s)), dtype=_dtype(s), copy=False)
                   for j, (n, s, d) in enumerate(zip(self.names, self.specs, self.space.dimensions))}
        return pd.DataFrame(columns, columns=self.names, copy=False)

    def round_trip(self, X: np.ndarray) -> np.ndarray:
        """Snap points of the cube onto the values the space can take (integers, categories)."""
        if all(s["type"] == "real" for s in self.specs):
            return np.clip(np.asarray(X, dtype=float), 0.0, 1.0).reshape(-1, self.dim)  # nothing to snap
        return self.encode(self.decode(X))

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        """A scrambled Sobol design of n points."""
        from scipy.stats import qmc

        power = max(0, int(np.ceil(np.log2(max(n, 1)))))  # Sobol's balance holds for powers of two
        X = qmc.Sobol(self.dim, scramble=True, seed=seed).random_base2(power)[:n]
        return self.decode(X)


def _dtype(spec: Mapping):
    return {"int": np.int64, "real": np.float64}.get(spec["type"], object)
