"""Answers from start/end logits, with Hugging Face's utils_qa.py conventions (vectorized): the
n-best spans of each window, the best span over a question's windows, and its no-answer score."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd


def extract_answers(windows: pd.DataFrame, start_logits: Sequence[np.ndarray], end_logits: Sequence[np.ndarray],
                    contexts: Mapping[str, str], n_best: int = 20, max_answer_length: int = 30,
                    null_score_diff_threshold: float = 0.0) -> pd.DataFrame:
    """Best answer per question from the logits of its windows (utils_qa.py conventions).

    For each window, the n_best start and end tokens make candidate spans, kept when both lie in
    the context, end >= start and the span is at most max_answer_length tokens. A question's best
    span is the highest start+end logit over all its windows; its null score is the lowest CLS
    score over its windows. The question is answered unless
    null_score - best_span_score > null_score_diff_threshold.

    Returns one row per question: id, prediction (text or ""), best_span (text of the best span,
    even when not predicted), na_score (null_score - best_span_score: the "na prob" for scoring).
    """
    starts, ends, offs_start, offs_end = _padded(windows, start_logits, end_logits)
    null = starts[:, 0] + ends[:, 0]
    valid_tok = offs_start >= 0
    neg = np.float32(-np.inf)
    s = np.where(valid_tok, starts, neg)
    e = np.where(valid_tok, ends, neg)
    k = min(n_best, s.shape[1])
    top_s = np.argsort(-s, axis=1, kind="stable")[:, :k]
    top_e = np.argsort(-e, axis=1, kind="stable")[:, :k]
    si, ei = top_s[:, :, None], top_e[:, None, :]
    score = np.take_along_axis(s, top_s, 1)[:, :, None] + np.take_along_axis(e, top_e, 1)[:, None, :]
    ok = (ei >= si) & (ei - si + 1 <= max_answer_length) & np.isfinite(score)
    score = np.where(ok, score, neg).reshape(len(s), -1)
    flat = score.argmax(axis=1)
    best_score = score[np.arange(len(s)), flat]
    best_s = top_s[np.arange(len(s)), flat // k]
    best_e = top_e[np.arange(len(s)), flat % k]
    per_window = pd.DataFrame({
        "id": windows["example_id"].to_numpy(),
        "null": null,
        "score": best_score,
        "char_start": offs_start[np.arange(len(s)), best_s],
        "char_end": offs_end[np.arange(len(s)), best_e],
    })
    return _aggregate(per_window, contexts, null_score_diff_threshold)


def _padded(windows: pd.DataFrame, start_logits, end_logits):
    """Ragged per-window arrays stacked into [windows, max_len], padding marked as outside context."""
    lengths = np.array([len(x) for x in start_logits])
    width = int(lengths.max()) if len(lengths) else 1
    n = len(lengths)
    starts = np.full((n, width), -np.inf, np.float32)
    ends = np.full((n, width), -np.inf, np.float32)
    o_s = np.full((n, width), -1, np.int64)
    o_e = np.full((n, width), -1, np.int64)
    mask = np.arange(width)[None, :] < lengths[:, None]
    starts[mask] = np.concatenate(list(start_logits)) if n else []
    ends[mask] = np.concatenate(list(end_logits)) if n else []
    o_s[mask] = np.concatenate(windows["offset_start"].to_list()) if n else []
    o_e[mask] = np.concatenate(windows["offset_end"].to_list()) if n else []
    return starts, ends, o_s, o_e


def answer_at(answers: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The answers (columns best_span, na_score) with prediction set as at `threshold`: the best span
    when na_score is at most the threshold, else "" (no answer)."""
    return answers.assign(prediction=np.where(answers["na_score"] <= threshold, answers["best_span"], ""))


def _aggregate(per_window: pd.DataFrame, contexts: Mapping[str, str], threshold: float) -> pd.DataFrame:
    null = per_window.groupby("id", sort=False)["null"].min()
    best = per_window.sort_values("score", ascending=False, kind="stable").drop_duplicates("id")
    best = best.set_index("id").loc[null.index]
    has_span = np.isfinite(best["score"].to_numpy())
    span_text = [contexts[qid][int(a):int(b)] if ok else ""
                 for qid, a, b, ok in zip(best.index, best["char_start"], best["char_end"], has_span)]
    na_score = np.where(has_span, null.to_numpy() - best["score"].to_numpy(), np.inf)
    answered = has_span & (na_score <= threshold)
    return pd.DataFrame({
        "id": null.index.to_numpy(),
        "prediction": np.where(answered, span_text, ""),
        "best_span": span_text,
        "na_score": na_score.astype(np.float64),
    })
