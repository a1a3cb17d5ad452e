"""Workflow speed: DAG build for a long study, a no-op re-run of a finished study, and the
orchestration overhead per trial (scheduling + suggest + observe) next to the trial time.

    python benchmarks/workflow_speed.py [--results results] [--repeats 3]

The no-op re-run and the overhead need a finished default study in --results.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def timed(cmd: list[str], repeats: int, check: bool = True) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if check and res.returncode != 0:
            raise SystemExit(res.stderr[-2000:])
    return times


def job_seconds(results: Path, rule: str) -> list[float]:
    return [float(pd.read_csv(p, sep="\t")["s"].iloc[0]) for p in sorted((results / "benchmarks" / rule).glob("*.tsv"))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # A config file, not --config: Snakemake passes nested --config values as strings.
    long_study = Path(tempfile.mkdtemp()) / "long-study.yaml"
    long_study.write_text("search: {rounds: 50, batch_size: 8}\nresults: " + str(long_study.parent / "results") + "\n")
    dag = timed(SNAKEMAKE + ["-n", "--configfile", "config.yaml", str(long_study)], args.repeats)
    print(f"dry-run DAG build, 50 rounds x 8 trials (400 trials): median {statistics.median(dag):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in dag)}); goal < 10 s")
    # the target first: --configfile takes every path after it
    start_only = timed(SNAKEMAKE + ["-n", str(long_study.parent / "results" / "data" / "eval.parquet"),
                                    "--configfile", "config.yaml", str(long_study)], args.repeats)
    print(f"  of which starting Snakemake (dry run of the data stage alone): median {statistics.median(start_only):.2f} s")
    if shutil.which("scontrol"):
        # The SLURM executor plugin runs `scontrol show config` when Snakemake loads it: where SLURM's
        # tools are installed but no controller answers, every Snakemake call waits up to 10 s for it.
        scontrol = timed(["scontrol", "show", "config"], 1, check=False)[0]
        print(f"  `scontrol show config` (run by the SLURM plugin at start-up) took {scontrol:.2f} s here")
    results = Path(args.results)
    if not (results / "report" / "index.html").exists():
        print(f"no finished study in {results}: no-op re-run and overhead not measured")
        return
    noop = timed(SNAKEMAKE + ["--cores", "2", "--config", f"results={results}"], args.repeats)
    print(f"no-op re-run of the finished study: median {statistics.median(noop):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in noop)}); goal < 10 s")
    distill, suggest, observe = (job_seconds(results, r) for r in ("distill", "suggest", "observe"))
    q = max(1, round(len(distill) / max(len(suggest), 1)))
    per_trial = (statistics.mean(suggest) + statistics.mean(observe)) / q
    print(f"trial (distill job) median {statistics.median(distill):.1f} s over {len(distill)} trials; "
          f"suggest median {statistics.median(suggest):.1f} s, observe median {statistics.median(observe):.1f} s "
          f"per round of {q}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import distilbo.study.suggest, distilbo.training.trial"], check=True)
    startup = time.perf_counter() - start
    print(f"orchestration overhead per trial: (suggest + observe) / q = {per_trial:.1f} s, plus a job's Python "
          f"start-up {startup:.1f} s; {100 * (per_trial + startup) / statistics.median(distill):.1f}% of a trial")


if __name__ == "__main__":
    main()
