"""Student recipes at equal compute: students of several depths from the default teacher, each
recipe trained for the same wall-clock seconds on one thread, scored on every eval question.

    python benchmarks/student_recipes.py --results results [--seconds 150] [--layers 5,4,3]

Recipes: logits only with the evenly spaced layers (the reference study's rule), logits only with
the bottom layers, and each with the intermediate-layer cosine term (alpha_hidden). Each run is a
separate process (its own peak memory); the teacher row is read from results/teacher/metrics.json.
Needs a finished default study's data and teacher stages (`snakemake --cores 2 results/teacher/logits-train.parquet`).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

RECIPES = {
    "even/logits": {"layer_choice": "even", "alpha_hidden": 0.0},
    "bottom/logits": {"layer_choice": "bottom", "alpha_hidden": 0.0},
    "even/logits+hidden": {"layer_choice": "even", "alpha_hidden": 1.0},
    "bottom/logits+hidden": {"layer_choice": "bottom", "alpha_hidden": 1.0},
}
# The recipe of the quick check: lr 1e-4, alpha_ce 0.8, T 2, no dropout, all heads.
TRAIN = dict(batch_size=16, learning_rate=1e-4, alpha_ce=0.8, temperature=2.0, freeze_word_embeddings=True)
METRICS = ("span_f1", "f1", "best_f1", "HasAns_f1")


def one_run(results: Path, layers: int, recipe: str, seconds: float) -> dict:
    """Calibrate the step time on a few steps, then train for the steps that fill `seconds`."""
    import numpy as np
    import torch

    from distilbo.batches import collate
    from distilbo.evaluation import EvalSet
    from distilbo.layout import Layout
    from distilbo.models import load_initial
    from distilbo.students import StudentShape, build_student, layer_pairs
    from distilbo.train import TrainConfig, epoch_batches, make_optimizer, train, train_step, with_teacher_hidden
    from distilbo.trial import load_training_data

    torch.set_num_threads(1)
    L = Layout(results)
    paths = {"train_features": L.features("train"), "train_logits": L.teacher_logits("train"),
             "transfer_features": L.features("transfer"), "transfer_logits": L.teacher_logits("transfer")}
    data = load_training_data(paths)
    evalset = EvalSet.load(L.questions("eval"), L.features("eval"))
    teacher, _ = load_initial(L.teacher("model"))
    shape = StudentShape(layers, teacher.config.num_attention_heads, dropout=0.0, attention_dropout=0.0,
                         qa_dropout=0.0, layer_choice=RECIPES[recipe]["layer_choice"])

    def make(steps: int):
        cfg = TrainConfig.from_dict(dict(TRAIN, max_steps=steps, alpha_hidden=RECIPES[recipe]["alpha_hidden"]))
        collate_fn = collate
        if cfg.alpha_hidden > 0:
            collate_fn = with_teacher_hidden(collate, teacher, layer_pairs(teacher.config.num_hidden_layers, shape))
        return build_student(teacher, shape), cfg, collate_fn

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
    for layers in map(int, args.layers.split(",")):
        for recipe in args.recipes.split(","):
            out = subprocess.run([sys.executable, __file__, "--results", str(results), "--seconds", str(args.seconds),
                                  "--one", str(layers), recipe], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{layers} | {recipe} | failed: {out.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(" | ".join(str(row[h]) for h in header[:-1]) + f" | {row['span_f1'] - teacher['span_f1']:+.2f}", flush=True)


if __name__ == "__main__":
    main()
