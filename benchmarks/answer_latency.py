"""What the teacher's verifier costs at answer time: `distilbo.deploy.answer` on eval questions, one at a
time, with the teacher's model directory as saved (reader + verifier) and with the reader alone
(the same files, verifier/ left out).

    python benchmarks/answer_latency.py [--results results] [--questions 50] [--threads 1]

Prints the median ms per question of each, their ratio, and how often the two answer alike.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from distilbo.deploy.answer import answer_many


def reader_only(model_dir: Path, into: Path) -> Path:
    """A model directory with the reader's files linked and no verifier."""
    into.mkdir()
    for f in model_dir.iterdir():
        if f.name != "verifier":
            (into / f.name).symlink_to(f.resolve())
    return into


def timed(model_dir: Path, questions: pd.DataFrame) -> tuple[list[float], list[str]]:
    answer_many(str(model_dir), questions["question"].iloc[:1].tolist(), questions["context"].iloc[:1].tolist())
    times, answers = [], []
    for q, c in zip(questions["question"], questions["context"]):
        started = time.perf_counter()
        answers.append(str(answer_many(str(model_dir), [q], [c])["prediction"].iat[0]))
        times.append(1000.0 * (time.perf_counter() - started))
    return times, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    r = Path(args.results)
    model_dir = r / "teacher" / "model"
    if not (model_dir / "verifier" / "verifier.json").exists():
        raise SystemExit(f"{model_dir}: no verifier/verifier.json; this compares a teacher with its verifier")
    questions = pd.read_parquet(r / "data" / "eval.parquet").sample(args.questions, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        alone, alone_answers = timed(reader_only(model_dir, Path(tmp) / "reader"), questions)
        both, both_answers = timed(model_dir, questions)
    a, b = statistics.median(alone), statistics.median(both)
    same = sum(x == y for x, y in zip(alone_answers, both_answers))
    print(f"{len(questions)} eval questions, one at a time, {args.threads} thread(s)")
    print(f"reader alone:       median {a:.1f} ms per question")
    print(f"reader + verifier:  median {b:.1f} ms per question  ({b / a:.2f}x)")
    print(f"same answer from both: {same} of {len(questions)}")


if __name__ == "__main__":
    main()
