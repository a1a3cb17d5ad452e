"""One distillation trial: a student of the given shape and hyperparameters, built from the
fine-tuned teacher (or its pretrained init) and trained on the cached soft targets."""

from __future__ import annotations

import logging
import os
import time
from typing import Mapping

import numpy as np
import pandas as pd
import torch
from transformers import AutoTokenizer

from distilbo.atomic import atomic_path, plain
from distilbo.data.batches import WindowSet, collate
from distilbo.data.vocabulary import read_kept, remap_windows
from distilbo.models.heads import read_importance
from distilbo.models.loading import load_initial, load_model
from distilbo.models.students import build_student, hidden_pairs
from distilbo.models.vocabulary import trim_model
from distilbo.qa.evaluation import EvalSet
from distilbo.records.metrics import PRECISION, STATUS_OK, STATUS_SKIPPED
from distilbo.records.params import TRAIN_PARAMS, TRIAL_PARAMS, StudentShape
from distilbo.records.rungs import RungPlace
from distilbo.training.loop import TrainConfig, with_teacher_hidden
from distilbo.training.run import run_training, write_without_model

log = logging.getLogger(__name__)



def load_training_data(paths: Mapping[str, str], use_transfer: bool = True) -> WindowSet:
    """Training windows (labeled) and transfer windows (unlabeled), each with the teacher's logits."""
    sets = [WindowSet.from_frames(pd.read_parquet(paths["train_features"]), labeled=True,
                                  logits=pd.read_parquet(paths["train_logits"]))]
    if use_transfer and paths.get("transfer_features"):
        transfer = pd.read_parquet(paths["transfer_features"])
        if len(transfer):
            sets.append(WindowSet.from_frames(transfer, labeled=False, logits=pd.read_parquet(paths["transfer_logits"])))
    return WindowSet.concat(sets)


def source_model(student_cfg: Mapping, teacher_dir: str, teacher_cfg: Mapping):
    """The model whose weights a student starts from: the fine-tuned teacher, or the pretrained init."""
    if student_cfg["base"] == "teacher":
        return load_model(teacher_dir)
    if student_cfg["base"] == "init":
        return load_initial(teacher_cfg["init"], teacher_cfg["random_init"])[0]
    return load_initial(student_cfg["base"])[0]


def save_state(state: dict, path: str) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_state(path: str) -> dict:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: the training state a promotion continues is gone (promoted before, "
                                "or its trial was re-run without search.fidelity); re-run its trial")
    # a state holds numpy's generator state (plain dicts) besides tensors: written by distilbo only
    return torch.load(path, weights_only=False)


def skip_slot(out: dict[str, str], where: Mapping) -> dict:
    """The outputs of a promotion slot that found nothing worth promoting."""
    metrics = {**where, "status": STATUS_SKIPPED, "reason": "no trial of the rung below was worth promoting"}
    write_without_model(out, metrics)
    return metrics


def trial_settings(params: Mapping, student_cfg: Mapping, rung: RungPlace | None = None) -> tuple[StudentShape, TrainConfig]:
    """A trial's student shape and training settings: its parameters override student.train's, and
    a rung's budget overrides both. A trial's precision names a deployment variant
    (distilbo.deploy.variants): it trains in fp32."""
    unknown = set(params) - set(TRIAL_PARAMS)
    if unknown:
        raise ValueError(f"trial parameter(s) {sorted(unknown)} are neither student shape "
                         f"({sorted(StudentShape.__dataclass_fields__)}), training settings ({list(TRAIN_PARAMS)}) "
                         f"nor {PRECISION}")
    train = {**dict(student_cfg["train"]), **{k: params[k] for k in TRAIN_PARAMS if k in params},
             **(rung.budget if rung else {})}
    return StudentShape.from_params(params), TrainConfig.from_dict(train)


def build_trial_student(shape: StudentShape, cfg: TrainConfig, student_cfg: Mapping, teacher_cfg: Mapping,
                        paths: Mapping[str, str], kept: np.ndarray | None = None):
    """The student cut to `shape` (its word embeddings to the `kept` teacher ids, when given), and
    the collate function of its batches (with the teacher's hidden states when intermediate layers
    learn from them, cfg.alpha_hidden; the teacher reads its own ids)."""
    source = source_model(student_cfg, paths["teacher_model"], teacher_cfg)
    importance = read_importance(paths["head_importance"]) if shape.head_choice == "importance" else None
    student = build_student(source, shape, importance)
    if kept is not None:
        student = trim_model(student, kept)
    if cfg.alpha_hidden <= 0:
        return student, collate
    teacher = (source if student_cfg["base"] == "teacher"  # already loaded: the source
               else load_model(paths["teacher_model"]))
    pairs = hidden_pairs(teacher.config.num_hidden_layers, shape, cfg.hidden_layers)
    return student, with_teacher_hidden(collate, teacher, pairs, teacher_ids=kept)


def distill_trial(params: Mapping, student_cfg: Mapping, teacher_cfg: Mapping, scoring_cfg: Mapping,
                  window_cfg: Mapping, paths: Mapping[str, str], out: dict[str, str], rung: RungPlace | None = None) -> dict:
    """Train one student (`params`: its shape and hyperparameters): settings, then the student, then
    the run. Writes the run's artifacts and returns its metrics. A promotion (rung.resume)
    continues its parent's run and then removes the parent's state: a measurement is promoted once."""
    began = time.perf_counter()
    shape, cfg = trial_settings(params, student_cfg, rung)
    kept = read_kept(paths["kept"]) if paths.get("kept") else None  # student.vocabulary: trimmed
    student, collate_fn = build_trial_student(shape, cfg, student_cfg, teacher_cfg, paths, kept)
    tokenizer = AutoTokenizer.from_pretrained(paths["tokenizer"] if kept is not None else paths["teacher_model"])
    data = load_training_data(paths, student_cfg["use_transfer"])
    if kept is not None:
        data = remap_windows(data, kept)  # the same tokens, in the trimmed vocabulary's ids
    evalset = EvalSet.load(paths["eval_questions"], paths["eval_features"], scoring_cfg, window_cfg)
    if rung and rung.score_sample and cfg.eval_subsample:  # a cheap look: the curve's sample, to the end
        evalset = evalset.subset(cfg.eval_subsample)
    log.info("student %s on %d windows (%d unlabeled): %s", shape, len(data), int((~data.labeled).sum()), cfg)
    extra = {"role": "student", **{k: plain(v) for k, v in params.items()},
             "seconds": {"load": time.perf_counter() - began}}  # the student, its data and the eval set
    run = dict(extra=extra, collate_fn=collate_fn, save_dtype=student_cfg["save_dtype"])
    if rung:
        extra.update(rung.where, params={k: plain(v) for k, v in params.items()})
        run.update(resume=load_state(rung.resume) if rung.resume else None,
                   save_state=(lambda s: save_state(s, rung.state)) if rung.state else None)
    metrics = run_training(student, tokenizer, data, evalset, cfg, out, **run)
    if rung and rung.resume and metrics["status"] == STATUS_OK:
        os.remove(rung.resume)
    return metrics
