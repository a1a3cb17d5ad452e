"""The training loop shared by the teacher (hard labels only) and every student (soft + hard).

loss = alpha_ce * T^2 * KL(teacher/T || student/T)  (mean of start and end, real tokens only)
     + (1 - alpha_ce) * cross-entropy on the gold start/end  (labeled windows only)
     + alpha_hidden * mean over layer pairs of (1 - cos(student layer j, teacher layer t))
       (pairs: each layer and the teacher layer it came from, or the last layers; students.hidden_pairs)
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup, get_wsd_schedule

from distilbo.data.batches import MASKED_LOGIT, WindowSet, collate, length_grouped_batches
from distilbo.models.families import model_inputs
from distilbo.qa.inference import pick_device
from distilbo.records import schema
from distilbo.records.metrics import CURVE_METRICS

log = logging.getLogger(__name__)


class TrainingFailed(RuntimeError):
    """A run that failed for a reason a study records and moves past (divergence, out of memory)."""


@dataclass(frozen=True)
class TrainConfig:
    """One run's training settings: the config's teacher.train / student.train. Its fields are exactly
    the schema's $defs/train, where their types, ranges and defaults are written (tests/test_layers.py)."""

    epochs: float
    max_steps: int | None
    batch_size: int
    learning_rate: float
    weight_decay: float
    adam_epsilon: float
    warmup_steps: int
    max_grad_norm: float
    decay_steps: int | None
    eval_every: int | None
    freeze_word_embeddings: bool
    seed: int
    alpha_ce: float
    temperature: float
    alpha_hidden: float
    hidden_layers: str
    answerable_fraction: float | None
    eval_subsample: int | None
    autocast: str

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Settings from a complete config section (a study's stages complete it once,
        distilbo.stages.settings). A key spelt as before a rename (schema.RENAMED_TRAIN) is read
        under its new name, with a warning."""
        d = schema.renamed_train(d, "training settings", warn=log.warning)
        fields = set(cls.__dataclass_fields__)
        unknown, missing = set(d) - fields, fields - set(d)
        if unknown:
            raise ValueError(f"unknown training setting(s) {sorted(unknown)}; known: {sorted(fields)}")
        if missing:
            raise ValueError(f"training settings lack {sorted(missing)}: pass a complete section, or use "
                             "TrainConfig.with_defaults for the schema's defaults")
        return cls(**d)

    @classmethod
    def with_defaults(cls, d: dict | None = None) -> "TrainConfig":
        """Settings from `d`, the schema's $defs/train defaults for what it leaves out: for code that
        trains outside a study (benchmarks, notebooks)."""
        d = schema.renamed_train(d or {}, "training settings", warn=log.warning)
        return cls.from_dict(schema.completed(d, "$defs", "train"))


@dataclass
class TrainResult:
    curve: pd.DataFrame  # one row per evaluation (distilbo.records.metrics.CURVE_COLUMNS)
    final: Any = None  # what `evaluate` returned after the last step (None without evaluate)
    eval_seconds: float = 0.0  # of the run's time, what its evaluations took


@dataclass
class Losses:
    total: torch.Tensor
    soft: torch.Tensor
    hard: torch.Tensor
    hidden: torch.Tensor | None = None


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


def freeze_word_embeddings(model: torch.nn.Module) -> None:
    """Half of a small BERT's weights: freezing them halves the optimizer's work."""
    model.get_input_embeddings().weight.requires_grad_(False)


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters, no weight decay on biases and norms."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, eps=cfg.adam_epsilon)


def epoch_batches(data: WindowSet, cfg: TrainConfig, rng: np.random.Generator) -> list[np.ndarray]:
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


# Hooks: a loss over (model output, batch, cfg) and a collate over (data, indices, device), so an
# experiment can add a term or a batch field without copying the loop.
LossFn = Callable[[Any, dict, "TrainConfig"], Losses]  # (the model's output, the batch, the settings)
CollateFn = Callable[[WindowSet, np.ndarray, torch.device], dict]


def default_loss(out, batch: dict, cfg: TrainConfig) -> Losses:
    # the losses in fp32: softmax over a few hundred positions loses too much in half precision
    losses = distillation_loss(out.start_logits.float(), out.end_logits.float(), batch, cfg.alpha_ce, cfg.temperature)
    if cfg.alpha_hidden > 0 and "teacher_hidden" in batch:
        student = [out.hidden_states[j + 1] for j in batch["student_layers"]]
        losses.hidden = hidden_state_loss(student, batch["teacher_hidden"], batch["attention_mask"].bool())
        losses.total = losses.total + cfg.alpha_hidden * losses.hidden
    return losses


def hidden_state_loss(student: list[torch.Tensor], teacher: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
    """Mean over layer pairs of 1 - cosine(student, teacher) over the hidden dimension, averaged over
    real tokens: 0 when every state points the teacher's way, whatever its length (DistilBERT's
    cosine loss; scale-free, so it needs no normalization against the teacher's growing norms)."""
    weights = mask.float() / mask.sum()
    return torch.stack([((1 - F.cosine_similarity(s.float(), t.float(), dim=-1)) * weights).sum()
                        for s, t in zip(student, teacher)]).mean()


