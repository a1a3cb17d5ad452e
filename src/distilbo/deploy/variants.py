"""The deployment stage of a study: each trained trial's variants written and scored (rule
variants, beside other trials' training), then timed one trial after another while nothing else
runs (rule latency, once per round), then read into the history by the observe job.

A variant that cannot be made or timed is recorded with its reason; the study goes on."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from distilbo.atomic import InputError, atomic_path, read_json, write_parquet
from distilbo.deploy.onnx import DeployError, OnnxReader, export_onnx, quantize_int8, size_mb
from distilbo.models.loading import load_model
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import latency
from distilbo.records.layout import DEPLOY_FILES
from distilbo.records.metrics import OFFICIAL, PRECISION, PRECISIONS, SPAN, STATUS_FAILED, STATUS_OK, read_trial_metrics

log = logging.getLogger(__name__)

# after the model's key columns
LATENCY_COLUMNS = (PRECISION, "latency_ms", "latency_iqr_ms", "latency_questions",
                   "latency_threads", "cpu", "reason")


def write_variants(model_dir: str, metrics_path: str, evalset: EvalSet, out_dir: str, rescore: bool = False) -> dict:
    """The trial's ONNX fp32 and int8 files and variants.json: per precision, size_mb and the
    scores (fp32: the trial's own, which ONNX Runtime reproduces, or scored anew with `rescore`, as
    the teacher is: its own scores had a verifier; int8: scored anew), or why not."""
    trial = read_trial_metrics(metrics_path)
    with atomic_path(out_dir, is_dir=True) as tmp:
        record = _variants(model_dir, trial, evalset, tmp, rescore)
        (tmp / DEPLOY_FILES["variants"]).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def _variants(model_dir: str, trial: Mapping, evalset: EvalSet, into: Path, rescore: bool) -> dict:
    if trial.get("status") != STATUS_OK:
        return {"status": STATUS_FAILED, "reason": "the trial did not train"}
    try:
        model = load_model(model_dir)
        fp32 = export_onnx(model, into / DEPLOY_FILES["fp32"])
        int8 = quantize_int8(fp32, into / DEPLOY_FILES["int8"])
    except DeployError as err:
        log.error("%s: %s", model_dir, err)
        return {"status": STATUS_FAILED, "reason": str(err)}
    quality = OFFICIAL + SPAN
    record = {"status": STATUS_OK,
              "fp32": {"size_mb": size_mb(fp32), **({k: trial[k] for k in quality if k in trial} if not rescore
                                                    else _scored(evalset, fp32))},
              "int8": {"size_mb": size_mb(int8), **_scored(evalset, int8)}}
    log.info("%s: fp32 %.1f MB, int8 %.1f MB; span_f1 %.2f -> %.2f", model_dir, record["fp32"]["size_mb"],
             record["int8"]["size_mb"], record["fp32"].get("span_f1", float("nan")), record["int8"]["span_f1"])
    return record


def _scored(evalset: EvalSet, onnx_file: Path) -> dict:
    scores, table = evalset.score(OnnxReader(onnx_file))
    return {**{k: scores[k] for k in OFFICIAL + SPAN},
            "errors": table["category"].value_counts().to_dict()}


def write_latency(keys: Sequence[Mapping], deploy_dirs: Sequence[str], evalset: EvalSet,
                  settings: Mapping, out: str) -> pd.DataFrame:
    """One row per (model, precision): the model's key columns (a trial's {"round": r, "trial": i},
    the teacher's {"model": "teacher"}), then its latency at batch 1 on settings["threads"] threads
    over the first settings["latency_questions"] eval questions; a failed run keeps its reason."""
    ids = evalset.windows["example_id"]
    rows = []
    for key, d in zip(keys, deploy_dirs):
        if read_json(Path(d) / DEPLOY_FILES["variants"], required=("status",))["status"] != STATUS_OK:
            continue
        for precision in PRECISIONS:
            row = {**key, PRECISION: precision, "reason": ""}
            path = Path(d) / DEPLOY_FILES[precision]
            if not path.is_file():  # the variants said it was made: a file gone is the machine's fault
                raise InputError(f"{path}: the {precision} variant is missing (removed by hand, or by "
                                 "search.keep_models: frontier, which removes the ONNX files of trials no pick "
                                 "needs: re-timing their round needs keep_models: all)")
            try:
                reader = OnnxReader(path, settings["threads"])
                row.update(latency(reader, evalset.data, ids, n=settings["latency_questions"],
                                   repeats=settings["latency_repeats"], timeout_s=settings["latency_timeout_s"]))
            except (TimeoutError, RuntimeError) as err:  # ONNX Runtime raises RuntimeError subclasses
                log.error("%s %s: %s", key, precision, err)
                row["reason"] = str(err)
            rows.append(row)
    columns = list(keys[0]) if keys else ["round", "trial"]
    table = pd.DataFrame(rows, columns=columns + list(LATENCY_COLUMNS))
    write_parquet(table, out)
    return table
