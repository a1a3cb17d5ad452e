"""SQuAD 2.0 scoring, exactly as the official evaluation script computes it, and the kind of
each answer (error categories). Answers come from distilbo.qa.postprocess.

Command line, with the official script's interface and output:
    python -m distilbo.qa.scoring DATA.json PREDS.json [--na-prob-file F] [--na-prob-thresh T] [--out-file O]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import re
import string
import sys
from typing import Mapping, Sequence

import pandas as pd

# ---------------------------------------------------------------- official metrics

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (official script)."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", s).split())


def get_tokens(s: str) -> list[str]:
    return normalize_answer(s).split() if s else []


def compute_exact(a_gold: str, a_pred: str) -> int:
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    gold_toks, pred_toks = get_tokens(a_gold), get_tokens(a_pred)
    if not gold_toks or not pred_toks:
        # If either is no-answer, F1 is 1 if they agree, 0 otherwise.
        return float(gold_toks == pred_toks)
    num_same = sum((collections.Counter(gold_toks) & collections.Counter(pred_toks)).values())
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred_toks), num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def gold_answers(texts: Sequence[str]) -> list[str]:
    """Gold strings as the official script keeps them: empty ones dropped, [''] if none remain."""
    golds = [t for t in texts if normalize_answer(t)]
    return golds or [""]


def raw_scores(golds: Mapping[str, Sequence[str]], preds: Mapping[str, str]) -> tuple[dict, dict]:
    """Per-question exact and F1, the max over gold answers."""
    exact, f1 = {}, {}
    for qid, texts in golds.items():
        if qid not in preds:
            print(f"Missing prediction for {qid}", file=sys.stderr)
            continue
        g = gold_answers(texts)
        exact[qid] = max(compute_exact(a, preds[qid]) for a in g)
        f1[qid] = max(compute_f1(a, preds[qid]) for a in g)
    return exact, f1


def apply_no_ans_threshold(scores: dict, na_probs: Mapping[str, float], has_ans: Mapping[str, bool],
                           thresh: float) -> dict:
    return {qid: float(not has_ans[qid]) if na_probs[qid] > thresh else s for qid, s in scores.items()}


def _eval_dict(exact: dict, f1: dict, qids: Sequence[str] | None = None) -> dict:
    qids = list(exact) if qids is None else qids
    total = len(qids)
    return {
        "exact": 100.0 * sum(exact[k] for k in qids) / total,
        "f1": 100.0 * sum(f1[k] for k in qids) / total,
        "total": total,
    }


def find_best_thresh(preds: Mapping[str, str], scores: dict, na_probs: Mapping[str, float],
                     has_ans: Mapping[str, bool]) -> tuple[float, float]:
    """The no-answer threshold that maximizes the score, walking questions by rising na-prob."""
    cur = best = sum(1 for k in has_ans if not has_ans[k])
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_ans[qid]:
            cur += scores[qid]
        else:
            cur += -1 if preds[qid] else 0
        if cur > best:
            best, best_thresh = cur, na_probs[qid]
    return 100.0 * best / len(scores), best_thresh


def evaluate(golds: Mapping[str, Sequence[str]], preds: Mapping[str, str],
             na_probs: Mapping[str, float] | None = None, na_prob_thresh: float = 1.0) -> dict:
    """The official SQuAD 2.0 evaluation. golds maps id -> answer texts ([] if unanswerable)."""
    has_ans = {qid: bool(len(t)) for qid, t in golds.items()}
    with_probs = na_probs is not None
    na_probs = na_probs if with_probs else {k: 0.0 for k in preds}
    exact_raw, f1_raw = raw_scores(golds, preds)
    exact = apply_no_ans_threshold(exact_raw, na_probs, has_ans, na_prob_thresh)
    f1 = apply_no_ans_threshold(f1_raw, na_probs, has_ans, na_prob_thresh)
    out = _eval_dict(exact, f1)
    for prefix, wanted in (("HasAns", True), ("NoAns", False)):
        qids = [k for k in exact if has_ans[k] == wanted]
        if qids:
            out.update({f"{prefix}_{k}": v for k, v in _eval_dict(exact, f1, qids).items()})
    if with_probs:
        out["best_exact"], out["best_exact_thresh"] = find_best_thresh(preds, exact_raw, na_probs, has_ans)
        out["best_f1"], out["best_f1_thresh"] = find_best_thresh(preds, f1_raw, na_probs, has_ans)
    return out


# ---------------------------------------------------------------- error categories

PREPOSITIONS = frozenset(
    "about above across after against along among around at before behind below beneath beside between "
    "beyond by despite during except for from in inside into near of off on onto out outside over past "
    "since through throughout to toward towards under until up upon with within without".split()
)


def _nearly_same(pred: list[str], gold: list[str]) -> bool:
    if [t for t in pred if t not in PREPOSITIONS] == [t for t in gold if t not in PREPOSITIONS]:
        return True
    longer, shorter = (pred, gold) if len(pred) > len(gold) else (gold, pred)
    return len(longer) == len(shorter) + 1 and shorter in (longer[1:], longer[:-1])


def error_category(prediction: str, golds: Sequence[str]) -> str:
    """The kind of one answer, against the official normalization (lower case, no punctuation,
    no articles a/an/the, single spaces), taking the most favourable gold answer:

    - correct: exact match with some gold answer (for an unanswerable question: predicted "").
      Differences the normalization forgives (case, punctuation, articles) are correct already.
    - label_has_answer: predicted no answer, but the question has one.
    - label_has_no_answer: answered a question that has no answer.
    - mostly_correct: wrong, but for some gold answer the normalized tokens are equal once
      prepositions (PREPOSITIONS) are dropped from both, or differ by exactly one token added or
      removed at the start or at the end.
    - mostly_wrong: any other wrong answer (including two or more tokens off).
    """
    g = gold_answers(golds)
    if max(compute_exact(a, prediction) for a in g):
        return "correct"
    if not g[0]:
        return "label_has_no_answer"
    pred_toks = get_tokens(prediction)
    if not pred_toks:
        return "label_has_answer"
    if any(_nearly_same(pred_toks, get_tokens(a)) for a in g):
        return "mostly_correct"
    return "mostly_wrong"


def score_predictions(questions: pd.DataFrame, answers: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Metrics and the per-question table (id, title, prediction, na_score, gold answers, category)
    for extracted answers: exact/f1 from the thresholded predictions; best_* from the best spans
    with na_score as the no-answer probability; span_exact/span_f1 from the best spans of the
    answerable questions (extraction skill, whatever the model thinks of answerability)."""
    golds = dict(zip(questions["id"], questions["answer_texts"]))
    merged = questions[["id", "title", "answer_texts"]].merge(answers, on="id", how="left", validate="1:1")
    if merged["prediction"].isna().any():
        missing = merged.loc[merged["prediction"].isna(), "id"].tolist()[:5]
        raise ValueError(f"no windows for question id(s) {missing}")
    preds = dict(zip(merged["id"], merged["prediction"]))
    metrics = evaluate(golds, preds)
    # One pass over the best spans: best_* do not depend on the threshold, and with none withheld
    # (threshold inf) HasAns_* is the span skill apart from answerability.
    spans = evaluate(golds, dict(zip(merged["id"], merged["best_span"])),
                     na_probs=dict(zip(merged["id"], merged["na_score"])), na_prob_thresh=math.inf)
    metrics.update({k: v for k, v in spans.items() if k.startswith("best_")})
    if "HasAns_exact" in spans:
        metrics.update(span_exact=spans["HasAns_exact"], span_f1=spans["HasAns_f1"])
    merged["category"] = [error_category(p, g) for p, g in zip(merged["prediction"], merged["answer_texts"])]
    return metrics, merged.rename(columns={"answer_texts": "gold_answers"})


