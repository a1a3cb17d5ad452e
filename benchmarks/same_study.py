"""Whether two finished runs of one study wrote the same search and frontier tables: every
suggestions, observations, curve, predictions, latency and frontier table compared exactly, the
timing columns aside. The check that a refactor changed no behaviour: run the smoke study at the
commit before and after, each into its own results directory, then

    python benchmarks/same_study.py RESULTS_BEFORE RESULTS_AFTER

Prints one line per table that differs, and a summary; exits 1 when any differs or is missing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

# what a rerun measures anew: wall-clock seconds and latencies
TIMING = {"train_seconds", "latency_ms", "latency_iqr_ms"}


def relative(table: pd.DataFrame, root: Path) -> pd.DataFrame:
    """The table with its run's own directory left out of paths (a promotion's `resume` names the
    state file it continued), so that two runs in two directories compare."""
    prefix = str(root).rstrip("/") + "/"
    text = [c for c in table.columns if table[c].map(lambda v: isinstance(v, str) and v.startswith(prefix)).any()]
    return table.assign(**{c: table[c].str.replace(prefix, "RESULTS/", regex=False) for c in text})


def tables(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for folder in ("search", "frontier") for p in (root / folder).rglob("*.parquet"))


def difference(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    if list(a.columns) != list(b.columns):
        return f"columns {sorted(set(a.columns) ^ set(b.columns))} in one only"
    keep = [c for c in a.columns if c not in TIMING]
    try:
        pd.testing.assert_frame_equal(a[keep], b[keep])
    except AssertionError as e:
        return " ".join(str(e).split())[:300]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    args = ap.parse_args()
    names = tables(args.before)
    missing = sorted(set(map(str, tables(args.after))) ^ set(map(str, names)))
    bad = [f"{n}: in one run only" for n in missing]
    for name in names:
        if (args.after / name).exists():
            why = difference(relative(pd.read_parquet(args.before / name), args.before),
                             relative(pd.read_parquet(args.after / name), args.after))
            bad += [f"{name}: {why}"] if why else []
    for line in bad:
        print(line)
    print(f"{len(names)} tables compared exactly, every column but {sorted(TIMING)}: {len(bad)} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
