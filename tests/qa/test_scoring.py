import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from distilbo.qa import postprocess, scoring
from distilbo.qa.scoring import compute_exact, compute_f1, error_category, evaluate, normalize_answer


@pytest.mark.parametrize("raw, norm", [
    ("The  Eiffel Tower!", "eiffel tower"),
    ("an apple, a pear", "apple pear"),
    ("U.S.A.", "usa"),
    ("Théâtre  du Châtelet", "théâtre du châtelet"),   # unicode kept, lowered
    ("“quoted”", "“quoted”"),                         # the official script strips ASCII punctuation only
    ("theatre", "theatre"),                           # 'the' only as a whole word
])
def test_normalize_matches_official_rules(raw, norm):
    assert normalize_answer(raw) == norm


def test_exact_and_f1_hand_computed():
    assert compute_exact("the Seine", "Seine.") == 1
    assert compute_f1("the river Seine", "Seine river in Paris") == pytest.approx(2 * (2 / 4) * (2 / 2) / (2 / 4 + 1))
    assert compute_f1("", "") == 1.0 and compute_f1("", "Paris") == 0.0 and compute_f1("Paris", "") == 0.0
    assert compute_f1("a b c", "d e") == 0.0


def test_evaluate_totals_subsets_and_best_threshold():
    golds = {"q1": ["Paris", "paris city"], "q2": [], "q3": ["753 BC"], "q4": []}
    preds = {"q1": "Paris city", "q2": "Rome", "q3": "753", "q4": ""}
    out = evaluate(golds, preds)
    # q1 exact via the second gold; q2 wrong; q3 f1 = 2*(1*0.5)/1.5; q4 correct no-answer
    assert out["total"] == 4 and out["HasAns_total"] == 2 and out["NoAns_total"] == 2
    assert out["exact"] == pytest.approx(50.0)
    assert out["f1"] == pytest.approx(100 * (1 + 0 + 2 / 3 + 1) / 4)
    assert out["HasAns_f1"] == pytest.approx(100 * (1 + 2 / 3) / 2) and out["NoAns_exact"] == 50.0
    assert "best_f1" not in out
    na = {"q1": 0.1, "q2": 0.9, "q3": 0.5, "q4": 0.2}
    out = evaluate(golds, preds, na, na_prob_thresh=0.6)
    assert out["exact"] == pytest.approx(75.0)  # q2 now predicted no-answer
    # walking by na-prob: start at 2 (all no-answer); q1 +1 -> 3 (t .1), q4 +0, q3 +.667 (exact +0), q2 -1
    assert out["best_exact"] == pytest.approx(75.0) and out["best_exact_thresh"] == pytest.approx(0.1)
    assert out["best_f1"] == pytest.approx(100 * (3 + 2 / 3) / 4) and out["best_f1_thresh"] == pytest.approx(0.5)


def test_command_line_has_the_official_interface(tiny_json, tmp_path):
    preds = {"p1": "Paris", "p2": "Seine", "p3": "", "r1": "753", "r2": "Zeus", "o1": "Norway"}
    na = {k: 0.2 for k in preds} | {"r2": 0.7}
    (tmp_path / "p.json").write_text(json.dumps(preds))
    (tmp_path / "na.json").write_text(json.dumps(na))
    cmd = [sys.executable, "-m", "distilbo.qa.scoring", str(tiny_json), str(tmp_path / "p.json"),
           "--na-prob-file", str(tmp_path / "na.json"), "--na-prob-thresh", "0.5"]
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert set(out) == {"exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact",
                        "NoAns_f1", "NoAns_total", "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"}
    assert out["total"] == 6 and out["exact"] == pytest.approx(100 * 5 / 6)  # r1 '753' vs '753 BC' is the miss
    subprocess.run(cmd + ["--out-file", str(tmp_path / "eval.json")], check=True)
    assert json.loads((tmp_path / "eval.json").read_text()) == out


