"""Distillation settings at the top rung: one student shape trained straight to the default study's
top rung (as the baseline is) under several (alpha_ce, temperature, learning_rate) settings, each
scored on every eval question.

    python benchmarks/distill_settings.py --results RESULTS [--shapes 4x8] [--settings NAME,...] [--jobs 2]

Settings (SETTINGS): the baseline's recipe, and the corners the seed-0 search of 0.13.0 drifted to
(alpha_ce at its floor 0.3, temperature 6-7). Each run is `distill_trial` in a process of its own, one
thread, on a finished default study's data, teacher and vocabulary (RESULTS/). Prints a table and the
teacher's span_f1 beside it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SETTINGS = {
    "baseline": dict(alpha_ce=0.8, temperature=2.0, learning_rate=1e-4),
    "alpha0.3": dict(alpha_ce=0.3, temperature=2.0, learning_rate=1e-4),
    "T7": dict(alpha_ce=0.8, temperature=7.0, learning_rate=1e-4),
    "searched": dict(alpha_ce=0.3, temperature=7.0, learning_rate=1e-4),
    "alpha1": dict(alpha_ce=1.0, temperature=2.0, learning_rate=1e-4),
    "lr3e-4": dict(alpha_ce=0.8, temperature=2.0, learning_rate=3e-4),
}
FIXED = dict(layer_choice="bottom", head_choice="importance", dropout=0.0, attention_dropout=0.0, qa_dropout=0.0)
STUDENT = {"base": "teacher", "use_transfer": True, "vocabulary": "trimmed",
           "train": {"batch_size": 16, "freeze_word_embeddings": True, "eval_subsample": 200, "eval_every": 1000}}
SEARCH = {"fidelity": {"steps": [40, 160], "promotions": [1]}}


def one_run(results: str, shape: str, setting: str, out: str) -> None:
    """In the child process: one trial trained straight to the top rung."""
    import torch
    from trial_time import study_inputs

    from distilbo.study.rungs import rung_place
    from distilbo.training.trial import distill_trial

    torch.set_num_threads(1)
    o = Path(out)
    n_layers, n_heads = map(int, shape.split("x"))
    paths = study_inputs(results)  # the script's folder, benchmarks/, is on the path
    top = len(SEARCH["fidelity"]["steps"]) - 1
    rung = rung_place(SEARCH, top, {"round": 0, "trial": 0})
    files = {"model": str(o / "model"), "metrics": str(o / "metrics.json"), "curve": str(o / "curve.parquet"),
             "predictions": str(o / "predictions.parquet")}
    params = {**FIXED, **SETTINGS[setting], "n_layers": n_layers, "n_heads": n_heads}
    distill_trial(params, STUDENT, {}, {}, {"max_seq_length": 256, "doc_stride": 128, "max_query_length": 64},
                  paths, files, rung)


def run(results: str, shape: str, setting: str, root: Path) -> dict:
    out = root / f"{shape}-{setting}"
    began = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", results, shape, setting, str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    m = json.loads((out / "metrics.json").read_text())
    return {"shape": shape, "setting": setting, **SETTINGS[setting], "steps": m.get("steps"),
            "span_f1": m["span_f1"], "wall": time.perf_counter() - began}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        one_run(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--shapes", default="4x8")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    jobs = [(s, k) for s in args.shapes.split(",") for k in args.settings.split(",")]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda j: run(args.results, *j, Path(tmp)), jobs))
    teacher = json.loads((Path(args.results) / "teacher/metrics.json").read_text())["span_f1"]
    print(f"results {args.results}; teacher span_f1 {teacher:.2f}; {args.jobs} runs at a time, one thread each")
    print("| shape | setting | alpha_ce | temperature | learning_rate | steps | span_f1 | vs teacher | wall s |")
    print("| --- " * 9 + "|")
    for r in rows:
        print(f"| {r['shape']} | {r['setting']} | {r['alpha_ce']} | {r['temperature']} | {r['learning_rate']:g} | "
              f"{r['steps']} | {r['span_f1']:.2f} | {r['span_f1'] - teacher:+.2f} | {r['wall']:.0f} |")


if __name__ == "__main__":
    main()
