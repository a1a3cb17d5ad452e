"""Student recipes at equal compute: students of several depths from the default teacher, each
recipe trained for the same wall-clock seconds on one thread, scored on every eval question.

    python benchmarks/student_recipes.py --results results [--seconds 150] [--layers 5,4,3]

Recipes (RECIPES): logits only with the evenly spaced layers (the reference study's rule) or the
bottom layers; each with the intermediate-layer cosine term (alpha_hidden) on every copied layer or
on the last layer only; and 8 of 12 heads kept by a seeded draw or by importance. Each run is a
separate process (its own peak memory); the teacher row is read from results/teacher/metrics.json.
Needs a default study's data and teacher stages (`snakemake --cores 2 results/teacher/logits-train.parquet
results/teacher/logits-transfer.parquet results/teacher/head-importance.parquet`).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RECIPES = {
    "even/logits": {"layer_choice": "even"},
    "bottom/logits": {"layer_choice": "bottom"},
    "even/logits+hidden": {"layer_choice": "even", "alpha_hidden": 1.0},
    "bottom/logits+hidden": {"layer_choice": "bottom", "alpha_hidden": 1.0},
    # the student's last layer against the teacher's last: the states the QA head was trained on
    "bottom/logits+last": {"layer_choice": "bottom", "alpha_hidden": 1.0, "hidden_layers": "last"},
    # 8 of 12 heads per layer, removed by the reference study's seeded draw or by importance
    "bottom/8 random heads": {"layer_choice": "bottom", "n_heads": 8, "head_choice": "random"},
    "bottom/8 important heads": {"layer_choice": "bottom", "n_heads": 8, "head_choice": "importance"},
    # past the 4-to-3-layer cliff: does a larger step size recover what the missing layer held?
    "bottom/logits lr 3e-4": {"layer_choice": "bottom", "learning_rate": 3e-4},
}
# The recipe of the quick check: lr 1e-4, alpha_ce 0.8, T 2, no dropout, all heads.
TRAIN = dict(batch_size=16, learning_rate=1e-4, alpha_ce=0.8, temperature=2.0, freeze_word_embeddings=True)
METRICS = ("span_f1", "f1", "best_f1", "HasAns_f1")


def one_run(results: Path, layers: int, recipe: str, seconds: float) -> dict:
    """Calibrate the step time on a few steps, then train for the steps that fill `seconds`."""
    import numpy as np
    import torch

    from distilbo.data.batches import collate
    from distilbo.models.heads import read_importance
    from distilbo.models.loading import load_initial
    from distilbo.models.students import StudentShape, build_student, hidden_pairs
    from distilbo.qa.evaluation import EvalSet
    from distilbo.records.layout import Layout
    from distilbo.training.loop import TrainConfig, epoch_batches, make_optimizer, train, train_step, with_teacher_hidden
    from distilbo.training.trial import load_training_data

    torch.set_num_threads(1)
    L = Layout(results)
    paths = {"train_features": L.features("train"), "train_logits": L.teacher_logits("train"),
             "transfer_features": L.features("transfer"), "transfer_logits": L.teacher_logits("transfer")}
    data = load_training_data(paths)
    evalset = EvalSet.load(L.questions("eval"), L.features("eval"))
    teacher, _ = load_initial(L.teacher("model"))
    settings = RECIPES[recipe]
    shape = StudentShape(**{"n_heads": teacher.config.num_attention_heads, "dropout": 0.0, "attention_dropout": 0.0,
                            "qa_dropout": 0.0, "n_layers": layers,
                            **{k: v for k, v in settings.items() if k in StudentShape.__dataclass_fields__}})
    train_settings = {k: v for k, v in settings.items() if k not in StudentShape.__dataclass_fields__}
    importance = read_importance(L.head_importance()) if shape.head_choice == "importance" else None

    def make(steps: int):
        cfg = TrainConfig.with_defaults(dict(TRAIN, max_steps=steps, **train_settings))
        collate_fn = collate
        if cfg.alpha_hidden > 0:
            pairs = hidden_pairs(teacher.config.num_hidden_layers, shape, cfg.hidden_layers)
            collate_fn = with_teacher_hidden(collate, teacher, pairs)
        return build_student(teacher, shape, importance), cfg, collate_fn

    student, cfg, collate_fn = make(8)  # calibration: the loop's own batches, steps 3-8 timed
    opt = make_optimizer(student, cfg)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    for k, rows in enumerate(epoch_batches(data, cfg, np.random.default_rng(0))[:8]):
        if k == 2:
            began = time.perf_counter()
        train_step(student, collate_fn(data, rows, torch.device("cpu")), cfg, opt, sched)
    per_step = (time.perf_counter() - began) / 6
    steps = max(1, int(seconds / per_step))
    student, cfg, collate_fn = make(steps)
    started = time.perf_counter()
    result = train(student, data, cfg, evaluate=evalset.score, collate_fn=collate_fn, device=torch.device("cpu"))
    train_s = time.perf_counter() - started  # includes the final evaluation
    metrics = result.final[0]
    return {"layers": layers, "recipe": recipe, "steps": steps, "train_s": round(train_s, 1),
            "windows_per_s": round(16 / per_step, 2), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            **{k: round(metrics[k], 2) for k in METRICS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--layers", default="5,4,3")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated names from RECIPES")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (2 on 2 cores: the study's layout)")
    parser.add_argument("--one", nargs=2, metavar=("LAYERS", "RECIPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    results = Path(args.results)
    if args.one:
        print(json.dumps(one_run(results, int(args.one[0]), args.one[1], args.seconds)))
        return
    teacher = json.loads((results / "teacher" / "metrics.json").read_text())
    print(f"teacher: {teacher['num_parameters'] / 1e6:.1f}M, " + ", ".join(f"{k} {teacher[k]:.2f}" for k in METRICS))
    print(f"each student trained for {args.seconds:.0f} s on one thread (calibrated steps), then scored on every eval question")
    header = ["layers", "recipe", "steps", "train_s", "windows_per_s", "peak_mb", *METRICS, "span_f1 - teacher"]
    print(" | ".join(header))
    runs = [(layers, recipe) for layers in map(int, args.layers.split(",")) for recipe in args.recipes.split(",")]
    with ThreadPoolExecutor(args.jobs) as pool:  # each run is its own 1-thread process
        outs = pool.map(lambda run: subprocess.run(
            [sys.executable, __file__, "--results", str(results), "--seconds", str(args.seconds), "--one", str(run[0]),
             run[1]], capture_output=True, text=True), runs)
        for (layers, recipe), out in zip(runs, outs):
            if out.returncode != 0:
                print(f"{layers} | {recipe} | failed: {out.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(" | ".join(str(row[h]) for h in header[:-1]) + f" | {row['span_f1'] - teacher['span_f1']:+.2f}", flush=True)


if __name__ == "__main__":
    main()
