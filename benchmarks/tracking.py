"""What MLflow tracking costs a trial: the time its jobs spend logging (distilbo.study.tracking), per
trial, against the same trial's job without tracking (no call at all: 0 ms).

    .venv/bin/python benchmarks/tracking.py [--trials 20] [--curve-points 40] [--uri URI ...]

Each trial is what a study's jobs log: the distill job's run (params, final scores, the curve per
step, tags), the variants job's scores of both precisions and the latency job's timings. Stores: a
local file store (made here), a server nobody runs (the warn-once path), and any --uri given (an
`mlflow server` you started). Prints the median and the 90th percentile per trial, and the median
of the last tenth (the experiment's size grows with the trials)."""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from distilbo.study.tracking import Tracker, log_latency, log_trial, log_variants

SCORES = {"exact": 51.2, "f1": 54.0, "HasAns_exact": 40.1, "HasAns_f1": 45.9, "NoAns_exact": 62.0, "best_exact": 52.0,
          "best_f1": 54.8, "span_exact": 48.0, "span_f1": 58.3, "num_parameters": 88_000_000, "train_seconds": 900.0}
PARAMS = {"n_layers": 6, "n_heads": 12, "alpha_ce": 0.7, "temperature": 3.0, "learning_rate": 1e-4,
          "precision": "int8", "dropout": 0.1, "pruning_seed": 1, "head_choice": "importance"}


def trial_files(root: Path, points: int) -> tuple[dict, str]:
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "metrics.json").write_text(json.dumps({"status": "ok", **SCORES}))
    steps = np.linspace(100, 100 * points, points).astype(int)
    curve = pd.DataFrame({"step": steps, **{c: np.linspace(1, 2, points) for c in (
        "epoch", "lr", "loss", "loss_soft", "loss_hard", "eval_questions", "exact", "f1", "HasAns_exact",
        "NoAns_exact", "span_f1")}})
    curve.to_parquet(root / "curve.parquet")
    pd.DataFrame({"round": [0] * 64, "trial": range(64), "origin": ["model"] * 64}).to_parquet(root / "sugg.parquet")
    return {"metrics": str(root / "metrics.json"), "curve": str(root / "curve.parquet"),
            "model": str(root / "model")}, str(root / "sugg.parquet")


def one_trial(uri: str, experiment: str, i: int, out: dict, suggestions: str) -> float:
    """A trial's logging as its jobs do it: each job a tracker of its own (a new process)."""
    start = time.perf_counter()
    log_trial(Tracker(uri, experiment), out, PARAMS, suggestions, {"round": 0, "trial": i})
    record = {"status": "ok", "fp32": {"size_mb": 350.0, **SCORES}, "int8": {"size_mb": 90.0, **SCORES}}
    log_variants(Tracker(uri, experiment), f"round-0/trial-{i}", record)
    log_latency(Tracker(uri, experiment), pd.DataFrame([{"round": 0, "trial": i, "precision": p, "latency_ms": 9.0,
                                                         "latency_iqr_ms": 0.4, "reason": ""} for p in ("fp32", "int8")]))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--curve-points", type=int, default=40, help="evaluations per trial (paper study: about 40)")
    ap.add_argument("--uri", action="append", default=[], help="another tracking URI (an mlflow server)")
    args = ap.parse_args()
    logging.getLogger("distilbo.tracking").setLevel(logging.ERROR)  # the unreachable store's warning is expected
    with tempfile.TemporaryDirectory() as tmp:
        out, suggestions = trial_files(Path(tmp) / "trial", args.curve_points)
        stores = {"file store": f"file://{tmp}/mlruns", "unreachable server": "http://127.0.0.1:9",
                  **{uri: uri for uri in args.uri}}
        print(f"{args.trials} trials, {args.curve_points} curve points each ({args.curve_points * 11} metric points), "
              "3 jobs logging per trial; baseline without tracking: 0 ms")
        print(f"{'store':<28}{'median ms/trial':>18}{'p90 ms/trial':>15}{'last tenth median':>20}")
        for name, uri in stores.items():
            experiment = f"bench {time.time()}"
            one_trial(uri, experiment, 63, out, suggestions)  # the experiment's creation and imports, untimed
            times = [one_trial(uri, experiment, i, out, suggestions) for i in range(args.trials)]
            # a run's key is looked up among the experiment's runs: the last trials show how that grows
            last = np.median(times[-max(len(times) // 10, 1):])
            print(f"{name:<28}{np.median(times):>18.1f}{np.percentile(times, 90):>15.1f}{last:>20.1f}")


if __name__ == "__main__":
    main()
