"""Finished default studies that differ in search.seed, one row each: what issue 41 asks of the search.

    python benchmarks/seed_studies.py results results-seed1 results-seed2 [--labels 0,1,2]

Per study: trials below the threshold after round 0 (and the most in one round), the frontier's
size, the best span_f1 at <= 80% of the teacher's parameters (and its distance to the teacher),
the smallest student within 1 point of the baseline's span_f1, whether a student at <= 80% of the
teacher's size is within 2 points of the teacher (the goal), and the search's wall time (first
suggest to last observe). Thresholds and the teacher are each study's own.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from compare_studies import QUALITY, SIZE, last_history, search_seconds

from distilbo.search.objectives import Objective
from distilbo.search.pareto import pareto_front


def study_row(results: Path) -> dict:
    teacher = json.loads((results / "teacher" / "metrics.json").read_text())
    history = last_history(results)
    threshold = float(history[f"threshold_{QUALITY}"].iloc[0])
    ok = history[history["status"].eq("ok")]
    later = ok[ok["round"] > 0]
    below = later[later[QUALITY] < threshold]
    front = pareto_front(history, [Objective(QUALITY, "maximize", threshold), Objective(SIZE, "minimize")])
    small = ok[ok[SIZE] <= 0.8 * teacher[SIZE]].sort_values(QUALITY, ascending=False)
    base = ok[ok["origin"].eq("baseline")].iloc[0]
    near = ok[(ok[QUALITY] >= base[QUALITY] - 1) & (ok[SIZE] < base[SIZE])].sort_values(SIZE)
    best_small = small.iloc[0] if len(small) else None
    return {
        "teacher": round(teacher[QUALITY], 2), "threshold": round(threshold, 2),
        "below after round 0": f"{len(below)} of {len(later)}",
        "most below in a round": int(below.groupby("round").size().max()) if len(below) else 0,
        "frontier": len(front),
        "best at <= 80%": ("-" if best_small is None else
                           f"{_shape(best_small)} {best_small[QUALITY]:.2f} ({best_small[QUALITY] - teacher[QUALITY]:+.2f})"),
        "goal (<= 80%, within 2)": best_small is not None and best_small[QUALITY] >= teacher[QUALITY] - 2,
        "smallest within 1 of the baseline": ("-" if not len(near) else
                                              f"{_shape(near.iloc[0])} {near.iloc[0][SIZE] / base[SIZE] - 1:+.1%}, "
                                              f"{near.iloc[0][QUALITY] - base[QUALITY]:+.2f}"),
        "search minutes": round(search_seconds(results) / 60, 1),
    }


def _shape(row: pd.Series) -> str:
    return f"{int(row['n_layers'])}x{int(row['n_heads'])} {row['layer_choice']}"


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