def with_teacher_hidden(collate_fn: CollateFn, teacher: torch.nn.Module, pairs: list[tuple[int, int]],
                        teacher_ids: np.ndarray | None = None) -> CollateFn:
    """A collate hook that adds the teacher's hidden states for intermediate-layer distillation:
    `pairs` maps each student layer to the teacher layer it was copied from. The teacher runs
    without gradients on every batch (its cost: one forward of the teacher per step).
    `teacher_ids`: the teacher's id of each of the batches' ids (a trimmed student's vocabulary)."""
    teacher.eval().requires_grad_(False)
    to_teacher = None if teacher_ids is None else torch.as_tensor(teacher_ids, dtype=torch.long)

    def collate_with_teacher(data: WindowSet, idx: np.ndarray, device: torch.device) -> dict:
        batch = collate_fn(data, idx, device)
        inputs = model_inputs(teacher, batch)
        if to_teacher is not None:
            inputs["input_ids"] = to_teacher.to(device)[batch["input_ids"]]
        with torch.no_grad():
            states = teacher.to(device)(**inputs, output_hidden_states=True).hidden_states
        batch["student_layers"] = [j for j, _ in pairs]
        batch["teacher_hidden"] = [states[t + 1] for _, t in pairs]
        return batch

    return collate_with_teacher


Evaluate = Callable[[torch.nn.Module], tuple[dict, Any]]