# ---------------------------------------------------------------- command line


def _parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser("Official evaluation script for SQuAD version 2.0.")
    parser.add_argument("data_file", metavar="data.json", help="Input data JSON file.")
    parser.add_argument("pred_file", metavar="pred.json", help="Model predictions.")
    parser.add_argument("--out-file", "-o", metavar="eval.json",
                        help="Write accuracy metrics to file (default is stdout).")
    parser.add_argument("--na-prob-file", "-n", metavar="na_prob.json", help="Model estimates of probability of no answer.")
    parser.add_argument("--na-prob-thresh", "-t", type=float, default=1.0,
                        help='Predict "" if no-answer probability exceeds this (default = 1.0).')
    return parser.parse_args(argv)


def _load_json(path: str, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise SystemExit(f"{path}: cannot read {what}: {err}")
    if not isinstance(obj, dict):
        raise SystemExit(f"{path}: expected a JSON object mapping question id -> {what}")
    return obj


def main(argv=None) -> None:
    args = _parse_args(argv)  # before the data layer's imports: --help answers at once
    from pathlib import Path

    from distilbo.data.squad import DataError, questions_from_json

    try:
        questions = questions_from_json(Path(args.data_file))
    except DataError as err:
        raise SystemExit(str(err))
    preds = _load_json(args.pred_file, "answer text")
    na_probs = _load_json(args.na_prob_file, "no-answer probability") if args.na_prob_file else None
    golds = dict(zip(questions["id"], questions["answer_texts"]))
    out = evaluate(golds, preds, na_probs, args.na_prob_thresh)
    if args.out_file:
        with open(args.out_file, "w") as f:
            json.dump(out, f)
    else:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
