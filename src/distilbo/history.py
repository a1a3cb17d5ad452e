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
    return _row_params(table.iloc[trial], fixed)


def _row_params(row: pd.Series, fixed: Mapping) -> dict:
    params = {k: _plain(v) for k, v in row.items() if k not in SUGGESTION_NOTES
              and not k.startswith(("pred_", THRESHOLD_PREFIX))
              and not (isinstance(v, float) and np.isnan(v)) and v is not None}
    return {**dict(fixed), **params}


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def observe_round(suggestions_path: str, metrics_paths: Sequence[str], previous: str | None, out: str,
                  param_names: Sequence[str], deployment: Mapping | None = None) -> pd.DataFrame:
    """Append the round's trials to the history. `deployment` (a study that measures variants):
    {"variants": each trial's variants.json, "latency": the round's latency table, "fixed": the
    fixed parameters}; a trial's scores are then those of the precision it ships."""
    suggestions = pd.read_parquet(suggestions_path)
    timed = read_latency([deployment["latency"]]) if deployment else None
    rows = []
    for k, ((_, s), path) in enumerate(zip(suggestions.iterrows(), metrics_paths)):
        m = json.loads(Path(path).read_text())
        if deployment and m.get("status") == metrics.STATUS_OK:
            precision = _row_params(s, deployment["fixed"]).get(metrics.PRECISION, metrics.PRECISIONS[0])
            m.update(deployed_metrics(deployment["variants"][k], timed, int(s["round"]), int(s["trial"]), precision),
                     **{metrics.PRECISION: precision})
        row = {"round": int(s["round"]), "trial": int(s["trial"]), "status": m.get("status", metrics.STATUS_FAILED),
               "reason": m.get("reason", ""), "origin": s.get("origin", "")}
        row.update({k: s[k] for k in param_names if k in s})
        row.update({k: s[k] for k in s.index if k.startswith(THRESHOLD_PREFIX)})
        row.update({k: m.get(k, np.nan) for k in metrics.TRIAL})
        if deployment:
            row[metrics.PRECISION] = m.get(metrics.PRECISION, "")
        rows.append(row)
    table = pd.DataFrame(rows)
    if previous:
        table = pd.concat([pd.read_parquet(previous), table], ignore_index=True)
    write_parquet(table, out)
    log.info("history: %d trials, %d ok", len(table), int(table["status"].eq(metrics.STATUS_OK).sum()))
    return table


def read_latency(paths: Sequence[str]) -> pd.DataFrame:
    """The latency tables of the deployment stage (one per round), as one table."""
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


def timed_rows(timed: pd.DataFrame, r: int, i: int, precision: str | None = None) -> pd.DataFrame:
    """The latency rows of one trial (of one precision, when given)."""
    mine = timed["round"].eq(r) & timed["trial"].eq(i)
    return timed[mine & timed[metrics.PRECISION].eq(precision) if precision else mine]


def timing_setup(timed: pd.DataFrame) -> str:
    """How the variants were timed, in words (the first row speaks for the study)."""
    if not len(timed):
        return "no variant was timed"
    return (f"{timed['cpu'].iat[0]}, {int(timed['latency_threads'].iat[0])} thread(s), batch 1, median over "
            f"{int(timed['latency_questions'].iat[0])} eval questions")


def deployed_metrics(variants_path: str, timed: pd.DataFrame, r: int, i: int, precision: str) -> dict:
    """What the history records of the variant a trial ships: its scores, size_mb and latency. A
    trial whose variant could not be made or timed has not delivered it: status failed, and why."""
    record = json.loads(Path(variants_path).read_text())
    if record["status"] != metrics.STATUS_OK:
        return {"status": metrics.STATUS_FAILED, "reason": f"deployment: {record['reason']}"}
    row = timed_rows(timed, r, i, precision)
    if not len(row) or row["reason"].iat[0]:
        why = row["reason"].iat[0] if len(row) else "not timed"
        return {"status": metrics.STATUS_FAILED, "reason": f"deployment: {precision} latency: {why}"}
    return {**{k: v for k, v in record[precision].items() if k != "errors"},
            "latency_ms": float(row["latency_ms"].iat[0]), "latency_iqr_ms": float(row["latency_iqr_ms"].iat[0])}