def test_command_line_names_a_bad_predictions_file(tiny_json, tmp_path):
    (tmp_path / "p.json").write_text("{not json")
    res = subprocess.run([sys.executable, "-m", "distilbo.qa.scoring", str(tiny_json), str(tmp_path / "p.json")],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "p.json" in res.stderr


@pytest.mark.parametrize("pred, golds, kind", [
    ("the Seine", ["Seine"], "correct"),
    ("", [], "correct"),
    ("", ["Seine"], "label_has_answer"),
    ("Seine", [], "label_has_no_answer"),
    ("in 1973", ["1973"], "mostly_correct"),            # a preposition
    ("river Seine", ["Seine"], "mostly_correct"),        # one token at the start
    ("Seine river", ["Seine"], "mostly_correct"),        # one token at the end
    ("Seine", ["the river Seine"], "mostly_correct"),    # one token removed (article ignored)
    ("big river Seine", ["Seine"], "mostly_wrong"),      # two tokens off
    ("Seine big river", ["big Seine river"], "mostly_wrong"),  # same tokens, other order
    ("Loire", ["Seine"], "mostly_wrong"),
    ("Paris France", ["Lyon", "Paris"], "mostly_correct"),  # the most favourable gold counts
])
def test_error_category_boundaries(pred, golds, kind):
    assert error_category(pred, golds) == kind


def _windows(offsets):
    return pd.DataFrame({"example_id": [e for e, _ in offsets],
                         "offset_start": [np.array([o[0] for o in offs]) for _, offs in offsets],
                         "offset_end": [np.array([o[1] for o in offs]) for _, offs in offsets]})


def test_extract_answers_aggregates_windows_and_applies_null_threshold():
    ctx = {"a": "alpha beta gamma delta", "b": "one two"}
    # two windows for "a" (CLS, question token, then context tokens), one for "b"
    w = _windows([("a", [(-1, -1), (-1, -1), (0, 5), (6, 10)]),
                  ("a", [(-1, -1), (-1, -1), (11, 16), (17, 22)]),
                  ("b", [(-1, -1), (0, 3), (4, 7)])])
    starts = [np.array([1.0, 9, 2, 0]), np.array([0.5, 9, 5, 1]), np.array([3.0, 0, 0])]
    ends = [np.array([1.0, 9, 0, 2]), np.array([0.5, 9, 0, 4]), np.array([3.0, 1, 0])]
    out = postprocess.extract_answers(w, starts, ends, ctx).set_index("id")
    # "a": best span is window 2 tokens 2..3 (5+4=9) -> "gamma delta"; null = min(2, 1) = 1 -> answered
    assert out.loc["a", "prediction"] == "gamma delta" and out.loc["a", "na_score"] == pytest.approx(1 - 9)
    # "b": best span "one two"? start(1)=0,end(2)=0 -> 0 vs (1,1)=1; null 6 > 1 -> no answer, span kept
    assert out.loc["b", "prediction"] == "" and out.loc["b", "best_span"] == "one"
    out = postprocess.extract_answers(w, starts, ends, ctx, null_score_diff_threshold=10).set_index("id")
    assert out.loc["b", "prediction"] == "one"
    # max_answer_length 1 forbids the two-token span of "a"
    out = postprocess.extract_answers(w, starts, ends, ctx, max_answer_length=1).set_index("id")
    assert out.loc["a", "prediction"] in {"gamma", "delta"}


def test_extraction_recovers_gold_spans_from_one_hot_logits(tiny_json, tokenizer):
    from distilbo.data import squad

    questions = squad.questions_from_json(tiny_json)
    windows = squad.build_windows(tokenizer, questions, squad.WindowConfig(64, 16, 16))
    starts, ends = [], []
    for s, e, ids in zip(windows["start_position"], windows["end_position"], windows["input_ids"]):
        a, b = np.full(len(ids), -5.0), np.full(len(ids), -5.0)
        a[s], b[e] = 5, 5
        starts.append(a)
        ends.append(b)
    answers = postprocess.extract_answers(windows, starts, ends, dict(zip(questions["id"], questions["context"])))
    metrics, table = scoring.score_predictions(questions, answers)
    assert metrics["exact"] == 100.0 and (table["category"] == "correct").all()


def test_span_metrics_score_best_spans_of_answerable_questions_only():
    questions = pd.DataFrame({"id": ["a", "b", "c"], "title": ["t"] * 3,
                              "answer_texts": [["the cat"], ["a dog"], []]})
    # "a": right span but withheld (no answer predicted); "b": wrong span, given; "c": unanswerable
    answers = pd.DataFrame({"id": ["a", "b", "c"], "prediction": ["", "a bird", "x"],
                            "best_span": ["the cat", "a bird", "x"], "na_score": [1.0, -1.0, -2.0]})
    metrics, _ = scoring.score_predictions(questions, answers)
    assert metrics["span_exact"] == pytest.approx(50.0)  # a right, b wrong; c not counted
    assert metrics["span_f1"] == pytest.approx(50.0)  # "a bird" vs "a dog": normalized tokens bird/dog share none
    assert metrics["HasAns_exact"] == 0.0  # withholding "a" costs the thresholded metric, not the span one
