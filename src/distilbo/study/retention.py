"""What a study keeps on disk. With search.keep_models: frontier, the weights (and ONNX files) of
trials that can never be picked are removed after each round; with `all` every trial keeps them.

A trial is kept when it is the baseline, on the Pareto set of the search objectives, or not
strictly dominated in the frontier's (quality, size) plane by a feasible trial. The scenario picks
(distilbo.study.frontier.pick_scenarios) are always among the last, and a trial dominated by a recorded
trial stays dominated in every later round: a pruned trial can never become a pick, so a study
extended by more rounds never needs weights it removed.

Only weight files go: a pruned trial keeps its config, tokenizer, metrics, curve, predictions,
variants.json and training state, and its directories keep the timestamp Snakemake dates
directory outputs by, so a finished job stays finished."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from distilbo.atomic import InputError, read_json, write_json
from distilbo.records.labels import ORIGIN_BASELINE
from distilbo.records.layout import has_weights, trial_key
from distilbo.search.objectives import Objective, feasible
from distilbo.search.pareto import pareto_front
from distilbo.study.history import frontier_rows

log = logging.getLogger(__name__)

KEY = ["round", "trial"]
KEEP_MODELS = ("all", "frontier")
# What pruning removes: a model directory's weights, sharded or not, and a deploy directory's ONNX
# files (with their external data).
MODEL_GLOBS = ("*.safetensors", "*.safetensors.index.json", "pytorch_model*.bin")
DEPLOY_GLOBS = ("*.onnx", "*.onnx.data")


def strictly_dominated(quality: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Rows another row beats: at least as good in quality and size, better in one."""
    q, s = quality[:, None], size[:, None]
    beaten = (quality[None, :] >= q) & (size[None, :] <= s) & ((quality[None, :] > q) | (size[None, :] < s))
    return beaten.any(axis=1)


def kept_trials(history: pd.DataFrame, objectives: list[Objective], quality: str, size: str) -> set[tuple[int, int]]:
    """(round, trial) of every trial whose model a study with keep_models: frontier keeps."""
    scored = frontier_rows(history)
    ok = scored[feasible(scored, objectives)]
    keep = ok[~strictly_dominated(ok[quality].to_numpy(float), ok[size].to_numpy(float))]
    parts = [keep, pareto_front(scored, objectives)]
    if "origin" in history:
        parts.append(history[history["origin"].eq(ORIGIN_BASELINE)])
    rows = pd.concat(parts)[KEY].astype(int).drop_duplicates()
    return set(map(tuple, rows.to_numpy()))


def weight_files(run: Mapping[str, str]) -> list[Path]:
    """The files pruning would remove from one trial's "model" (and "deploy") directory."""
    found = [f for g in MODEL_GLOBS for f in Path(run["model"]).glob(g)]
    if run.get("deploy"):
        found += [f for g in DEPLOY_GLOBS for f in Path(run["deploy"]).glob(g)]
    return found


def retain(history_path: str, objectives: list[Objective], frontier_cfg: Mapping, keep_models: str,
           runs: Mapping[str, Mapping[str, str]], out: str) -> dict:
    """Remove the weights of the trials of `runs` (trial key -> its "model" and "deploy"
    directories) that keep_models does not keep, given the history so far; write what was kept,
    pruned and freed to `out` (JSON) and return it. Idempotent: a re-run removes nothing twice."""
    if keep_models not in KEEP_MODELS:
        raise ValueError(f"search.keep_models is {keep_models!r}: expected one of {', '.join(KEEP_MODELS)}")
    history = pd.read_parquet(history_path)
    keys = set(runs)
    if keep_models == "frontier":
        keys = {trial_key(r, i) for r, i in kept_trials(history, objectives, frontier_cfg["quality"],
                                                        frontier_cfg["size"])}
    record = {"keep_models": keep_models, "quality": frontier_cfg["quality"], "size": frontier_cfg["size"],
              "kept": [], "pruned": [], "missing": [], "kept_mb": 0.0, "freed_mb": 0.0}
    for key, run in runs.items():
        files = weight_files(run)
        mb = sum(f.stat().st_size for f in files) / 1e6
        if key in keys:
            record["kept"].append(key)
            record["kept_mb"] += mb
            if not has_weights(run["model"]) and Path(run["model"]).is_dir():
                record["missing"].append(key)
            continue
        for f in files:
            f.unlink(missing_ok=True)
        record["pruned"].append(key)
        record["freed_mb"] += mb
    if record["missing"]:
        log.warning("kept trials without weights (removed by an earlier keep_models: frontier under another "
                    "frontier plane or history): %s", ", ".join(record["missing"]))
    log.info("keep_models %s: %d trials keep their weights (%.1f MB), %d pruned (%.1f MB freed now)",
             keep_models, len(record["kept"]), record["kept_mb"], len(record["pruned"]), record["freed_mb"])
    write_json(record, out)
    return record


def require_kept(key: str, model_dir: str, retained: str | None) -> None:
    """Before a pick is exported: if retention removed its weights, say so (InputError naming the
    retention record); any other missing file is left to distilbo.models.loading.check_model_dir."""
    if retained is None or has_weights(model_dir):
        return
    record = read_json(retained, ("pruned", "missing"), "the study's retained models")
    if key in record["pruned"] or key in record["missing"]:
        raise InputError(
            f"{retained}: the scenario pick {key} has no weights: search.keep_models: frontier removed them when "
            f"it could not be picked (under frontier.quality {record.get('quality')!r} and size "
            f"{record.get('size')!r}, or an earlier history). Pick under those, or re-run the study with "
            "search.keep_models: all into a new results directory")
