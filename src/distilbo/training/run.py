"""One training run and its artifacts: model/, metrics.json, curve.parquet, predictions.parquet.
A run that fails for a recorded reason (divergence, out of memory) writes status: failed."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from distilbo.atomic import atomic_path, write_json, write_parquet
from distilbo.data.batches import WindowSet, collate
from distilbo.models.loading import num_parameters, save_model
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import latency
from distilbo.records.metrics import CURVE_COLUMNS, PREDICTION_COLUMNS, STATUS_FAILED, STATUS_OK
from distilbo.training.loop import CollateFn, TrainConfig, TrainingFailed, train

log = logging.getLogger(__name__)


def run_training(model: torch.nn.Module, tokenizer, data: WindowSet, evalset: EvalSet, cfg: TrainConfig | None,
                 out: dict[str, str], extra: dict | None = None,
                 save_extra: Callable[[Path], None] | None = None, collate_fn: CollateFn = collate,
                 resume: dict | None = None, save_state: Callable[[dict], None] | None = None,
                 save_dtype: str = "float32") -> dict:
    """Train, evaluate, and write the run's artifacts to the paths in `out`
    (model, metrics, curve, predictions); with cfg None, evaluate the model as it is.
    `save_extra` adds files to the saved model directory; `collate_fn` is the training loop's
    collate hook; `resume` and `save_state` continue a run and keep its state (distilbo.training.loop.train);
    `save_dtype` the saved weights' precision (distilbo.models.loading.SAVE_DTYPES).
    Returns the metrics."""
    metrics = dict(extra or {}, num_parameters=num_parameters(model),
                   embedding_parameters=model.get_input_embeddings().weight.numel())
    started = time.perf_counter()
    try:
        partial = evalset.subset(cfg.eval_subsample).score if cfg and cfg.eval_subsample else None
        result = (train(model, data, cfg, evaluate=evalset.score, evaluate_partial=partial, collate_fn=collate_fn,
                        resume=resume, save_state=save_state) if cfg else None)
    except TrainingFailed as err:
        log.error("run failed: %s", err)
        metrics.update(status=STATUS_FAILED, reason=str(err), train_seconds=time.perf_counter() - started)
        write_without_model(out, metrics)
        return metrics
    metrics["train_seconds"] = time.perf_counter() - started
    curve = result.curve if result else pd.DataFrame()
    # train() evaluates after its last step, so a trained model's final scores are already at hand
    scores, predictions = result.final if result and result.final is not None else evalset.score(model)
    # what the run's time went to (benchmarks/trial_time.py): evaluations apart from training steps
    spent = {"train": metrics["train_seconds"] - (result.eval_seconds if result else 0),
             "evaluate": result.eval_seconds if result else time.perf_counter() - started}
    began = time.perf_counter()
    metrics.update(scores, status=STATUS_OK, eval_questions=scores.get("total"),
                   latency_ms=latency(model, evalset.data, evalset.windows["example_id"], n=20)["latency_ms"])
    spent["latency"], began = time.perf_counter() - began, time.perf_counter()
    save_model(model, tokenizer, out["model"], evalset.settings, save_extra, save_dtype)
    write_parquet(curve.reindex(columns=list(CURVE_COLUMNS)), out["curve"])
    write_parquet(predictions, out["predictions"])
    spent["write"] = time.perf_counter() - began
    metrics["seconds"] = {**metrics.get("seconds", {}), **spent}
    write_json(metrics, out["metrics"])
    log.info("exact %.2f f1 %.2f HasAns_f1 %.2f best_f1 %.2f (%d parameters, %.0f s)", metrics["exact"],
             metrics["f1"], metrics.get("HasAns_f1", float("nan")), metrics["best_f1"],
             metrics["num_parameters"], metrics["train_seconds"])
    return metrics


def write_without_model(out: dict[str, str], metrics: dict) -> None:
    """The outputs of a run that made no model (failed, or a promotion slot with nothing to
    promote): every output exists, so the workflow goes on; model/ holds only a note, named by
    the status, that says why."""
    with atomic_path(out["model"], is_dir=True) as tmp:
        (tmp / metrics["status"].upper()).write_text(metrics["reason"] + "\n")
    write_parquet(pd.DataFrame(columns=list(CURVE_COLUMNS)), out["curve"])
    write_parquet(pd.DataFrame(columns=list(PREDICTION_COLUMNS)), out["predictions"])
    write_json(metrics, out["metrics"])
