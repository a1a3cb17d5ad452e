"""The report's deployment section: every trial's fp32 and int8 variants side by side (size,
latency, quality), which of them enter the history (both when the precision is searched), and what int8 costs in quality."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from distilbo.atomic import read_json
from distilbo.records.layout import DEPLOY_FILES, trial_key
from distilbo.records.metrics import PRECISION, PRECISIONS, STATUS_OK
from distilbo.study.deployment import timed_rows
from distilbo.study.history import trials

COLUMNS = ("round", "trial", PRECISION, "candidate", "size_mb", "latency_ms", "latency_iqr_ms")


def variant_table(history: pd.DataFrame, deploy_dirs: Mapping[str, str], timed: pd.DataFrame,
                  quality: str) -> pd.DataFrame:
    """One row per (successful trial, precision); `timed`: the study's latency tables
    (Deployment.timed); candidate: the variant is a model of the history (and may be on
    the frontier); int8_loss: fp32's quality minus int8's."""
    ok = history[history["status"].eq(STATUS_OK)]
    held = set(zip(ok["round"], ok["trial"], ok[PRECISION]))
    rows = []
    for _, h in trials(ok).iterrows():
        r, i = int(h["round"]), int(h["trial"])
        record = read_json(Path(deploy_dirs[trial_key(r, i)]) / DEPLOY_FILES["variants"], required=("status",))
        for precision in PRECISIONS:
            row = {"round": r, "trial": i, PRECISION: precision, "candidate": (r, i, precision) in held,
                   "size_mb": record[precision]["size_mb"], quality: record[precision].get(quality)}
            t = timed_rows(timed, r, i, precision)
            row.update(t[["latency_ms", "latency_iqr_ms"]].iloc[0].to_dict() if len(t) else {})
            rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=list(COLUMNS) + [quality])
    by_trial = table.pivot_table(index=["round", "trial"], columns=PRECISION, values=quality)
    loss = (by_trial["fp32"] - by_trial["int8"]).rename("int8_loss") if len(by_trial) else pd.Series(dtype=float)
    return table.merge(loss.reset_index(), on=["round", "trial"], how="left")
