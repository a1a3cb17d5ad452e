"""What a trial's time goes to: process start, loading (student, data, eval set), training steps,
evaluations, the latency probe and writing, for the default study's trial before and after rungs.

    python benchmarks/trial_time.py --results results [--shapes 6x12,4x8] [--jobs 2]

Each run is `distilbo.training.trial.distill_trial` in a process of its own, one thread, on a
finished default study's data, teacher and vocabulary (results/): the parts come from the
`seconds` its metrics.json records, the process start is the rest of the process's wall time.
Runs per shape:
  before     40 steps, a curve point every 10 on the 200-question sample, the last on all 1,629
             (the default study up to 0.12.0);
  look       rung 0 of the default study's search.fidelity: 40 steps, scored on the sample;
  promotion  the look continued to 160 steps from where its decay started (step 32), a curve point
             every 40 on the sample, the last on all.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PARTS = ("start", "load", "train", "evaluate", "latency", "write")
PARAMS = dict(layer_choice="bottom", head_choice="importance", alpha_ce=0.8, temperature=2.0, learning_rate=1e-4,
              dropout=0.0, attention_dropout=0.0, qa_dropout=0.0)
STUDENT = {"base": "teacher", "use_transfer": True, "vocabulary": "trimmed",
           "train": {"batch_size": 16, "freeze_word_embeddings": True, "eval_subsample": 200}}
RUNS = {"before": dict(max_steps=40, eval_every=10), "look": dict(eval_every=40), "promotion": dict(eval_every=40)}
RUNGS = [40, 160]


def study_inputs(results: str) -> dict:
    """A distill trial's inputs in a finished default study (results/): the teacher, its soft
    targets and head importance, the data and the trimmed vocabulary."""
    from distilbo.records.layout import Layout

    L = Layout(results)
    return {"teacher_model": L.teacher("model"), "train_features": L.features("train"),
            "train_logits": L.teacher_logits("train"), "transfer_features": L.features("transfer"),
            "transfer_logits": L.teacher_logits("transfer"), "head_importance": L.head_importance(),
            "eval_features": L.vocabulary("eval_features"), "eval_questions": L.questions("eval"),
            "kept": L.vocabulary("kept"), "tokenizer": L.vocabulary("tokenizer")}


def one_run(results: str, shape: str, run: str, out: str) -> None:
    """In the child process: one trial as the study runs it."""
    import torch

    from distilbo.records.rungs import RungPlace
    from distilbo.study.plan import rung_training
    from distilbo.training.trial import distill_trial

    torch.set_num_threads(1)
    o = Path(out)
    n_layers, n_heads = map(int, shape.split("x"))
    paths = study_inputs(results)
    student = {**STUDENT, "train": {**STUDENT["train"], **RUNS[run]}}
    search = {"fidelity": {"steps": RUNGS, "promotions": [1]}}
    rung = None
    if run != "before":
        k = 0 if run == "look" else 1
        budget = rung_training(search, k)
        where = {"round": 0, "trial": k, "rung": k, "steps": budget["max_steps"]}
        state = str(o.parent / f"{shape}-look" / "state.pt")
        rung = RungPlace(where, budget, state if k else None, None if k else state, score_sample=k == 0)
    files = {"model": str(o / "model"), "metrics": str(o / "metrics.json"), "curve": str(o / "curve.parquet"),
             "predictions": str(o / "predictions.parquet")}
    distill_trial({**PARAMS, "n_layers": n_layers, "n_heads": n_heads}, student, {}, {},
                  {"max_seq_length": 256, "doc_stride": 128, "max_query_length": 64}, paths, files, rung)


def timed(results: str, shape: str, run: str, root: Path) -> dict:
    out = root / f"{shape}-{run}"
    began = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", results, shape, run, str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    m = json.loads((out / "metrics.json").read_text())
    parts = {k: m["seconds"].get(k, 0.0) for k in PARTS[1:]}
    return {"shape": shape, "run": run, "steps": m.get("steps", 40), "questions": m["eval_questions"],
            "span_f1": m["span_f1"], "start": wall - sum(parts.values()), **parts, "wall": wall}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        one_run(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--shapes", default="6x12,4x8")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    shapes = args.shapes.split(",")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        root = Path(tmp)
        # a promotion continues its shape's look: each shape's runs in order, the shapes side by side
        rows = [r for rs in pool.map(lambda s: [timed(args.results, s, run, root) for run in RUNS], shapes) for r in rs]
    print(f"results {args.results}; {args.jobs} runs at a time, one thread each; seconds")
    print("| shape | run | steps | questions scored | span_f1 | " + " | ".join(PARTS) + " | wall |")
    print("| --- " * (len(PARTS) + 6) + "|")
    for r in rows:
        print(f"| {r['shape']} | {r['run']} | {r['steps']} | {r['questions']} | {r['span_f1']:.2f} | "
              + " | ".join(f"{r[p]:.1f}" for p in PARTS) + f" | {r['wall']:.1f} |")
    for shape in shapes:
        by = {r["run"]: r["wall"] for r in rows if r["shape"] == shape}
        print(f"{shape}: a look costs {by['look'] / by['before']:.2f}x a 0.12.0 trial; look + promotion "
              f"{(by['look'] + by['promotion']) / by['before']:.2f}x")
    print(f"median wall: {statistics.median(r['wall'] for r in rows):.1f} s")


if __name__ == "__main__":
    main()
