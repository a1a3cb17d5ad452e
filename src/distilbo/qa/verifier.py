"""An answerability verifier beside the reader (the "external verification" of Retro-Reader, Zhang
et al. 2021): a logistic regression, fit on the training questions, over how well a sentence
encoder can align every question word with the best-matching sentences of the context.

Why: on a few thousand questions a small reader learns spans but not answerability (its own
no-answer score barely beats chance on unseen articles), while a pretrained sentence encoder
(all-MiniLM-L6-v2, the default teacher's own init) already tells on-topic questions whose words
the passage does support from those it does not. The verifier's log-odds that a question is
unanswerable replace the reader's null-minus-span score; the reader still picks the span.

Saved in `MODEL_DIR/verifier/` (verifier.json and the encoder), so `distilbo.deploy.answer` uses it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer

from distilbo.atomic import write_json
from distilbo.models.loading import resolve_model_source
from distilbo.qa import postprocess
from distilbo.qa.inference import pick_device

log = logging.getLogger(__name__)

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
NEGATIONS = frozenset({"not", "never", "no", "n't", "none", "neither", "nor"})
# Words every question shares with every passage: an alignment over them says nothing.
STOPWORDS = frozenset(
    "what which who whom whose when where why how the a an of in on at to for by with from and or is are "
    "was were be been did do does has have had that this these those it its as into than then there their "
    "they he she his her".split())
TOP_SENTENCES = (1, 2)  # align against the best sentence, and the best two (answers spanning two)
C_GRID = (1e-3, 1e-2, 1e-1, 1.0)


@dataclass
class Verifier:
    """Standardize, then a linear model; score = log-odds that the question is unanswerable."""
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    C: float
    cv_auc: float
    encoder: str = "encoder"  # directory of the sentence encoder, relative to verifier.json

    def decision(self, x: np.ndarray) -> np.ndarray:
        return (x - np.asarray(self.mean)) / np.asarray(self.scale) @ np.asarray(self.coef) + self.intercept

    def save(self, path: str | Path, encoder: "Encoder") -> None:
        """verifier.json and the encoder under `path`, so a model directory carries everything."""
        path = Path(path)
        encoder.save(path / self.encoder)
        write_json(asdict(self), path / "verifier.json")

    @classmethod
    def load(cls, path: str | Path) -> "Verifier":
        file = Path(path) / "verifier.json"
        fields = json.loads(file.read_text())
        missing = {"mean", "scale", "coef", "intercept", "C", "cv_auc"} - set(fields)
        if missing:
            raise ValueError(f"{file}: missing key(s) {sorted(missing)}")
        return cls(**fields)


class Encoder:
    """A sentence encoder: unit-norm mean-pooled sentence embeddings, unit-norm token states of every layer."""

    def __init__(self, source: str):
        path = resolve_model_source(source)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).to(pick_device()).eval()

    def save(self, path: Path) -> None:
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)

    @torch.no_grad()
    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(sentence embeddings [n, H], per text its token states [layers, tokens, H] without [CLS]/[SEP])."""
        b = self.tokenizer(list(texts), padding=True, truncation=True, max_length=256, return_tensors="pt")
        b = b.to(self.model.device)
        states = torch.stack(self.model(**b, output_hidden_states=True).hidden_states[1:], 1)  # [n, L, T, H]
        mask = b["attention_mask"][:, :, None].float()
        last = states[:, -1]
        pooled = (last * mask).sum(1) / mask.sum(1).clamp(min=1)
        tokens = torch.nn.functional.normalize(states, dim=-1).cpu().numpy()
        lengths = b["attention_mask"].sum(1).tolist()
        return (torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy(),
                [tokens[i, :, 1:n - 1] for i, n in enumerate(lengths)])


def sentences(context: str) -> list[str]:
    return [s for s in SENTENCE_END.split(context) if s.strip()] or [context]


def _alignment_features(q_tokens: np.ndarray, s_tokens: np.ndarray, content: np.ndarray) -> list[float]:
    """Per layer, how well the question's words find a match among the sentence's tokens."""
    out = []
    for q, s in zip(q_tokens, s_tokens):
        best = (q @ s.T).max(1) if s.shape[0] else np.zeros(q.shape[0])
        c = best[content]
        out += [best.min(), c.min(), c.mean(), np.sort(c)[:2].mean(), (c < 0.5).mean()]
    return out


