"""Running a trained model: device choice, batched outputs and logits over windows, and the
latency of answering one question at a time on the CPU."""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from distilbo.data.batches import WindowSet, collate, sorted_batches
from distilbo.models.families import model_inputs


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def batched_outputs(model: torch.nn.Module, data: WindowSet, batch_size: int = 64,
                    device: torch.device | None = None, desc: str | None = None,
                    **model_kwargs) -> Iterator[tuple[np.ndarray, dict, Any]]:
    """(window indices, batch, model output) per length-sorted batch, in eval mode without gradients."""
    device = device or next(model.parameters(), torch.empty(0)).device  # none: an ONNX session, the CPU
    was_training = model.training
    model.eval()
    try:
        for idx in tqdm(sorted_batches(data.lengths, batch_size), desc=desc or "predict", mininterval=10,
                        disable=desc is None):
            b = collate(data, idx, device)
            with torch.no_grad():
                out = model(**model_inputs(model, b), **model_kwargs)
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


def latency(model: torch.nn.Module, data: WindowSet, example_ids, n: int = 50, repeats: int = 3,
            warmup: int = 5, timeout_s: float | None = None) -> dict:
    """Milliseconds per question at batch 1 on the CPU: each of the first n questions' windows run
    one at a time (a question's time sums its windows), `repeats` passes after `warmup` untimed
    questions. Median and interquartile range over every timed question. TimeoutError past
    timeout_s seconds in all."""
    ids = np.asarray(example_ids)
    questions = list(dict.fromkeys(ids))[:n]
    if not questions:
        raise ValueError("latency: no questions to time")
    windows = {q: [collate(data, np.array([i])) for i in np.flatnonzero(ids == q)] for q in questions}
    model = model.to("cpu").eval()
    times, began = [], time.perf_counter()
    with torch.no_grad():
        for k, qid in enumerate(questions[:warmup] + questions * repeats):
            started = time.perf_counter()
            if timeout_s is not None and started - began > timeout_s:
                raise TimeoutError(f"latency: over {timeout_s:g} s after {k} of "
                                   f"{min(warmup, len(questions)) + len(questions) * repeats} questions")
            for b in windows[qid]:
                model(**model_inputs(model, b))
            if k >= min(warmup, len(questions)):
                times.append(1000 * (time.perf_counter() - started))
    q1, median, q3 = statistics.quantiles(times, n=4) if len(times) > 1 else (times[0],) * 3
    return {"latency_ms": median, "latency_iqr_ms": q3 - q1, "latency_questions": len(questions),
            "latency_threads": getattr(model, "threads", torch.get_num_threads()),
            "cpu": cpu_name()}


def cpu_name() -> str:
    """The CPU model, as /proc/cpuinfo names it (platform's answer elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
