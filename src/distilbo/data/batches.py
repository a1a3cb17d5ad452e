"""Windows as training batches: length-grouped order and dynamic padding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from distilbo.data.squad import PAD_ID

# Padding value for logits outside a window: finite, so masked KL terms are exactly zero, not NaN.
MASKED_LOGIT = -1.0e4


@dataclass
class WindowSet:
    """Tokenized windows and, for distillation, the teacher's logits per window."""

    input_ids: list[np.ndarray]
    token_type_ids: list[np.ndarray] | None  # None: the tokenizer makes no token types (RoBERTa, ...)
    start_positions: np.ndarray
    end_positions: np.ndarray
    labeled: np.ndarray  # False for unlabeled transfer windows: no hard-label term
    teacher_start: list[np.ndarray] | None = None
    teacher_end: list[np.ndarray] | None = None
    pad_id: int = 0  # the tokenizer's pad token (RoBERTa's position ids count the others)

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.input_ids), dtype=np.int64, count=len(self))

    @classmethod
    def from_frames(cls, windows: pd.DataFrame, labeled: bool, logits: pd.DataFrame | None = None) -> "WindowSet":
        if logits is not None:
            if len(logits) != len(windows) or not np.array_equal(logits["feature_id"], windows["feature_id"]):
                raise ValueError("teacher logits do not match the windows (feature_id differs): "
                                 "re-run teacher_logits after prepare_data")
        return cls(
            input_ids=list(windows["input_ids"]),
            token_type_ids=list(windows["token_type_ids"]) if "token_type_ids" in windows else None,
            start_positions=windows["start_position"].to_numpy(np.int64),
            end_positions=windows["end_position"].to_numpy(np.int64),
            labeled=np.full(len(windows), labeled),
            teacher_start=None if logits is None else list(logits["start_logits"]),
            teacher_end=None if logits is None else list(logits["end_logits"]),
            pad_id=int(windows.attrs.get(PAD_ID, 0)),
        )

    @staticmethod
    def concat(sets: list["WindowSet"]) -> "WindowSet":
        with_teacher = all(s.teacher_start is not None for s in sets)
        with_types = all(s.token_type_ids is not None for s in sets)
        if len({s.pad_id for s in sets}) > 1:
            raise ValueError(f"windows of different tokenizers (pad ids {sorted({s.pad_id for s in sets})})")
        return WindowSet(
            input_ids=[x for s in sets for x in s.input_ids],
            token_type_ids=[x for s in sets for x in s.token_type_ids] if with_types else None,
            start_positions=np.concatenate([s.start_positions for s in sets]),
            end_positions=np.concatenate([s.end_positions for s in sets]),
            labeled=np.concatenate([s.labeled for s in sets]),
            teacher_start=[x for s in sets for x in s.teacher_start] if with_teacher else None,
            teacher_end=[x for s in sets for x in s.teacher_end] if with_teacher else None,
            pad_id=sets[0].pad_id,
        )


def length_grouped_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                           mega: int = 50) -> list[np.ndarray]:
    """Shuffled batches of windows of similar length (as HF's LengthGroupedSampler): shuffle,
    sort within chunks of `mega` batches, cut into batches, shuffle the batch order."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * mega
    batches = []
    for i in range(0, len(order), chunk):
        part = order[i : i + chunk]
        part = part[np.argsort(-lengths[part], kind="stable")]
        batches.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches for inference: longest first, so padding is minimal and memory peaks early."""
    order = np.argsort(-lengths, kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _pad(rows: list[np.ndarray], width: int, value, dtype) -> torch.Tensor:
    out = np.full((len(rows), width), value, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return torch.from_numpy(out)


def collate(ws: WindowSet, idx: np.ndarray, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """One batch padded to its longest window."""
    ids = [ws.input_ids[i] for i in idx]
    width = max(len(x) for x in ids)
    batch = {
        "input_ids": _pad(ids, width, ws.pad_id, np.int64),
        "attention_mask": _pad([np.ones(len(x), np.int64) for x in ids], width, 0, np.int64),
        "start_positions": torch.from_numpy(ws.start_positions[idx]),
        "end_positions": torch.from_numpy(ws.end_positions[idx]),
        "labeled": torch.from_numpy(ws.labeled[idx]),
    }
    if ws.token_type_ids is not None:
        batch["token_type_ids"] = _pad([ws.token_type_ids[i] for i in idx], width, 0, np.int64)
    if ws.teacher_start is not None:
        batch["teacher_start"] = _pad([ws.teacher_start[i] for i in idx], width, MASKED_LOGIT, np.float32)
        batch["teacher_end"] = _pad([ws.teacher_end[i] for i in idx], width, MASKED_LOGIT, np.float32)
    return {k: v.to(device) for k, v in batch.items()}

