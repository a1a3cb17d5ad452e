"""Evaluating a model on the eval split: logits -> answers -> official metrics and error kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import torch

from distilbo import scoring
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

    @classmethod
    def load(cls, questions_path: str, windows_path: str, scoring_cfg: Mapping | None = None) -> "EvalSet":
        windows = pd.read_parquet(windows_path)
        return cls(pd.read_parquet(questions_path), windows, WindowSet.from_frames(windows, labeled=True),
                   **dict(scoring_cfg or {}))

    def answers(self, model: torch.nn.Module) -> pd.DataFrame:
        starts, ends = predict_logits(model, self.data)
        return scoring.extract_answers(self.windows, starts, ends, dict(zip(self.questions["id"], self.questions["context"])),
                                       self.n_best, self.max_answer_length, self.null_score_diff_threshold)

    def score(self, model: torch.nn.Module) -> tuple[dict, pd.DataFrame]:
        return scoring.score_predictions(self.questions, self.answers(model))

    def metrics(self, model: torch.nn.Module) -> dict:
        return self.score(model)[0]
