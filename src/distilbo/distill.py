"""The training loop shared by the teacher (hard labels only) and every student (soft + hard).

loss = alpha_ce * T^2 * KL(teacher/T || student/T)  (mean of start and end, real tokens only)
     + (1 - alpha_ce) * cross-entropy on the gold start/end  (labeled windows only)
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from distilbo.batches import MASKED_LOGIT, WindowSet, collate, length_grouped_batches, sorted_batches

log = logging.getLogger("distilbo.train")


class TrainingFailed(RuntimeError):
    """A run that failed for a reason a study records and moves past (divergence, out of memory)."""


@dataclass(frozen=True)
class TrainConfig:
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    adam_epsilon: float = 1e-8
    warmup_steps: int = 0
    max_grad_norm: float = 1.0
    eval_every: int | None = None
    freeze_word_embeddings: bool = False
    seed: int = 0
    alpha_ce: float = 0.0
    temperature: float = 1.0
    answerable_fraction: float | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown training setting(s) {sorted(unknown)}")
        return cls(**d)


@dataclass
class Losses:
    total: torch.Tensor
    soft: torch.Tensor
    hard: torch.Tensor


def soft_loss(student: torch.Tensor, teacher: torch.Tensor, mask: torch.Tensor, temperature: float) -> torch.Tensor:
    """T^2 * KL(softmax(teacher/T) || softmax(student/T)) per window, over real tokens only."""
    s = student.masked_fill(~mask, MASKED_LOGIT) / temperature
    t = teacher.masked_fill(~mask, MASKED_LOGIT) / temperature
    kl = F.kl_div(F.log_softmax(s, -1), F.log_softmax(t, -1), log_target=True, reduction="none")
    return kl.sum(-1) * temperature**2


def distillation_loss(start: torch.Tensor, end: torch.Tensor, batch: dict, alpha_ce: float,
                      temperature: float) -> Losses:
    """The loss of one batch (see the module docstring); soft over all windows, hard over labeled."""
    mask = batch["attention_mask"].bool()
    zero = start.new_zeros(())
    soft = zero
    if alpha_ce > 0:
        soft = 0.5 * (soft_loss(start, batch["teacher_start"], mask, temperature)
                      + soft_loss(end, batch["teacher_end"], mask, temperature)).mean()
    labeled = batch["labeled"]
    hard = zero
    if alpha_ce < 1 and labeled.any():
        s, e = start[labeled].masked_fill(~mask[labeled], MASKED_LOGIT), end[labeled].masked_fill(~mask[labeled], MASKED_LOGIT)
        hard = 0.5 * (F.cross_entropy(s, batch["start_positions"][labeled])
                      + F.cross_entropy(e, batch["end_positions"][labeled]))
    return Losses(alpha_ce * soft + (1 - alpha_ce) * hard, soft, hard)


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.freeze_word_embeddings:
        # Half of a small BERT's weights: freezing them halves the optimizer's work.
        model.get_input_embeddings().weight.requires_grad_(False)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, eps=cfg.adam_epsilon)


def _epoch_batches(data: WindowSet, cfg: TrainConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches; with answerable_fraction, labeled no-answer windows are subsampled so
    that answer-bearing windows make that share of the labeled ones (unlabeled windows all kept)."""
    keep = np.ones(len(data), bool)
    if cfg.answerable_fraction:
        has = data.labeled & (data.start_positions > 0)
        null = np.flatnonzero(data.labeled & (data.start_positions == 0))
        wanted = int(has.sum() * (1 - cfg.answerable_fraction) / cfg.answerable_fraction)
        if wanted < len(null):
            keep[rng.choice(null, len(null) - wanted, replace=False)] = False
    idx = np.flatnonzero(keep)
    return [idx[b] for b in length_grouped_batches(data.lengths[idx], cfg.batch_size, rng)]


