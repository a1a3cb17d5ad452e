"""The report's rungs section (a study with search.fidelity): each trial's path through the rungs
and the training it took against training every trial to the top rung."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from distilbo.records.layout import trial_key
from distilbo.study.history import trials
from distilbo.study.plan import rung_training

COLUMNS = ("path", "round", "trial", "rung", "steps", "trained_steps", "promoted")


def rung_table(history: pd.DataFrame, search: Mapping, quality: str) -> pd.DataFrame:
    """One row per measurement: `path` names the trial it started as (its rung-0 round and trial),
    trained_steps what its run took (a promotion resumes where its parent's decay started; the
    baseline trains straight to the top rung), and
    promoted whether a later measurement continued it."""
    rows = trials(history).sort_values("rung", kind="stable")
    first: dict[tuple[int, int], str] = {}
    starts = {k: rung_training(search, k) for k in range(len(search["fidelity"]["steps"]))}
    out = []
    for _, h in rows.iterrows():
        key, parent = (int(h["round"]), int(h["trial"])), (int(h["parent_round"]), int(h["parent_trial"]))
        rung = int(h["rung"])
        first[key] = first.get(parent, trial_key(*key)) if rung else trial_key(*key)
        below = starts[rung - 1] if rung and parent[0] >= 0 else None  # the baseline starts at the top
        resumed = below["max_steps"] - below["decay_steps"] if below else 0
        out.append({"path": first[key], "round": key[0], "trial": key[1], "rung": rung, "steps": int(h["steps"]),
                    "trained_steps": int(h["steps"]) - resumed, quality: h[quality], "status": h["status"]})
    table = pd.DataFrame(out)
    parents = set(zip(rows["parent_round"], rows["parent_trial"]))
    table["promoted"] = [(r, i) in parents for r, i in zip(table["round"], table["trial"])]
    return table.reindex(columns=list(COLUMNS) + [quality, "status"])


def compute_saved(table: pd.DataFrame, top_steps: int) -> dict:
    """Steps trained in the study against every trial (every path) trained straight to the top rung."""
    trained, paths = int(table["trained_steps"].sum()), table["path"].nunique()
    every = paths * top_steps
    return {"trained_steps": trained, "paths": paths, "every_trial_at_top": every,
            "saved_share": 1 - trained / every if every else 0.0}
