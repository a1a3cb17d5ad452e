"""What a trimmed vocabulary costs where the eval articles' words fall back: a finished study's
teacher, untrimmed and trimmed (no training) to the study's own tokens and to each
--sizes (student.vocabulary_size), scored on the eval questions each tokenizer windows anew.

    python benchmarks/vocabulary_fallback.py --results results [--sizes 12000 15000 20000]
    python benchmarks/vocabulary_fallback.py --results results --latency MODEL_DIR... [--passes 3]

A student's training windows are the same in every vocabulary (distilbo.data.vocabulary), so
the teacher's loss here is the part of a trimmed student's loss that trimming causes.
--latency: instead, each model directory's ms per eval question at batch 1 (distilbo.qa.inference.
latency, 50 questions) on the windows its own tokenizer makes, the models taking turns for --passes
passes; the median of the passes' medians.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from distilbo.data import squad
from distilbo.data.batches import WindowSet
from distilbo.data.vocabulary import kept_ids, save_trimmed_tokenizer, used_ids
from distilbo.models.loading import num_parameters
from distilbo.models.vocabulary import trim_model
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import latency


def score(results: str, tokenizer, questions: pd.DataFrame, kept: np.ndarray | None, scratch: str) -> dict:
    """The teacher's eval metrics with its vocabulary cut to `kept` (None: untrimmed)."""
    model = AutoModelForQuestionAnswering.from_pretrained(os.path.join(results, "teacher", "model")).eval()
    windows_path = os.path.join(results, "data", "features-eval.parquet")
    if kept is not None:
        trimmed = save_trimmed_tokenizer(tokenizer, kept, os.path.join(scratch, f"tok-{len(kept)}"))
        windows_path = os.path.join(scratch, f"eval-{len(kept)}.parquet")
        squad.build_windows(trimmed, questions, squad.WindowConfig.defaults()).to_parquet(windows_path)
        trim_model(model, kept)
    evalset = EvalSet.load(os.path.join(results, "data", "eval.parquet"), windows_path)
    metrics, _ = evalset.score(model)
    return {**metrics, "num_parameters": num_parameters(model), "windows": len(evalset.windows)}


def print_latency(models: list[str], questions: pd.DataFrame, passes: int) -> None:
    """Each model's median ms per question, the models taking turns (the machine's drift shared)."""
    loaded = {}
    for path in models:
        windows = squad.build_windows(AutoTokenizer.from_pretrained(path), questions, squad.WindowConfig.defaults())
        loaded[path] = (AutoModelForQuestionAnswering.from_pretrained(path).eval(), WindowSet.from_frames(windows, labeled=False),
                        windows["example_id"])
    runs = {path: [] for path in models}
    for _ in range(passes):
        for path, (model, data, ids) in loaded.items():
            runs[path].append(latency(model, data, ids)["latency_ms"])
    print("| model | parameters | vocabulary | ms per question (median of passes) | passes |")
    print("| --- | --- | --- | --- | --- |")
    for path, (model, _, _) in loaded.items():
        print(f"| {path} | {num_parameters(model):,} | {model.config.vocab_size:,} | {np.median(runs[path]):.1f} | "
              f"{', '.join(f'{t:.1f}' for t in runs[path])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--sizes", nargs="*", type=int, default=[12000, 13000, 14000, 15000, 17000, 20000])
    parser.add_argument("--latency", nargs="*", default=[], help="model directories to time instead")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    data = os.path.join(args.results, "data")
    questions = pd.read_parquet(os.path.join(data, "eval.parquet"))
    if args.latency:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        print_latency(args.latency, questions, args.passes)
        return
    tokenizer = AutoTokenizer.from_pretrained(os.path.join(args.results, "teacher", "model"))
    def ids(split: str) -> pd.Series:
        return pd.read_parquet(os.path.join(data, f"features-{split}.parquet"), columns=["input_ids"])["input_ids"]

    used = used_ids(x for split in ("train", "transfer") for x in ids(split))
    eval_ids = np.concatenate(list(ids("eval")))
    print(f"{args.results}: {len(questions):,} eval questions, {len(eval_ids):,} eval tokens; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print("| vocabulary_size | kept | teacher params | of untrimmed | eval tokens not kept | eval windows "
          "| span_f1 | f1 | exact | s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    full = None
    with tempfile.TemporaryDirectory() as scratch:
        for size in [None, 0, *args.sizes]:
            kept = None if size is None else kept_ids(tokenizer, used, size=size or None)
            started = time.perf_counter()
            m = score(args.results, tokenizer, questions, kept, scratch)
            full = full or m["num_parameters"]
            missing = 0.0 if kept is None else float((~np.isin(eval_ids, kept)).mean() * 100)
            label = "untrimmed" if size is None else (f"{size:,}" if size else "own tokens")
            print(f"| {label} | {len(tokenizer) if kept is None else len(kept):,} | {m['num_parameters']:,} | "
                  f"{m['num_parameters'] / full:.1%} | {missing:.2f}% | {m['windows']:,} | {m['span_f1']:.2f} | "
                  f"{m['f1']:.2f} | {m['exact']:.2f} | {time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
