"""Evaluating a model on the eval split: logits -> answers -> official metrics and error kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import torch

from distilbo import scoring, verifier
from distilbo.batches import WindowSet
from distilbo.distill import predict_logits


@dataclass
class EvalSet:
    questions: pd.DataFrame
    windows: pd.DataFrame
    data: WindowSet
    n_best: int = 20
    max_answer_length: int = 30
    null_score_diff_threshold: float = 0.0
    max_seq_length: int = 384
    doc_stride: int = 128
    max_query_length: int = 64
    last: tuple[dict, pd.DataFrame] | None = None
    # A verifier's no-answer score per question id (distilbo.verifier), in place of the reader's own.
    verifier_scores: pd.Series | None = None

    @classmethod
    def load(cls, questions_path: str, windows_path: str, scoring_cfg: Mapping | None = None,
             window_cfg: Mapping | None = None) -> "EvalSet":
        """window_cfg: the data stage's max_seq_length, doc_stride, max_query_length."""
        windows = pd.read_parquet(windows_path)
        return cls(pd.read_parquet(questions_path), windows, WindowSet.from_frames(windows, labeled=True),
                   **dict(scoring_cfg or {}), **dict(window_cfg or {}))

    @property
    def settings(self) -> dict:
        """What `distilbo.answer` needs to reproduce these predictions (saved with each model)."""
        return {k: getattr(self, k) for k in ("max_seq_length", "doc_stride", "max_query_length", "n_best",
                                              "max_answer_length", "null_score_diff_threshold")}

    def answers(self, model: torch.nn.Module) -> pd.DataFrame:
        starts, ends = predict_logits(model, self.data)
        out = scoring.extract_answers(self.windows, starts, ends, dict(zip(self.questions["id"], self.questions["context"])),
                                      self.n_best, self.max_answer_length, self.null_score_diff_threshold)
        if self.verifier_scores is not None:
            out = verifier.apply(out, self.verifier_scores, self.null_score_diff_threshold)
        return out

    def score(self, model: torch.nn.Module) -> tuple[dict, pd.DataFrame]:
        """Metrics and the per-question table; also kept as `last` so that the end of a run can
        reuse its final evaluation instead of running the eval split twice."""
        answers = self.answers(model)
        self.last = scoring.score_predictions(self.questions, answers)
        if "reader_na_score" in answers:  # what the reader alone would reach, for comparison
            reader = scoring.score_predictions(self.questions, answers.assign(na_score=answers["reader_na_score"]))[0]
            self.last[0].update({f"reader_{k}": reader[k] for k in ("best_exact", "best_f1")})
        return self.last

    def metrics(self, model: torch.nn.Module) -> dict:
        return self.score(model)[0]
