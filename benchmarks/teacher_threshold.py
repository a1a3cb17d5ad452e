"""The teacher's operating point: how the no-answer threshold trades answered answerable questions
(HasAns_f1) against overall exact/f1, from a finished teacher's predictions (no model is run).

    python benchmarks/teacher_threshold.py [--results results] [--thresholds -0.4 -0.2 0 0.2 0.4]

Prints, per threshold, the share of eval questions answered, exact, f1, HasAns_f1 and NoAns_exact;
best_f1 and span_f1 do not depend on the threshold and are printed once.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from distilbo.qa import postprocess, scoring


def at_threshold(questions: pd.DataFrame, predictions: pd.DataFrame, threshold: float) -> dict:
    answers = postprocess.answer_at(predictions[["id", "best_span", "na_score"]], threshold)
    metrics, _ = scoring.score_predictions(questions, answers)
    return dict(metrics, answered=100.0 * float((answers["prediction"] != "").mean()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[-0.4, -0.2, -0.1, 0.0, 0.1, 0.2, 0.4])
    args = parser.parse_args()
    r = Path(args.results)
    questions = pd.read_parquet(r / "data" / "eval.parquet")
    predictions = pd.read_parquet(r / "teacher" / "predictions.parquet")
    print(f"{r / 'teacher'}: {len(predictions)} eval questions, "
          f"{100.0 * questions['is_impossible'].mean():.1f}% unanswerable")
    rows = [dict(threshold=t, **at_threshold(questions, predictions, t)) for t in args.thresholds]
    table = pd.DataFrame(rows)[["threshold", "answered", "exact", "f1", "HasAns_f1", "NoAns_exact"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"best_f1 {rows[0]['best_f1']:.2f} at threshold {rows[0]['best_f1_thresh']:.2f}; "
          f"span_f1 {rows[0]['span_f1']:.2f}")


if __name__ == "__main__":
    main()
