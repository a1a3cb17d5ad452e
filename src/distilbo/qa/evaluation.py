"""Evaluating a model on the eval split: logits -> answers -> official metrics and error kinds."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import torch

from distilbo.data.batches import WindowSet
from distilbo.qa import postprocess, scoring, verifier
from distilbo.qa.inference import predict_logits
from distilbo.records import schema
from distilbo.records.metrics import READER


@dataclass(frozen=True)
class EvalSet:
    """The eval questions and windows, with the settings that turn logits into answers."""

    questions: pd.DataFrame
    windows: pd.DataFrame
    data: WindowSet
    n_best: int
    max_answer_length: int
    null_score_diff_threshold: float
    max_seq_length: int
    doc_stride: int
    max_query_length: int
    # A verifier's no-answer score per question id (distilbo.qa.verifier), in place of the reader's own.
    verifier_scores: pd.Series | None = None

    @classmethod
    def load(cls, questions_path: str, windows_path: str, scoring_cfg: Mapping | None = None,
             window_cfg: Mapping | None = None, verifier_scores: pd.Series | None = None) -> "EvalSet":
        """scoring_cfg: the config's scoring section; window_cfg: the data stage's max_seq_length,
        doc_stride, max_query_length; each complete (a study's stages complete them once), or None
        for the schema's defaults (timing, benchmarks)."""
        windows = pd.read_parquet(windows_path)
        given = {**(schema.defaults("scoring") if scoring_cfg is None else scoring_cfg),
                 **(schema.window_defaults() if window_cfg is None else window_cfg)}
        names = (*schema.defaults("scoring"), *schema.WINDOW_SETTINGS)
        missing = [k for k in names if k not in given]
        if missing:
            raise ValueError(f"eval settings lack {missing}: pass the completed scoring and window settings, or None")
        settings = {k: given[k] for k in names}
        return cls(pd.read_parquet(questions_path), windows, WindowSet.from_frames(windows, labeled=True),
                   verifier_scores=verifier_scores, **settings)

    @property
    def settings(self) -> dict:
        """What `distilbo.deploy.answer` needs to reproduce these predictions (saved with each model)."""
        return {k: getattr(self, k) for k in ("max_seq_length", "doc_stride", "max_query_length", "n_best",
                                              "max_answer_length", "null_score_diff_threshold")}

    def subset(self, n: int, seed: int = 0) -> "EvalSet":
        """A fixed random sample of n questions (all of them when there are no more), same settings."""
        if n >= len(self.questions):
            return self
        ids = set(self.questions["id"].sample(n, random_state=seed))
        questions = self.questions[self.questions["id"].isin(ids)].reset_index(drop=True)
        windows = self.windows[self.windows["example_id"].isin(ids)].reset_index(drop=True)
        scores = self.verifier_scores
        return dataclasses.replace(self, questions=questions, windows=windows,
                                   data=WindowSet.from_frames(windows, labeled=True),
                                   verifier_scores=None if scores is None else scores[scores.index.isin(ids)])

    def answers(self, model: torch.nn.Module) -> pd.DataFrame:
        starts, ends = predict_logits(model, self.data)
        contexts = dict(zip(self.questions["id"], self.questions["context"]))
        out = postprocess.extract_answers(self.windows, starts, ends, contexts, self.n_best, self.max_answer_length,
                                          self.null_score_diff_threshold)
        if self.verifier_scores is not None:
            out = verifier.apply(out, self.verifier_scores, self.null_score_diff_threshold)
        return out

    def score(self, model: torch.nn.Module) -> tuple[dict, pd.DataFrame]:
        """Metrics and the per-question table (distilbo.records.metrics.PREDICTION_COLUMNS)."""
        answers = self.answers(model)
        metrics, table = scoring.score_predictions(self.questions, answers)
        if "reader_na_score" in answers:  # what the reader alone would reach, for comparison
            reader = scoring.score_predictions(self.questions, answers.assign(na_score=answers["reader_na_score"]))[0]
            metrics.update({name: reader[name.removeprefix("reader_")] for name in READER})
        return metrics, table
