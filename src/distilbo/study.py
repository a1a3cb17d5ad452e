"""The study's glue between the optimizer and the trials: suggestions for a round, and the
observation table (one row per trial: round, trial, status, every parameter, every metric)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from transformers import AutoConfig

from distilbo.atomic import write_parquet
from distilbo.search import SearchSpace, objectives_from_config, suggest
from distilbo.search.objectives import Objective
from distilbo.students import count_parameters

log = logging.getLogger("distilbo.study")

METRICS = ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "best_exact", "best_f1", "span_exact",
           "span_f1", "num_parameters", "latency_ms", "train_seconds")


def study_objectives(search: Mapping, teacher_config) -> list[Objective]:
    """Objectives from the config; num_parameters is computed exactly from the teacher's config."""
    fixed = dict(search.get("fixed") or {})

    def num_parameters(table: pd.DataFrame) -> np.ndarray:
        rows = table.to_dict("records")
        return np.array([count_parameters(teacher_config, {**fixed, **r}) for r in rows], dtype=float)

    return objectives_from_config(search["objectives"], {"num_parameters": num_parameters})


def teacher_config(model_dir: str):
    return AutoConfig.from_pretrained(model_dir, trust_remote_code=True)


def suggest_round(search: Mapping, teacher_dir: str, history_path: str | None, round_: int, out: str) -> pd.DataFrame:
    """The round's q suggestions (round 0: the baseline first, then the initial design)."""
    space = SearchSpace(search["space"])
    objectives = study_objectives(search, teacher_config(teacher_dir))
    history = pd.read_parquet(history_path) if history_path else None
    baseline = None
    if search.get("baseline"):
        baseline = {k: v for k, v in search["baseline"].items() if k in space.names}
    table = suggest(space, objectives, history, search["batch_size"], seed=search["seed"] + round_,
                    n_initial=search.get("initial_points"), baseline=baseline)
    if baseline is not None and table["origin"].eq("baseline").any():
        # the baseline may also set parameters that are not searched
        for k, v in search["baseline"].items():
            if k not in space.names:
                table[k] = [v if o == "baseline" else search.get("fixed", {}).get(k) for o in table["origin"]]
    table.insert(0, "trial", np.arange(len(table)))
    table.insert(0, "round", round_)
    write_parquet(table, out)
    log.info("round %d: %d suggestions\n%s", round_, len(table), table.to_string(max_cols=20))
    return table


def trial_params(suggestions_path: str, trial: int, fixed: Mapping) -> dict:
    """One trial's parameters: the fixed ones, overridden by the suggestion (NaN means unset)."""
    table = pd.read_parquet(suggestions_path)
    if trial >= len(table):
        raise IndexError(f"{suggestions_path}: no trial {trial} (the round has {len(table)})")
    row = table.iloc[trial].to_dict()
    drop = {"round", "trial", "origin", "acquisition", "p_success"}
    params = {k: _plain(v) for k, v in row.items() if k not in drop and not k.startswith("pred_")
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
        row = {"round": int(s["round"]), "trial": int(s["trial"]), "status": m.get("status", "failed"),
               "reason": m.get("reason", ""), "origin": s.get("origin", "")}
        row.update({k: s[k] for k in param_names if k in s})
        row.update({k: m.get(k, np.nan) for k in METRICS})
        rows.append(row)
    table = pd.DataFrame(rows)
    if previous:
        table = pd.concat([pd.read_parquet(previous), table], ignore_index=True)
    write_parquet(table, out)
    log.info("history: %d trials, %d ok", len(table), int(table["status"].eq("ok").sum()))
    return table
