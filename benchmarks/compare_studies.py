"""Two finished studies on the same teacher, side by side: what each found, at what cost.

    python benchmarks/compare_studies.py results results-rungs [--figure docs/rungs-frontiers.png]
        [--labels "default study,config/rungs.yaml"]

Prints, per study: the search's wall time (first suggest to last observe, from Snakemake's job
benchmarks), the steps trained, the models (history rows) and trials, the students (smaller than
the teacher) within 5 points of the teacher's quality, the best student at <= 80% of the teacher's
parameters, and the frontier's hypervolume against one reference point for both (quality at the
search's threshold, parameters at the teacher's). Draws both frontiers in one figure.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from distilbo.search.pareto import hypervolume, non_dominated  # noqa: E402

QUALITY, SIZE = "span_f1", "num_parameters"


def last_history(results: Path) -> pd.DataFrame:
    rounds = sorted(results.glob("search/round-*/observations.parquet"), key=lambda p: int(p.parent.name[6:]))
    return pd.read_parquet(rounds[-1])


def search_seconds(results: Path) -> float:
    """Wall time of the search stage: from the first suggest job's start to the last observe's end."""
    starts, ends = [], []
    for tsv in (results / "benchmarks").glob("*/*.tsv"):
        if tsv.parent.name in ("suggest", "distill", "observe", "promote"):
            row = pd.read_csv(tsv, sep="\t").iloc[0]
            ends.append(tsv.stat().st_mtime)
            starts.append(tsv.stat().st_mtime - float(row["s"]))
    return max(ends) - min(starts) if ends else float("nan")


def steps_trained(results: Path) -> int:
    """Training steps of the study: the report's rungs table (a promotion counts from its parent's
    decay start), else each trial's last curve step."""
    rungs = results / "report" / "tables" / "rungs.csv"
    if rungs.exists():
        return int(pd.read_csv(rungs)["trained_steps"].sum())
    return int(sum(pd.read_parquet(c)["step"].max() for c in results.glob("search/round-*/trial-*/curve.parquet")
                   if len(pd.read_parquet(c))))


def summary(results: Path, teacher: dict, threshold: float, ref: np.ndarray) -> dict:
    history = last_history(results)
    ok = history[history["status"].eq("ok")]
    smaller = ok[ok[SIZE] < teacher[SIZE]]
    near = smaller[smaller[QUALITY] >= teacher[QUALITY] - 5]
    small = ok[ok[SIZE] <= 0.8 * teacher[SIZE]]
    feasible = ok[ok[QUALITY] >= threshold]
    F = np.column_stack([-feasible[QUALITY], feasible[SIZE] / 1e6])
    front = feasible.iloc[non_dominated(F)] if len(F) else feasible
    return {"study": str(results), "search_minutes": round(search_seconds(results) / 60, 1),
            "steps_trained": steps_trained(results),
            "models": len(history), "new_trials": int((~history.get("rung", pd.Series(0, history.index)).gt(0)).sum()),
            "students_within_5": len(near), "best_at_80pct": round(float(small[QUALITY].max()), 2) if len(small) else None,
            "best_at_80pct_params_M": round(float(small.loc[small[QUALITY].idxmax(), SIZE]) / 1e6, 2) if len(small) else None,
            "frontier_size": len(front), "hypervolume": round(hypervolume(F[non_dominated(F)], ref), 2) if len(F) else 0.0,
            "front": front[[QUALITY, SIZE]].sort_values(SIZE)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("studies", nargs="+")
    parser.add_argument("--figure", default=None)
    parser.add_argument("--labels", default=None, help="comma-separated names for the figure (default: the folders)")
    args = parser.parse_args()
    first = Path(args.studies[0])
    teacher = json.loads((first / "teacher" / "metrics.json").read_text())
    history = last_history(first)
    threshold = float(history[f"threshold_{QUALITY}"].dropna().iloc[0])
    ref = np.array([-threshold, teacher[SIZE] / 1e6])
    print(f"teacher {QUALITY} {teacher[QUALITY]:.2f}, {teacher[SIZE] / 1e6:.2f}M parameters; reference point "
          f"({QUALITY} {threshold:.2f}, {ref[1]:.2f}M parameters); hypervolume in {QUALITY} points x M parameters")
    rows = [summary(Path(s), teacher, threshold, ref) for s in args.studies]
    print(pd.DataFrame([{k: v for k, v in r.items() if k != "front"} for r in rows]).to_string(index=False))
    for r in rows:
        print(f"\nfrontier of {r['study']}:\n" + r["front"].assign(**{SIZE: r["front"][SIZE] / 1e6}).to_string(index=False))
    if args.figure:
        fig, ax = plt.subplots(figsize=(8, 5))
        labels = args.labels.split(",") if args.labels else [r["study"] for r in rows]
        for r, label, colour in zip(rows, labels, ("#457b9d", "#e63946", "#2a9d8f")):
            f = r["front"]
            ax.step(f[SIZE] / 1e6, f[QUALITY], where="post", color=colour, alpha=0.7)
            ax.scatter(f[SIZE] / 1e6, f[QUALITY], color=colour, edgecolor="black", zorder=3,
                       label=f"{label} ({r['search_minutes']} min, {r['steps_trained']:,} steps)")
        ax.scatter([teacher[SIZE] / 1e6], [teacher[QUALITY]], marker="*", s=220, color="#ffb703", edgecolor="black",
                   label="teacher", zorder=4)
        ax.axhline(teacher[QUALITY] - 5, color="grey", ls=":", lw=0.8)
        ax.set_xlabel("parameters (millions)")
        ax.set_ylabel(QUALITY)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.figure, dpi=110)
        print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
