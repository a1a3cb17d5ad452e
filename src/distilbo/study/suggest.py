"""A round's suggestions: the optimizer (distilbo.search) given the study's config, its history,
and the exact parameter count of each candidate student (from the teacher's config)."""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from distilbo.atomic import write_parquet
from distilbo.models.loading import load_config
from distilbo.models.students import ParameterCounter
from distilbo.records.labels import ORIGIN_BASELINE, ORIGIN_REPLICATE, ORIGIN_WARM_START
from distilbo.search import SearchSpace, objectives_from_config, suggest
from distilbo.search.objectives import ComputedFn
from distilbo.search.space import SpaceError
from distilbo.search.steps import StepScale, study_steps
from distilbo.study.history import THRESHOLD_PREFIX

log = logging.getLogger(__name__)


def computed_metrics(search: Mapping, teacher_config) -> dict[str, ComputedFn]:
    """The functions of the computed metrics (distilbo.records.metrics.COMPUTED) for this study's students."""
    fixed = dict(search.get("fixed") or {})
    count = ParameterCounter(teacher_config)

    def num_parameters(table: pd.DataFrame) -> np.ndarray:
        rows = table.to_dict("records")
        return np.array([count({**fixed, **r}) for r in rows], dtype=float)

    return {"num_parameters": num_parameters}


def student_config(source_dir: str, vocab_size: int | None = None):
    """The config students are cut from, with a trimmed vocabulary's size when given."""
    config = load_config(source_dir)
    if vocab_size is not None:
        config.vocab_size = int(vocab_size)
    return config


def suggest_round(search: Mapping, source_dir: str, teacher_metrics: Mapping, history_path: str | None, round_: int,
                  out: str, student_steps: int | None = None, pending_paths: Sequence[str] = (),
                  vocab_size: int | None = None) -> pd.DataFrame:
    """The round's q suggestions (round 0: the baseline first, then the initial design), with the
    thresholds they were suggested under (relative ones resolved against `teacher_metrics`). The
    surrogates also learn from the trials of search.warm_start (`student_steps`: the steps a trial
    of this study trains, student.train.max_steps, to tell which imported trials compare).
    `source_dir`: the model students are cut from (the teacher, or student.base), whose config
    sizes them (with `vocab_size` word embeddings: a trimmed vocabulary's). `pending_paths`: the
    suggestions of the rounds still training (search.overlap)."""
    space = SearchSpace(search["space"])
    objectives = objectives_from_config(search["objectives"], teacher_metrics)
    computed = computed_metrics(search, student_config(source_dir, vocab_size))
    history = pd.read_parquet(history_path) if history_path else None
    warm = warm_start_rows(search, space, student_steps)
    if len(warm):
        history = pd.concat([warm, history], ignore_index=True) if history is not None else warm
    baseline = None
    if search.get("baseline"):
        baseline = {k: v for k, v in search["baseline"].items() if k in space.names}
    pending = pd.concat([pd.read_parquet(p) for p in pending_paths], ignore_index=True) if pending_paths else None
    table = suggest(space, objectives, history, search["batch_size"], seed=search["seed"] + round_,
                    n_initial=search.get("initial_points"), baseline=baseline, computed=computed,
                    replicates=search.get("replicates") or 0, steps=study_steps(search), pending=pending,
                    cost_aware=search.get("cost_aware", False), acquisition=search.get("acquisition", "auto"))
    if round_ == 0 and baseline is not None and not table["origin"].eq(ORIGIN_BASELINE).any():
        # imported trials are the surrogates' to learn from; the study still runs its own baseline
        first = pd.DataFrame([{**baseline, "origin": ORIGIN_BASELINE, "acquisition": float("nan")}])
        table = pd.concat([first, table.iloc[:-1]], ignore_index=True)
    if baseline is not None and table["origin"].eq(ORIGIN_BASELINE).any():
        # the baseline (and its replicates) may also set parameters that are not searched
        for k, v in search["baseline"].items():
            if k not in space.names:
                table[k] = [v if o in (ORIGIN_BASELINE, ORIGIN_REPLICATE) else search.get("fixed", {}).get(k)
                            for o in table["origin"]]
    if table["origin"].eq(ORIGIN_REPLICATE).any():
        table["seed"] = _replicate_seeds(table["origin"], (search.get("fixed") or {}).get("seed", 0))
    for o in objectives:
        if o.threshold is not None:
            table[f"{THRESHOLD_PREFIX}{o.name}"] = o.threshold
    table.insert(0, "trial", np.arange(len(table)))
    table.insert(0, "round", round_)
    write_parquet(table, out)
    log.info("round %d: %d suggestions\n%s", round_, len(table), table.to_string(max_cols=20))
    return table


def warm_start_rows(search: Mapping, space: SearchSpace, student_steps: int | None) -> pd.DataFrame:
    """The trials of search.warm_start's observation tables that fit this study: inside its space,
    and trained for steps it compares with (a rung study: within its rungs; else its own steps).
    The others are reported and skipped."""
    rows, scale = [], study_steps(search)
    for path in search.get("warm_start") or []:
        table = pd.read_parquet(path)
        if "steps" not in table:
            table = table.assign(steps=student_steps)
        skipped = []
        for k, row in table.iterrows():
            why = _misfit(row, space, scale, student_steps)
            if why:
                skipped.append(f"row {k} (round {row.get('round')}, trial {row.get('trial')}): {why}")
            else:
                rows.append(row)
        log.info("search.warm_start %s: %d of %d trials imported", path, len(table) - len(skipped), len(table))
        if skipped:
            log.warning("search.warm_start %s: %d skipped:\n  %s", path, len(skipped), "\n  ".join(skipped))
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).reset_index(drop=True).assign(origin=ORIGIN_WARM_START, round=-1)


def _misfit(row: pd.Series, space: SearchSpace, scale: StepScale | None, student_steps: int | None) -> str:
    """Why an imported trial does not fit this study ("" when it does)."""
    try:
        space.validate(row.to_dict(), "search.warm_start")
    except SpaceError as err:
        return str(err).removeprefix("search.warm_start: ")
    steps = row.get("steps")
    if scale is not None:
        if pd.isna(steps) or not scale.low <= steps <= scale.high:
            return f"trained {steps} steps, outside this study's rungs ({scale.low:g} to {scale.high:g})"
    elif pd.notna(steps) and student_steps is not None and steps != student_steps:
        return f"trained {steps} steps, this study's trials train {student_steps}"
    return ""


def _replicate_seeds(origins: pd.Series, seed: int) -> pd.Series:
    """The training seed of each replicate of the baseline (seed + its number); unset elsewhere."""
    number = origins.eq(ORIGIN_REPLICATE).cumsum()
    return pd.Series([seed + n if o == ORIGIN_REPLICATE else pd.NA for o, n in zip(origins, number)], dtype="Int64")
