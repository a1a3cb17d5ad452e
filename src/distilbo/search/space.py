"""The search space from the config: real (linear or log), integer and categorical parameters,
encoded to the unit cube with scikit-optimize's Space."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from skopt.space import Categorical, Integer, Real, Space


class SpaceError(ValueError):
    """A bad parameter definition or value; the message names the parameter."""


def _dimension(name: str, spec: Mapping):
    kind = spec.get("type")
    try:
        if kind == "real":
            low, high = float(spec["low"]), float(spec["high"])
            if spec.get("log") and low <= 0:
                raise SpaceError(f"search.space.{name}: a log scale needs low > 0, got {low}")
            return Real(low, high, prior="log-uniform" if spec.get("log") else "uniform", name=name,
                        transform="normalize")
        if kind == "int":
            return Integer(int(spec["low"]), int(spec["high"]), prior="log-uniform" if spec.get("log") else "uniform",
                           name=name, transform="normalize")
        if kind == "categorical":
            return Categorical(list(spec["choices"]), name=name, transform="normalize")
    except KeyError as err:
        raise SpaceError(f"search.space.{name}: missing key {err.args[0]!r} for type {kind!r}") from None
    except ValueError as err:
        if isinstance(err, SpaceError):
            raise
        raise SpaceError(f"search.space.{name}: {err}") from None
    raise SpaceError(f"search.space.{name}: type must be real, int or categorical, got {kind!r}")


class SearchSpace:
    """Named dimensions; `encode`/`decode` map parameter tables to and from [0, 1]^d."""

    def __init__(self, spec: Mapping[str, Mapping]):
        if not spec:
            raise SpaceError("search.space: no parameters")
        self.names = list(spec)
        self.space = Space([_dimension(n, s) for n, s in spec.items()])

    @property
    def dim(self) -> int:
        return len(self.names)

    def validate(self, params: Mapping, where: str = "parameters") -> None:
        for name, dim in zip(self.names, self.space.dimensions):
            if name not in params:
                raise SpaceError(f"{where}: missing parameter {name!r}")
            if params[name] not in dim:
                raise SpaceError(f"{where}: {name}={params[name]!r} is outside {dim}")

    def encode(self, table: pd.DataFrame | list[Mapping]) -> np.ndarray:
        table = table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table), columns=self.names)
        if not len(table):
            return np.empty((0, self.dim))
        # Column by column (every dimension is normalized to one column): much faster than skopt's
        # row-wise Space.transform, which matters inside the acquisition search.
        return np.column_stack([np.asarray(d.transform(list(table[n]) if isinstance(d, Categorical) else table[n].to_numpy()),
                                           dtype=float) for n, d in zip(self.names, self.space.dimensions)])

    def decode(self, X: np.ndarray) -> pd.DataFrame:
        X = np.clip(np.asarray(X, dtype=float), 0.0, 1.0).reshape(-1, self.dim)
        columns = {n: pd.Series(np.asarray(d.inverse_transform(X[:, j]), dtype=_dtype(d)), dtype=_dtype(d), copy=False)
                   for j, (n, d) in enumerate(zip(self.names, self.space.dimensions))}
        return pd.DataFrame(columns, columns=self.names, copy=False)

    def round_trip(self, X: np.ndarray) -> np.ndarray:
        """Snap points of the cube onto the values the space can take (integers, categories)."""
        if all(isinstance(d, Real) for d in self.space.dimensions):
            return np.clip(np.asarray(X, dtype=float), 0.0, 1.0).reshape(-1, self.dim)  # nothing to snap
        return self.encode(self.decode(X))

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        """A scrambled Sobol design of n points."""
        from scipy.stats import qmc

        power = max(0, int(np.ceil(np.log2(max(n, 1)))))  # Sobol's balance holds for powers of two
        X = qmc.Sobol(self.dim, scramble=True, seed=seed).random_base2(power)[:n]
        return self.decode(X)


def _dtype(dim):
    if isinstance(dim, Integer):
        return np.int64
    if isinstance(dim, Real):
        return np.float64
    return object
