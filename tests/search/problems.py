"""Toy problems the search's tests share: a mixed space, two objectives, a history of it."""

import numpy as np
import pandas as pd

from distilbo.search import SearchSpace
from distilbo.search.objectives import Objective

SPEC = {"lr": {"type": "real", "low": 1e-5, "high": 1e-2, "log": True},
        "alpha": {"type": "real", "low": 0.0, "high": 1.0},
        "layers": {"type": "int", "low": 1, "high": 6},
        "act": {"type": "categorical", "choices": ["gelu", "relu"]}}


def brute_front(F):
    return sorted(i for i in range(len(F)) if not any(np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(len(F))))


OBJS = [Objective("exact", "maximize", threshold=40.0), Objective("size", "minimize", source="computed")]


COMPUTED = {"size": lambda d: d["layers"].to_numpy(float) * 10}


def toy_history(n, seed=0, fail=None):
    space = SearchSpace(SPEC)
    h = space.sample(n, seed)
    h["exact"] = 30 + 40 * h["alpha"] + 3 * h["layers"] - 5 * np.abs(np.log10(h["lr"]) + 3.5)
    h["size"] = h["layers"] * 10.0
    h["status"] = "ok"
    if fail is not None:
        h.loc[fail(h), "status"] = "failed"
        h.loc[fail(h), "exact"] = np.nan
    h["round"] = np.arange(n) // 4
    return h


def lucky_history():
    """Two flat objectives at 0.5 observed with noise (sd 0.05) at 16 configurations three times
    each, and one configuration observed once with a lucky (0.3, 0.3)."""
    rng = np.random.default_rng(1)
    grid = np.array([[a, b] for a in np.linspace(0.05, 0.95, 4) for b in np.linspace(0.05, 0.95, 4)])
    X = np.vstack([np.repeat(grid, 3, axis=0), [[0.5, 0.5]]])
    F = np.vstack([0.5 + rng.normal(0, 0.05, (48, 2)), [[0.3, 0.3]]])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "f1": F[:, 0], "f2": F[:, 1], "status": "ok"})


def schema_enum(key: str) -> list:
    from distilbo.records.schema import schema

    return schema()["properties"]["search"]["properties"][key]["enum"]