def autocast_dtype(autocast: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of an autocast setting on a device (None: plain fp32)."""
    if autocast == "fp32" or (autocast == "auto" and device.type != "cuda"):
        return None
    if autocast == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16}[autocast]


def train(model: torch.nn.Module, data: WindowSet, cfg: TrainConfig, evaluate: Evaluate | None = None,
          device: torch.device | None = None, loss_fn: LossFn = default_loss, collate_fn: CollateFn = collate,
          evaluate_partial: Evaluate | None = None, resume: dict | None = None,
          save_state: Callable[[dict], None] | None = None) -> TrainResult:
    """Train in place. `evaluate(model)` returns (metrics, anything); it runs after the last step,
    and every eval_every steps before it (`evaluate_partial` there, when given: a cheaper sample).
    With cfg.decay_steps, `save_state` receives the training state (training_state) where the decay
    starts, and `resume` (such a state) continues a run from there: the continued run takes the
    steps a run straight to cfg.max_steps would have. Returns the curve and the last evaluation.
    Raises TrainingFailed on a non-finite loss or when memory runs out."""
    device = device or pick_device()
    dtype = autocast_dtype(cfg.autocast, device)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model.to(device).train()
    if cfg.freeze_word_embeddings:
        freeze_word_embeddings(model)
    steps_per_epoch = len(epoch_batches(data, cfg, np.random.default_rng(cfg.seed)))
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    opt = make_optimizer(model, cfg)
    exact = ExactResume(resume, save_state, total - cfg.decay_steps if cfg.decay_steps else None)
    step, position = exact.restore(model, opt, scaler, rng)
    sched = _schedule(opt, cfg, total, step)
    curve, final, running, eval_seconds = [], None, [], 0.0
    progress = tqdm(total=total, initial=step, desc="train", mininterval=10, unit="step")
    try:
        while step < total:
            exact.epoch(rng)
            batches = epoch_batches(data, cfg, rng)
            for j in range(position, len(batches)):
                exact.before_step(step, j, model, opt, scaler)
                losses = train_step(model, collate_fn(data, batches[j], device), cfg, opt, sched, loss_fn, dtype, scaler)
                running.append((losses.total.item(), losses.soft.item(), losses.hard.item()))
                step += 1
                progress.update()
                if evaluate and ((cfg.eval_every and step % cfg.eval_every == 0) or step == total):
                    scorer = evaluate if step == total else (evaluate_partial or evaluate)
                    began = time.perf_counter()
                    row, final = _evaluation(model, scorer, step, step / steps_per_epoch, sched, running)
                    eval_seconds += time.perf_counter() - began
                    curve.append(row)
                    running = []
                if step >= total:
                    break
            position = 0
    except torch.OutOfMemoryError as err:
        raise TrainingFailed(f"out of memory at step {step}: {err}") from None
    finally:
        progress.close()
    return TrainResult(pd.DataFrame(curve), final, eval_seconds)


def _schedule(opt, cfg: TrainConfig, total: int, step: int):
    """Linear decay after warm-up, or (decay_steps) warmup-stable-decay; `step` steps already taken."""
    if not cfg.decay_steps:
        return get_linear_schedule_with_warmup(opt, cfg.warmup_steps, total, last_epoch=step - 1)
    if cfg.warmup_steps + cfg.decay_steps > total:
        raise ValueError(f"warmup_steps ({cfg.warmup_steps}) + decay_steps ({cfg.decay_steps}) exceed the "
                         f"{total} training steps")
    return get_wsd_schedule(opt, cfg.warmup_steps, cfg.decay_steps, total, decay_type="linear", last_epoch=step - 1)


class ExactResume:
    """A run's exact-resume bookkeeping: `restore` continues from `state` (a training_state, or
    None: from the start); before the step `save_at`, `save` receives the state there. The data
    order's random state is taken at each epoch's start (`epoch`), so a continued run draws the same
    batches as a run straight through."""

    def __init__(self, state: dict | None, save: Callable[[dict], None] | None, save_at: int | None):
        self.state, self.save, self.save_at, self.epoch_rng = state, save, save_at, None

    def restore(self, model, opt, scaler, rng: np.random.Generator) -> tuple[int, int]:
        """(step, batch within its epoch) to start from."""
        return _restore(self.state, model, opt, scaler, rng) if self.state else (0, 0)

    def epoch(self, rng: np.random.Generator) -> None:
        self.epoch_rng = rng.bit_generator.state  # where this epoch's batches come from

    def before_step(self, step: int, position: int, model, opt, scaler) -> None:
        if self.save and step == self.save_at:
            self.save(training_state(step, position, self.epoch_rng, model, opt, scaler))


def training_state(step: int, position: int, epoch_rng: dict, model, opt, scaler) -> dict:
    """What a continued run needs: the step, the batch within its epoch and the data order's random
    state at the epoch's start, the trainable weights, and the optimizer's, scaler's and torch's
    states. Frozen weights are left out (a continued run rebuilds them from the same source)."""
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k not in frozen}
    return {"step": step, "position": position, "epoch_rng": epoch_rng, "weights": weights,
            # copies: the run goes on and updates its optimizer's tensors in place
            "trainable": sorted(trainable), "optimizer": copy.deepcopy(opt.state_dict()),
            "scaler": scaler.state_dict(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def _restore(state: dict, model, opt, scaler, rng: np.random.Generator) -> tuple[int, int]:
    """Load a training_state into a freshly built model and optimizer; returns (step, position)."""
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    if trainable != state["trainable"]:
        raise ValueError(f"the state's trainable weights ({len(state['trainable'])}) are not this model's "
                         f"({len(trainable)}): a different student shape or freeze setting")
    missing, unexpected = model.load_state_dict(state["weights"], strict=False)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    if unexpected or set(missing) - frozen:
        raise ValueError(f"the state does not fit the model: missing {sorted(set(missing) - frozen)}, "
                         f"unexpected {sorted(unexpected)}")
    opt.load_state_dict(state["optimizer"])
    scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["torch_rng"])
    if state.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    rng.bit_generator.state = state["epoch_rng"]
    return int(state["step"]), int(state["position"])


def train_step(model, batch: dict, cfg: TrainConfig, opt, sched, loss_fn: LossFn = default_loss,
               dtype: torch.dtype | None = None, scaler: torch.amp.GradScaler | None = None) -> Losses:
    """One optimizer step on one batch, under autocast to `dtype` when given; the batch's losses."""
    device_type = batch["input_ids"].device.type
    with torch.autocast(device_type, dtype=dtype or torch.float32, enabled=dtype is not None):
        out = model(**model_inputs(model, batch), output_hidden_states="teacher_hidden" in batch)
        losses = loss_fn(out, batch, cfg)
    if not torch.isfinite(losses.total):
        raise TrainingFailed(f"loss became {losses.total.item()} (soft {losses.soft.item()}, hard {losses.hard.item()})")
    opt.zero_grad(set_to_none=True)
    # one path, as nanoGPT's: a disabled scaler (all but fp16 autocast) leaves the loss, the gradients
    # and the step as they are
    scaler = scaler or torch.amp.GradScaler("cpu", enabled=False)
    scaler.scale(losses.total).backward()
    scaler.unscale_(opt)  # clip the true gradients
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
    scaler.step(opt)
    scaler.update()
    sched.step()
    return losses


def _evaluation(model, evaluate, step: int, epoch: float, sched, running: list) -> tuple[dict, Any]:
    """The curve row of one evaluation, and what evaluate returned."""
    model.eval()
    result = evaluate(model)
    model.train()
    metrics = result[0]
    loss, soft, hard = np.mean(running, axis=0) if running else (np.nan, np.nan, np.nan)
    row = dict(step=step, epoch=epoch, lr=sched.get_last_lr()[0], loss=loss, loss_soft=soft, loss_hard=hard,
               eval_questions=metrics.get("total", np.nan))
    row.update({k: metrics.get(k, np.nan) for k in CURVE_METRICS})
    log.info("step %d: loss %.4f %s", step, loss, " ".join(f"{k} {row[k]:.2f}" for k in CURVE_METRICS))
    return row, result