def features(encoder: Encoder, questions: Sequence[str], contexts: Sequence[str]) -> np.ndarray:
    """One row of features per question, one encoder pass per distinct context (its sentences and
    every question about it)."""
    rows: list[list[float] | None] = [None] * len(questions)
    by_context: dict[str, list[int]] = {}
    for i, c in enumerate(contexts):
        by_context.setdefault(c, []).append(i)
    for context, idx in tqdm(by_context.items(), desc="verifier features", unit="paragraph",
                             disable=len(by_context) < 100, mininterval=10):
        words = [encoder.tokenizer.tokenize(questions[i]) for i in idx]
        for i, w in zip(idx, words):
            if not w:
                raise ValueError(f"verifier: question {i} ({questions[i]!r}) has no words")
        sents = sentences(context)
        emb, toks = encoder.encode(sents + [questions[i] for i in idx])
        context_words = set(encoder.tokenizer.tokenize(context))
        for k, i in enumerate(idx):
            rows[i] = _question_features(words[k], questions[i], emb[len(sents) + k], toks[len(sents) + k],
                                         emb[:len(sents)], toks[:len(sents)], context_words)
    return np.asarray(rows, dtype=np.float64).reshape(len(questions), -1)


def _question_features(words: list[str], question: str, q_emb: np.ndarray, q_toks: np.ndarray,
                       s_emb: np.ndarray, s_toks: list[np.ndarray], context_words: set[str]) -> list[float]:
    words = words[:q_toks.shape[1]]  # the word pieces the encoder kept
    content = np.array([w.isalnum() and w.lower() not in STOPWORDS for w in words], dtype=bool)
    if not content.any():
        content[:] = True
    cos = s_emb @ q_emb
    order = np.argsort(-cos, kind="stable")
    out: list[float] = []
    for k in TOP_SENTENCES:
        out += _alignment_features(q_toks, np.concatenate([s_toks[j] for j in order[:k]], axis=1), content)
    runner_up = cos[order[1]] if len(cos) > 1 else 0.0
    missing = np.mean([w not in context_words for w, c in zip(words, content) if c])
    negated = any(w in NEGATIONS for w in re.findall(r"[a-z']+", question.lower()))
    return out + [cos[order[0]], cos[order[0]] - runner_up, missing, float(negated), len(words), len(cos)]


def fit(encoder: Encoder, questions: pd.DataFrame, where: str = "training questions") -> Verifier:
    """Fit on questions (columns question, context, is_impossible, title); C by cross-validated ROC AUC
    with folds grouped by article, so it is chosen on unseen articles as the eval split is.
    Classes are weighted to equal prior odds, so score 0 means "as likely answerable as not" whatever
    the share of unanswerable questions in training (SQuAD 2.0: a third in train, half in dev)."""
    y = questions["is_impossible"].to_numpy().astype(int)
    # Held-out articles when there are several, else held-out paragraphs (a one-article smoke run).
    groups = questions["title"] if questions["title"].nunique() > 1 else questions["context"]
    n_groups = groups.nunique()
    if len(set(y)) < 2 or n_groups < 2:
        raise ValueError(f"verifier: the {where} need answerable and unanswerable questions from at least "
                         f"two paragraphs (got {len(y)} questions, {int(y.sum())} unanswerable, {n_groups} paragraph(s))")
    x = features(encoder, questions["question"].tolist(), questions["context"].tolist())
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, class_weight="balanced")),
                          {"logisticregression__C": list(C_GRID)}, scoring="roc_auc",
                          cv=GroupKFold(n_splits=min(4, n_groups))).fit(x, y, groups=groups)
    scaler, model = search.best_estimator_.steps[0][1], search.best_estimator_.steps[1][1]
    verifier = Verifier(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist(), coef=model.coef_[0].tolist(),
                        intercept=float(model.intercept_[0]), C=float(search.best_params_["logisticregression__C"]),
                        cv_auc=float(search.best_score_))
    log.info("verifier: %d features, C %g, ROC AUC %.3f on held-out training articles", x.shape[1], verifier.C,
             verifier.cv_auc)
    return verifier


def apply(answers: pd.DataFrame, na_scores: pd.Series, threshold: float) -> pd.DataFrame:
    """The reader's answers with the verifier's no-answer scores (by question id) in place of its own,
    kept as reader_na_score; a question is answered when its score is at most `threshold`."""
    return postprocess.answer_at(answers.assign(reader_na_score=answers["na_score"],
                                            na_score=na_scores.loc[answers["id"]].to_numpy(dtype=np.float64)),
                             threshold)


def load_scorer(model_dir: str | Path):
    """(verifier, encoder) saved in a model directory, or None when it has none."""
    path = Path(model_dir) / "verifier"
    if not (path / "verifier.json").exists():
        return None
    verifier = Verifier.load(path)
    return verifier, Encoder(str(path / verifier.encoder))


def no_answer_scores(verifier: Verifier, encoder: Encoder, questions: pd.DataFrame) -> pd.Series:
    """The verifier's score of each question (columns id, question, context), indexed by id."""
    x = features(encoder, questions["question"].tolist(), questions["context"].tolist())
    return pd.Series(verifier.decision(x), index=questions["id"].to_numpy())
