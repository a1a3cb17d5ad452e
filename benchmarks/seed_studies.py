"""Finished default studies that differ in search.seed, one row each: what issues 41 and 51 ask.

    python benchmarks/seed_studies.py results results-seed1 results-seed2 [--labels 0,1,2]

Per study: trials below the threshold after round 0 (and the most in one round; in a rung study
a cheap look counts at its own rung), the frontier (students scored on every eval question), its
hypervolume above the threshold against parameters (span_f1 points x share of the teacher's
parameters, reference: the threshold and the teacher's size), the best student at <= 80%, <= 60%
and <= 50% of the teacher's parameters against the teacher (issue 51's goals: within 2 points at
<= 60%, within 6 at <= 50%), the smallest student within 1 point of the baseline, and the search's
wall time (first suggest to last observe). Thresholds and the teacher are each study's own.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from compare_studies import QUALITY, SIZE, last_history, search_seconds

from distilbo.search.objectives import Objective
from distilbo.search.pareto import hypervolume, pareto_front
from distilbo.study.history import frontier_rows

GOALS = {0.8: 2.0, 0.6: 2.0, 0.5: 6.0}  # share of the teacher's parameters: points within the teacher


def best_at(ok: pd.DataFrame, teacher: dict, share: float) -> pd.Series | None:
    small = ok[ok[SIZE] <= share * teacher[SIZE]].sort_values(QUALITY, ascending=False)
    return small.iloc[0] if len(small) else None


def frontier_hypervolume(front: pd.DataFrame, teacher: dict, threshold: float) -> float:
    F = np.column_stack([-front[QUALITY].to_numpy(float), front[SIZE].to_numpy(float) / teacher[SIZE]])
    return hypervolume(F, np.array([-threshold, 1.0])) if len(front) else 0.0


def study_row(results: Path) -> dict:
    teacher = json.loads((results / "teacher" / "metrics.json").read_text())
    history = last_history(results)
    threshold = float(history[f"threshold_{QUALITY}"].iloc[0])
    ok = history[history["status"].eq("ok")]
    later = ok[ok["round"] > 0]
    below = later[later[QUALITY] < threshold]
    scored = frontier_rows(ok)
    front = pareto_front(scored, [Objective(QUALITY, "maximize", threshold), Objective(SIZE, "minimize")])
    base = ok[ok["origin"].eq("baseline")].iloc[0]
    near = scored[(scored[QUALITY] >= base[QUALITY] - 1) & (scored[SIZE] < base[SIZE])].sort_values(SIZE)
    row = {
        "teacher": round(teacher[QUALITY], 2), "threshold": round(threshold, 2),
        "below after round 0": f"{len(below)} of {len(later)}",
        "most below in a round": int(below.groupby("round").size().max()) if len(below) else 0,
        "frontier": len(front),
        "frontier hypervolume": round(frontier_hypervolume(front, teacher, threshold), 2),
    }
    for share, within in GOALS.items():
        best = best_at(scored, teacher, share)
        row[f"best at <= {share:.0%}"] = ("-" if best is None else f"{_shape(best)} {best[SIZE] / teacher[SIZE]:.1%} "
                                          f"{best[QUALITY]:.2f} ({best[QUALITY] - teacher[QUALITY]:+.2f})")
        row[f"goal (<= {share:.0%}, within {within:g})"] = best is not None and best[QUALITY] >= teacher[QUALITY] - within
    row["smallest within 1 of the baseline"] = ("-" if not len(near) else
                                                f"{_shape(near.iloc[0])} {near.iloc[0][SIZE] / base[SIZE] - 1:+.1%}, "
                                                f"{near.iloc[0][QUALITY] - base[QUALITY]:+.2f}")
    row["search minutes"] = round(search_seconds(results) / 60, 1)
    return row


def _shape(row: pd.Series) -> str:
    choice = row.get("layer_choice")  # fixed (not a history column) in 0.13.0's default study
    return f"{int(row['n_layers'])}x{int(row['n_heads'])} {choice if isinstance(choice, str) else 'bottom'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--labels", help="comma-separated, one per study (default: the folder names)")
    args = parser.parse_args()
    labels = args.labels.split(",") if args.labels else [p.name for p in args.results]
    table = pd.DataFrame([study_row(p) for p in args.results], index=labels)
    print(table.T.to_markdown() if _has_tabulate() else table.T.to_string())


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
