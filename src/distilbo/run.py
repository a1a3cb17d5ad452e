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
from distilbo.batches import WindowSet
from distilbo.distill import TrainConfig, TrainingFailed, measure_latency, train
from distilbo.evaluation import EvalSet
from distilbo.students import num_parameters

log = logging.getLogger("distilbo.run")

CURVE_COLUMNS = ["step", "epoch", "lr", "loss", "loss_soft", "loss_hard", "exact", "f1", "HasAns_exact", "NoAns_exact"]


def save_model(model: torch.nn.Module, tokenizer, path: str | Path, settings: dict | None = None,
               extra: Callable[[Path], None] | None = None) -> None:
    """`save_pretrained` output, atomically; a head-pruned model carries its class (auto_map).
    `settings` (windows and answer extraction) go into config.json for `distilbo.answer`;
    `extra` writes more into the directory before it appears (the teacher's verifier)."""
    if settings:
        model.config.distilbo = dict(settings)
    if getattr(model.config, "heads_per_layer", None):
        type(model).register_for_auto_class("AutoModelForQuestionAnswering")
    with atomic_path(path, is_dir=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if extra:
            extra(tmp)


def run_training(model: torch.nn.Module, tokenizer, data: WindowSet, evalset: EvalSet, cfg: TrainConfig | None,
                 out: dict[str, str], extra: dict | None = None,
                 save_extra: Callable[[Path], None] | None = None) -> dict:
    """Train, evaluate, and write the run's artifacts to the paths in `out`
    (model, metrics, curve, predictions); with cfg None, evaluate the model as it is.
    `save_extra` adds files to the saved model directory. Returns the metrics."""
    metrics = dict(extra or {}, num_parameters=num_parameters(model))
    started = time.perf_counter()
    try:
        curve = train(model, data, cfg, evaluate=evalset.metrics) if cfg else pd.DataFrame()
    except TrainingFailed as err:
        log.error("run failed: %s", err)
        metrics.update(status="failed", reason=str(err), train_seconds=time.perf_counter() - started)
        _write_failed(out, metrics)
        return metrics
    metrics["train_seconds"] = time.perf_counter() - started
    # train() evaluates after its last step, so a trained model's final scores are already at hand
    scores, predictions = evalset.last if cfg and evalset.last is not None else evalset.score(model)
    metrics.update(scores, status="ok", latency_ms=measure_latency(model, evalset.data, evalset.windows["example_id"]))
    save_model(model, tokenizer, out["model"], evalset.settings, save_extra)
    write_parquet(curve.reindex(columns=CURVE_COLUMNS), out["curve"])
    write_parquet(predictions, out["predictions"])
    write_json(metrics, out["metrics"])
    log.info("exact %.2f f1 %.2f HasAns_f1 %.2f best_f1 %.2f (%d parameters, %.0f s)", metrics["exact"],
             metrics["f1"], metrics.get("HasAns_f1", float("nan")), metrics["best_f1"],
             metrics["num_parameters"], metrics["train_seconds"])
    return metrics


def _write_failed(out: dict[str, str], metrics: dict) -> None:
    """Every output exists, so the workflow goes on; model/ holds only a note."""
    with atomic_path(out["model"], is_dir=True) as tmp:
        (tmp / "FAILED").write_text(metrics["reason"] + "\n")
    write_parquet(pd.DataFrame(columns=CURVE_COLUMNS), out["curve"])
    write_parquet(pd.DataFrame(columns=["id", "title", "prediction", "na_score", "gold_answers", "category"]),
                  out["predictions"])
    write_json(metrics, out["metrics"])
