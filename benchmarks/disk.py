"""What a study keeps on disk under each search.keep_models (and student.save_dtype).

    python benchmarks/disk.py            # the paper study, estimated from its config
    python benchmarks/disk.py --smoke    # and the smoke study, run under each setting (about 5 min)

The paper study (config/paper.yaml): a trial's weights are its exact parameter count
(distilbo.models.students.ParameterCounter, DistilBERT students of the paper's space, drawn
uniformly as its initial rounds are) times 4 bytes (float32) or 2 (float16); its ONNX files only
where a study measures variants (the paper's does not). How many trials keep_models: frontier
keeps comes from simulated 480-trial histories (exact rising with depth, scattered by the
hyperparameters, 10% failed, the paper's threshold exact >= 50), the median of 20. The smoke study
is measured: its results directory after a full run under each setting.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from transformers import DistilBertConfig

from distilbo.models.students import ParameterCounter
from distilbo.search.objectives import Objective
from distilbo.study.retention import kept_trials

ROOT = Path(__file__).resolve().parents[1]
GB = 1e9


def paper_shapes(n: int, seed: int) -> pd.DataFrame:
    space = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())["search"]["space"]
    rng = np.random.default_rng(seed)
    draw = {k: rng.integers(space[k]["low"], space[k]["high"] + 1, n) for k in ("n_layers", "n_heads")}
    return pd.DataFrame(draw)


def simulated_history(shapes: pd.DataFrame, counter: ParameterCounter, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(shapes)
    depth = 1 - np.exp(-shapes["n_layers"].to_numpy() / 3)
    heads = (shapes["n_heads"].to_numpy() / 12) ** 0.2
    exact = 75 * depth * heads * rng.beta(5, 2, n)
    history = shapes.assign(round=np.arange(n) // 20, trial=np.arange(n) % 20, exact=exact,
                            num_parameters=[counter(row) for _, row in shapes.iterrows()],
                            status=np.where(rng.random(n) < 0.1, "failed", "ok"), origin="bo")
    history.loc[0, ["origin", "status"]] = ["baseline", "ok"]
    return history


def paper(trials: int = 480, seeds: int = 20) -> None:
    counter = ParameterCounter(DistilBertConfig())  # distilbert-base-uncased's architecture
    objectives = [Objective("exact", "maximize", threshold=50.0), Objective("num_parameters", "minimize")]
    kept, per_trial = [], []
    for seed in range(seeds):
        history = simulated_history(paper_shapes(trials, seed), counter, seed)
        per_trial.append(history["num_parameters"].mean())
        kept.append(len(kept_trials(history, objectives, "exact", "num_parameters")))
    params = statistics.median(per_trial)
    n_kept = statistics.median(kept)
    print(f"paper study: {trials} trials, a trial's student {params / 1e6:.1f}M parameters on average "
          f"(the baseline 6 x 12: {counter({'n_layers': 6, 'n_heads': 12}) / 1e6:.1f}M)")
    print(f"keep_models: frontier keeps {n_kept:.0f} of {trials} trials (median of {seeds} simulated "
          f"histories; range {min(kept)}-{max(kept)})")
    # pruning runs after each round: until then the round's own trials are on disk too
    print("| keep_models | save_dtype | per trial (GB) | kept trials | at the end (GB) | at most, mid-round (GB) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for keep, n in (("all", trials), ("frontier", n_kept)):
        for dtype, width in (("float32", 4), ("float16", 2)):
            peak = min(trials, n + 20) if keep == "frontier" else trials
            print(f"| {keep} | {dtype} | {params * width / GB:.2f} | {n:.0f} | {n * params * width / GB:.1f} | "
                  f"{peak * params * width / GB:.1f} |")


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def smoke() -> None:
    print("\nsmoke study (config/smoke.yaml, run under each setting):")
    print("| keep_models | results (MB) | search/ (MB) | trials keeping weights |")
    print("| --- | --- | --- | --- |")
    for keep in ("all", "frontier"):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp) / "results"
            extra = Path(tmp) / "keep.yaml"
            extra.write_text(f"search: {{keep_models: {keep}}}\n")
            subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet", "all",
                            "--configfile", "config/smoke.yaml", str(extra), "--config", f"results={results}"],
                           cwd=ROOT, check=True, capture_output=True)
            record = yaml.safe_load((results / "search" / "round-1" / "retained.json").read_text())
            print(f"| {keep} | {du(results) / 1e6:.1f} | {du(results / 'search') / 1e6:.1f} | "
                  f"{len(record['kept'])} of {len(record['kept']) + len(record['pruned'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="also run the smoke study under each setting")
    args = parser.parse_args()
    paper()
    if args.smoke:
        smoke()


if __name__ == "__main__":
    main()
