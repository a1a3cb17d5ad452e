"""A round's suggestions: the optimizer (distilbo.search) given the study's config, its history,
and the exact parameter count of each candidate student (from the teacher's config)."""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np
import pandas as pd
from transformers import AutoConfig

from distilbo.atomic import write_parquet
from distilbo.history import THRESHOLD_PREFIX
from distilbo.search import SearchSpace, objectives_from_config, suggest
from distilbo.search.objectives import ComputedFn
from distilbo.search.strategy import Budget
from distilbo.students import count_parameters

log = logging.getLogger("distilbo.study")


def computed_metrics(search: Mapping, teacher_config) -> dict[str, ComputedFn]:
    """The functions of the computed metrics (distilbo.metrics.COMPUTED) for this study's students."""
    fixed = dict(search.get("fixed") or {})

    def num_parameters(table: pd.DataFrame) -> np.ndarray:
        rows = table.to_dict("records")
        return np.array([count_parameters(teacher_config, {**fixed, **r}) for r in rows], dtype=float)

    return {"num_parameters": num_parameters}


def suggest_round(search: Mapping, teacher_dir: str, teacher_metrics: Mapping, history_path: str | None, round_: int,
                  out: str) -> pd.DataFrame:
    """The round's q suggestions (round 0: the baseline first, then the initial design), with the
    thresholds they were suggested under (relative ones resolved against `teacher_metrics`)."""
    space = SearchSpace(search["space"])
    objectives = objectives_from_config(search["objectives"], teacher_metrics)
    computed = computed_metrics(search, AutoConfig.from_pretrained(teacher_dir, trust_remote_code=True))
    history = pd.read_parquet(history_path) if history_path else None
    baseline = None
    if search.get("baseline"):
        baseline = {k: v for k, v in search["baseline"].items() if k in space.names}
    table = suggest(space, objectives, history, search["batch_size"], seed=search["seed"] + round_,
                    n_initial=search.get("initial_points"), baseline=baseline, computed=computed,
                    replicates=search.get("replicates") or 0, budget=study_budget(search))
    if baseline is not None and table["origin"].eq("baseline").any():
        # the baseline (and its replicates) may also set parameters that are not searched
        for k, v in search["baseline"].items():
            if k not in space.names:
                table[k] = [v if o in ("baseline", "replicate") else search.get("fixed", {}).get(k)
                            for o in table["origin"]]
    if table["origin"].eq("replicate").any():
        table["seed"] = _replicate_seeds(table["origin"], (search.get("fixed") or {}).get("seed", 0))
    for o in objectives:
        if o.threshold is not None:
            table[f"{THRESHOLD_PREFIX}{o.name}"] = o.threshold
    table.insert(0, "trial", np.arange(len(table)))
    table.insert(0, "round", round_)
    write_parquet(table, out)
    log.info("round %d: %d suggestions\n%s", round_, len(table), table.to_string(max_cols=20))
    return table


def study_budget(search: Mapping) -> Budget | None:
    """The surrogates' budget input of a multi-fidelity study (None without search.fidelity)."""
    steps = (search.get("fidelity") or {}).get("steps")
    return Budget(steps[0], steps[-1]) if steps else None


def _replicate_seeds(origins: pd.Series, seed: int) -> pd.Series:
    """The training seed of each replicate of the baseline (seed + its number); unset elsewhere."""
    number = origins.eq("replicate").cumsum()
    return pd.Series([seed + n if o == "replicate" else pd.NA for o, n in zip(origins, number)], dtype="Int64")
