"""Running a trained model: device choice, batched outputs and logits over windows, and the
latency of answering one question at a time on the CPU."""

from __future__ import annotations

import time
from typing import Any, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from distilbo.batches import WindowSet, collate, sorted_batches


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