def train(model: torch.nn.Module, data: WindowSet, cfg: TrainConfig,
          evaluate: Callable[[torch.nn.Module], dict] | None = None,
          device: torch.device | None = None) -> pd.DataFrame:
    """Train in place; returns the curve (one row per evaluation). Raises TrainingFailed on a
    non-finite loss or when memory runs out."""
    device = device or pick_device()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model.to(device).train()
    steps_per_epoch = len(_epoch_batches(data, cfg, np.random.default_rng(cfg.seed)))
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    opt = _optimizer(model, cfg)
    sched = get_linear_schedule_with_warmup(opt, cfg.warmup_steps, total)
    curve, step, running = [], 0, []
    progress = tqdm(total=total, desc="train", mininterval=10, unit="step")
    try:
        while step < total:
            for idx in _epoch_batches(data, cfg, rng):
                losses = _step(model, collate(data, idx, device), cfg, opt, sched)
                running.append((losses.total.item(), losses.soft.item(), losses.hard.item()))
                step += 1
                progress.update()
                if evaluate and ((cfg.eval_every and step % cfg.eval_every == 0) or step == total):
                    curve.append(_curve_row(model, evaluate, step, step / steps_per_epoch, sched, running))
                    running = []
                if step >= total:
                    break
    except torch.OutOfMemoryError as err:
        raise TrainingFailed(f"out of memory at step {step}: {err}") from None
    finally:
        progress.close()
    return pd.DataFrame(curve)


def _step(model, batch: dict, cfg: TrainConfig, opt, sched) -> Losses:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                token_type_ids=batch["token_type_ids"])
    losses = distillation_loss(out.start_logits, out.end_logits, batch, cfg.alpha_ce, cfg.temperature)
    if not torch.isfinite(losses.total):
        raise TrainingFailed(f"loss became {losses.total.item()} (soft {losses.soft.item()}, hard {losses.hard.item()})")
    opt.zero_grad(set_to_none=True)
    losses.total.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
    opt.step()
    sched.step()
    return losses


def _curve_row(model, evaluate, step: int, epoch: float, sched, running: list) -> dict:
    model.eval()
    metrics = evaluate(model)
    model.train()
    loss, soft, hard = np.mean(running, axis=0) if running else (np.nan, np.nan, np.nan)
    row = dict(step=step, epoch=epoch, lr=sched.get_last_lr()[0], loss=loss, loss_soft=soft, loss_hard=hard)
    row.update({k: metrics.get(k, np.nan) for k in ("exact", "f1", "HasAns_exact", "NoAns_exact")})
    log.info("step %d: loss %.4f exact %.2f f1 %.2f HasAns_exact %.2f NoAns_exact %.2f", step, loss,
             row["exact"], row["f1"], row["HasAns_exact"], row["NoAns_exact"])
    return row


def batched_outputs(model: torch.nn.Module, data: WindowSet, batch_size: int = 64,
                    device: torch.device | None = None, desc: str | None = None,
                    **model_kwargs) -> Iterator[tuple[np.ndarray, dict, Any]]:
    """(window indices, batch, model output) per length-sorted batch, in eval mode without gradients."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for idx in tqdm(sorted_batches(data.lengths, batch_size), desc=desc or "predict", mininterval=10,
                        disable=desc is None):
            b = collate(data, idx, device)
            with torch.no_grad():
                out = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"],
                            token_type_ids=b["token_type_ids"], **model_kwargs)
            yield idx, b, out
    finally:
        model.train(was_training)


def predict_logits(model: torch.nn.Module, data: WindowSet, batch_size: int = 64,
                   device: torch.device | None = None, desc: str | None = None) -> tuple[list, list]:
    """Start and end logits of every window, each cut to the window's real length."""
    starts: list = [None] * len(data)
    ends: list = [None] * len(data)
    for idx, _, out in batched_outputs(model, data, batch_size, device, desc):
        s, e = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
        for row, i in enumerate(idx):
            starts[i], ends[i] = s[row, : data.lengths[i]], e[row, : data.lengths[i]]
    return starts, ends


def measure_latency(model: torch.nn.Module, data: WindowSet, example_ids, n: int = 20, repeats: int = 3) -> float:
    """Median milliseconds per question at batch 1 on the CPU: each of the first n questions'
    windows run one at a time, `repeats` passes; a question's time is the sum over its windows."""
    model = model.to("cpu").eval()
    ids = np.asarray(example_ids)
    questions = list(dict.fromkeys(ids))[:n]
    times = []
    with torch.no_grad():
        for qid in questions * repeats:
            start = time.perf_counter()
            for i in np.flatnonzero(ids == qid):
                b = collate(data, np.array([i]))
                model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], token_type_ids=b["token_type_ids"])
            times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)
