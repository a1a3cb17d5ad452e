"""Distillation against hard labels alone: the same 3-layer student trained with alpha_ce 0.8
(soft targets from the teacher + hard labels) and with alpha_ce 0 (hard labels only).

    python benchmarks/alpha_ce.py [--results results] [--steps 150]

Needs a finished teacher stage of the default study (results/teacher/ and its logits). Prints
exact and f1 (and HasAns/NoAns, best_f1) of each run and writes benchmarks/out/alpha_ce.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from distilbo.logs import setup_logging
from distilbo.training.trial import distill_trial


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/out/alpha_ce")
    args = parser.parse_args()
    setup_logging()
    torch.set_num_threads(2)
    r = Path(args.results)
    paths = {"teacher_model": str(r / "teacher/model"), "train_features": str(r / "data/features-train.parquet"),
             "train_logits": str(r / "teacher/logits-train.parquet"),
             "transfer_features": str(r / "data/features-transfer.parquet"),
             "transfer_logits": str(r / "teacher/logits-transfer.parquet"),
             "eval_features": str(r / "data/features-eval.parquet"), "eval_questions": str(r / "data/eval.parquet")}
    windows = {"max_seq_length": 256, "doc_stride": 128, "max_query_length": 64}
    student = {"base": "teacher", "use_transfer": True,
               "train": {"max_steps": args.steps, "batch_size": 16, "freeze_word_embeddings": True}}
    results = {}
    for alpha in (0.8, 0.0):
        params = {"n_layers": args.layers, "n_heads": 12, "alpha_ce": alpha, "temperature": 2.0,
                  "learning_rate": 1e-4, "warmup_steps": 10, "pruning_seed": 1}
        out = {k: f"{args.out}/alpha-{alpha}/{k}" for k in ("model", "metrics", "curve", "predictions")}
        out["metrics"] += ".json"
        m = distill_trial(params, student, {"init": "unused"}, {}, windows, paths, out)
        results[alpha] = {k: m.get(k) for k in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "best_f1",
                                                "num_parameters", "train_seconds")}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.out, "summary.json").write_text(json.dumps(results, indent=2))
    print(f"{args.layers}-layer student, {args.steps} steps of batch 16, from the teacher's layers")
    print(f"{'alpha_ce':>9}{'exact':>8}{'f1':>8}{'HasAns_f1':>11}{'NoAns_exact':>13}{'best_f1':>9}")
    for alpha, m in results.items():
        print(f"{alpha:>9}{m['exact']:>8.2f}{m['f1']:>8.2f}{m['HasAns_f1']:>11.2f}{m['NoAns_exact']:>13.2f}{m['best_f1']:>9.2f}")


if __name__ == "__main__":
    main()
