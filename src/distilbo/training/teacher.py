"""The teacher: fine-tuned once on hard labels (or taken as it is), then its logits on every
training and transfer window computed once and stored, so students never run it, and the
importance of its attention heads, for students that keep the important ones."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Mapping

import pandas as pd
import torch

from distilbo.atomic import write_parquet
from distilbo.data.batches import WindowSet
from distilbo.models.heads import importance_table
from distilbo.models.loading import load_initial, load_model
from distilbo.qa import verifier
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import pick_device, predict_logits
from distilbo.training.importance import head_importance
from distilbo.training.loop import TrainConfig, autocast_dtype
from distilbo.training.run import run_training

log = logging.getLogger(__name__)


def finetune(teacher_cfg: Mapping, scoring_cfg: Mapping, window_cfg: Mapping, data_paths: Mapping[str, str],
             out: dict[str, str]) -> dict:
    """Fine-tune the teacher on the training windows (hard labels), or with finetune: false
    evaluate it as it is; either way write the run's artifacts to `out`."""
    train_cfg = dict(teacher_cfg["train"])
    model, tokenizer = load_initial(teacher_cfg["init"], teacher_cfg["random_init"], train_cfg["seed"])
    evalset = EvalSet.load(data_paths["eval_questions"], data_paths["eval_features"], scoring_cfg, window_cfg)
    data = WindowSet.from_frames(pd.read_parquet(data_paths["train_features"]), labeled=True)
    cfg = TrainConfig.from_dict(dict(train_cfg, alpha_ce=0.0)) if teacher_cfg["finetune"] else None
    log.info("teacher %s: %s on %d windows, eval on %d questions", teacher_cfg["init"],
             "fine-tuning" if cfg else "taken as it is", len(data), len(evalset.questions))
    extra = {"role": "teacher", "init": teacher_cfg["init"], "finetuned": bool(cfg)}
    save_extra = None
    if teacher_cfg["verifier"]:
        # Fit first: the verifier does not depend on the reader, so every curve point uses it too.
        save_extra, extra["verifier"], scores = fit_verifier(teacher_cfg["verifier"], data_paths["train_questions"],
                                                             evalset.questions)
        evalset = dataclasses.replace(evalset, verifier_scores=scores)
    return run_training(model, tokenizer, data, evalset, cfg, out, extra=extra, save_extra=save_extra)


def fit_verifier(encoder_source: str, train_questions: str, eval_questions: pd.DataFrame):
    """Fit the answerability verifier on the training questions; returns (how to save it into the
    model directory, a summary for metrics.json, its no-answer score of each eval question)."""
    started = time.perf_counter()
    encoder = verifier.Encoder(encoder_source)
    fitted = verifier.fit(encoder, pd.read_parquet(train_questions), where=f"questions of {train_questions}")
    scores = verifier.no_answer_scores(fitted, encoder, eval_questions)
    summary = {"encoder": encoder_source, "cv_auc": fitted.cv_auc, "C": fitted.C,
               "num_parameters": sum(p.numel() for p in encoder.model.parameters()),
               "seconds": time.perf_counter() - started}
    return (lambda model_dir: fitted.save(model_dir / "verifier", encoder)), summary, scores


def write_logits(model_dir: str, features: Mapping[str, str], out: Mapping[str, str], batch_size: int = 64) -> None:
    """The teacher's start/end logits for every window of each split, one row per window."""
    device = pick_device()
    model = load_model(model_dir).to(device)
    dtype = autocast_dtype("auto", device)  # half precision on a GPU; the logits are stored as fp32
    for split, path in features.items():
        windows = pd.read_parquet(path)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            starts, ends = predict_logits(model, WindowSet.from_frames(windows, labeled=True), batch_size,
                                          desc=f"teacher logits ({split})")
        table = pd.DataFrame({"feature_id": windows["feature_id"], "example_id": windows["example_id"],
                              "start_logits": starts, "end_logits": ends})
        write_parquet(table, out[split])
        log.info("%s: logits of %d windows", split, len(table))


def write_head_importance(model_dir: str, train_features: str, out: str) -> None:
    """The importance of each of the teacher's attention heads on its training windows (distilbo.models.heads)."""
    started = time.perf_counter()
    model = load_model(model_dir).to(pick_device())
    data = WindowSet.from_frames(pd.read_parquet(train_features), labeled=True)
    table = importance_table(head_importance(model, data))
    write_parquet(table, out)
    log.info("head importance of %d heads in %.0f s\n%s", len(table), time.perf_counter() - started,
             table.pivot(index="layer", columns="head", values="importance").round(3).to_string())
