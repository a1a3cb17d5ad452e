"""Attention-head importance tables: one row per (layer, head) of the teacher, as the study stores
them (teacher/head-importance.parquet) and as students read them to keep each layer's most
important heads (`head_choice: importance`). The importance itself is computed by
distilbo.training.importance."""

from __future__ import annotations

import numpy as np
import pandas as pd

IMPORTANCE_COLUMNS = ("layer", "head", "importance")


def importance_table(importance: np.ndarray) -> pd.DataFrame:
    """One row per (layer, head), the file a study stores (teacher/head-importance.parquet)."""
    layers, heads = np.indices(importance.shape)
    return pd.DataFrame({"layer": layers.ravel(), "head": heads.ravel(), "importance": importance.ravel()})


def read_importance(path: str) -> np.ndarray:
    """The (layers, heads) array of a stored importance table; errors name the file."""
    table = pd.read_parquet(path)
    missing = set(IMPORTANCE_COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(f"{path}: not a head-importance table (missing columns {sorted(missing)})")
    shape = (int(table["layer"].max()) + 1, int(table["head"].max()) + 1)
    if len(table) != shape[0] * shape[1]:
        raise ValueError(f"{path}: expected {shape[0] * shape[1]} rows (every layer x head), found {len(table)}")
    out = np.zeros(shape)
    out[table["layer"], table["head"]] = table["importance"]
    return out
