"""The study's history: one row per trial (round, trial, status, every parameter, every metric),
grown round by round from the suggestions and each trial's metrics.json; in a study that searches
the precision, one row per variant of a trial (both are real models: either may be picked).

Light on purpose (pandas only, no torch or transformers): the observe job runs it between rounds."""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from distilbo.atomic import plain, write_parquet
from distilbo.records import metrics
from distilbo.records.labels import ORIGIN_BASELINE, ORIGIN_NO_PROMOTION, ORIGIN_VARIANT
from distilbo.records.layout import trial_key
from distilbo.records.metrics import read_trial_metrics
from distilbo.study.deployment import Deployment, deployed_metrics

log = logging.getLogger(__name__)

# Columns of a history row that place a multi-fidelity trial on the rungs (distilbo.study.rungs): its
# rung and steps, and the measurement it continued (-1 for a new trial).
FIDELITY_COLUMNS = ("rung", "steps", "parent_round", "parent_trial")
# Columns of a suggestions (or promotions) table that describe the suggestion, not the trial's
# parameters (resume: the training state a promotion continues).
SUGGESTION_NOTES = ("round", "trial", "origin", "acquisition", "p_success", "resume") + FIDELITY_COLUMNS
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
    params = {k: plain(v) for k, v in row.items() if k not in SUGGESTION_NOTES
              and not k.startswith(("pred_", THRESHOLD_PREFIX)) and not (np.ndim(v) == 0 and pd.isna(v))}
    return {**dict(fixed), **params}


def observe_round(suggestions_path: str, metrics_paths: Sequence[str], previous: str | None, out: str,
                  param_names: Sequence[str], deployment: Deployment | None = None, promotions: Sequence[str] = (),
                  first_steps: int | None = None, fixed: Mapping | None = None,
                  precisions: Sequence[str] = ()) -> pd.DataFrame:
    """Append the round's trials to the history (`metrics_paths`: every trial's, by trial number).
    A multi-fidelity round (`promotions`: its promotions tables) also has a row per promotion slot
    that trained; every row then says its rung, steps and parent (new trials: rung 0 at
    `first_steps`, no parent). `deployment` (a study that measures variants): the round's trials'
    variants and latency table; `fixed`, the fixed parameters, and `precisions`, the variants that
    enter the history (distilbo.study.plan.history_precisions). A successful trial's row then
    holds the scores of the precision it was suggested with; each other precision is a row of its
    own (origin "variant", the same parameters)."""
    sources = pd.read_parquet(suggestions_path)
    if promotions:
        sources = sources.assign(rung=0, steps=first_steps, parent_round=-1, parent_trial=-1)
        slots = pd.concat([pd.read_parquet(p) for p in promotions], ignore_index=True)
        sources = pd.concat([sources, slots[slots["origin"].ne(ORIGIN_NO_PROMOTION)]], ignore_index=True)
    timed = deployment.timed() if deployment else None
    rows = []
    for _, s in sources.iterrows():
        k = int(s["trial"])
        m = read_trial_metrics(metrics_paths[k])
        row = {"round": int(s["round"]), "trial": k, "origin": s.get("origin", "")}
        row.update({n: s[n] for n in FIDELITY_COLUMNS if n in s})
        row.update({n: m[n] for n in ("rung", "steps") if n in m})  # the baseline's: the top rung
        row.update({n: s[n] for n in param_names if n in s})
        row.update({n: s[n] for n in s.index if n.startswith(THRESHOLD_PREFIX)})
        if not deployment:
            rows.append(_trial_row(row, m))
            continue
        suggested = _row_params(s, fixed or {}).get(metrics.PRECISION, metrics.PRECISIONS[0])
        if m.get("status") != metrics.STATUS_OK:
            rows.append(_trial_row(row, m, suggested))
            continue
        variants = deployment.variants_file(trial_key(row["round"], k))
        for precision in [suggested] + [p for p in precisions if p != suggested]:
            variant = {**m, **deployed_metrics(variants, timed, row["round"], row["trial"], precision)}
            mine = row if precision == suggested else {**row, "origin": ORIGIN_VARIANT}
            rows.append(_trial_row(mine, variant, precision))
    table = pd.DataFrame(rows)
    if previous:
        table = pd.concat([pd.read_parquet(previous), table], ignore_index=True)
    write_parquet(table, out)
    log.info("history: %d rows, %d ok", len(table), int(table["status"].eq(metrics.STATUS_OK).sum()))
    return table


def _trial_row(row: dict, m: Mapping, precision: str | None = None) -> dict:
    """A history row: the suggestion's columns, the trial's status and every trial metric; the
    variant's precision in a study that measures variants."""
    out = {**row, "status": m["status"], "reason": m.get("reason", "")}
    out.update({k: m.get(k, np.nan) for k in metrics.TRIAL})
    if precision is not None:
        out[metrics.PRECISION] = precision
    return out


def trials(history: pd.DataFrame) -> pd.DataFrame:
    """One row per trial (the variant it was suggested with): counts of trials, not of models."""
    return history[~history["origin"].eq(ORIGIN_VARIANT)] if "origin" in history else history


def frontier_rows(history: pd.DataFrame) -> pd.DataFrame:
    """The rows the frontier may pick: scored on every eval question. A multi-fidelity study's
    rungs below the top score a fixed sample (search.fidelity.low_rungs): a cheap look that ranks
    students against each other, not a result to ship."""
    if "eval_questions" not in history or history["eval_questions"].isna().all():
        return history  # histories written before eval_questions was recorded
    n = history["eval_questions"]
    return history[n.isna() | n.eq(n.max())]


def baseline_row(history: pd.DataFrame) -> pd.Series | None:
    """The baseline's successful trial (search.baseline), or None."""
    if "origin" not in history:
        return None
    rows = history[history["origin"].eq(ORIGIN_BASELINE) & history["status"].eq(metrics.STATUS_OK)]
    return rows.iloc[0] if len(rows) else None
