"""The study's history: one row per trial (round, trial, status, every parameter, every metric),
grown round by round from the suggestions and each trial's metrics.json.

Light on purpose (pandas only, no torch or transformers): the observe job runs it between rounds."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from distilbo import metrics
from distilbo.atomic import write_parquet

log = logging.getLogger("distilbo.history")

# Columns of a suggestions table that describe the suggestion, not the trial's parameters.
SUGGESTION_NOTES = ("round", "trial", "origin", "acquisition", "p_success")
# The thresholds a round was suggested under (relative ones resolved): threshold_<metric> columns,
# carried from the suggestions into the history.
THRESHOLD_PREFIX = "threshold_"


def trial_params(suggestions_path: str, trial: int, fixed: Mapping) -> dict:
    """One trial's parameters: the fixed ones, overridden by the suggestion (NaN means unset)."""
    table = pd.read_parquet(suggestions_path)
    if trial >= len(table):
        raise IndexError(f"{suggestions_path}: no trial {trial} (the round has {len(table)})")
    row = table.iloc[trial].to_dict()
    params = {k: _plain(v) for k, v in row.items() if k not in SUGGESTION_NOTES
              and not k.startswith(("pred_", THRESHOLD_PREFIX))
              and not (isinstance(v, float) and np.isnan(v)) and v is not None}
    return {**dict(fixed), **params}


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def observe_round(suggestions_path: str, metrics_paths: Sequence[str], previous: str | None, out: str,
                  param_names: Sequence[str]) -> pd.DataFrame:
    """Append the round's trials to the history."""
    suggestions = pd.read_parquet(suggestions_path)
    rows = []
    for (_, s), path in zip(suggestions.iterrows(), metrics_paths):
        m = json.loads(Path(path).read_text())
        row = {"round": int(s["round"]), "trial": int(s["trial"]), "status": m.get("status", metrics.STATUS_FAILED),
               "reason": m.get("reason", ""), "origin": s.get("origin", "")}
        row.update({k: s[k] for k in param_names if k in s})
        row.update({k: s[k] for k in s.index if k.startswith(THRESHOLD_PREFIX)})
        row.update({k: m.get(k, np.nan) for k in metrics.TRIAL})
        rows.append(row)
    table = pd.DataFrame(rows)
    if previous:
        table = pd.concat([pd.read_parquet(previous), table], ignore_index=True)
    write_parquet(table, out)
    log.info("history: %d trials, %d ok", len(table), int(table["status"].eq(metrics.STATUS_OK).sum()))
    return table
