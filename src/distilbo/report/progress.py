"""The progress page of a running study: after each observed round, the frontier so far, the
hypervolume per round, every trial's status and the time spent and left. Built from the round's
history alone (no model is loaded), so it renders in seconds between rounds; the final report
stays distilbo.report.build_report's."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from distilbo.atomic import atomic_path, read_json
from distilbo.records import metrics
from distilbo.report import figures, interactive
from distilbo.report.build import _static, _table, html_page, trial_rows
from distilbo.search.objectives import Objective
from distilbo.search.pareto import hypervolume_trace, pareto_front
from distilbo.study.history import baseline_row, frontier_rows, trials

# How often the page kept open (layout.progress_latest) reloads itself, in seconds.
RELOAD_SECONDS = 60


def round_times(started: str, observations: Sequence[str]) -> pd.DataFrame:
    """Wall-clock time of each round: from the end of the one before (round 0: from when its
    suggestions were written, `started`) to when its observations were written (file times)."""
    ends = [os.path.getmtime(p) for p in observations]
    starts = [os.path.getmtime(started)] + ends[:-1]
    return pd.DataFrame({"round": range(len(ends)), "seconds": np.subtract(ends, starts).clip(min=0)})


def time_left(durations: pd.Series, rounds: int) -> float:
    """The rounds still to run at the median duration of those run (their trials' budgets are
    the same from round to round)."""
    return float(durations.median()) * max(rounds - len(durations), 0)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s"


def build_progress(history_path: str, started: str, observations: Sequence[str], teacher_metrics: str,
                   objectives: list[Objective], frontier_cfg: Mapping, rounds: int, out: str,
                   latest: str | None = None, params: Sequence[str] = ()) -> Path:
    """Write the page of the round `history_path` observed to `out`; with `latest`, also copy it
    there (reloading every RELOAD_SECONDS) unless a later round's page exists. `params`: the
    searched parameters, which the frontier's points and the trial table show."""
    history = pd.read_parquet(history_path)
    teacher = read_json(teacher_metrics, what="the teacher's metrics")
    quality, size = frontier_cfg["quality"], frontier_cfg["size"]
    times = round_times(started, observations)
    done = int(history["round"].max()) + 1 if len(history) else 0
    with tempfile.TemporaryDirectory() as tmp:
        sections = _sections(Path(tmp), history, teacher, objectives, quality, size, times, list(params))
    facts = _facts(history, times, done, rounds)
    page = _page(facts, sections, done, rounds)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(page)
    if latest and not _later_page(latest, done - 1):
        with atomic_path(latest) as tmp:
            Path(tmp).write_text(page.replace("<head>", f"<head><meta http-equiv='refresh' content='{RELOAD_SECONDS}'>"))
    return Path(out)


def _later_page(latest: str, r: int) -> bool:
    """Whether a later round's page exists beside `latest` (rounds are observed in order, but a
    resumed study may render their pages out of order)."""
    return any(int(p.parent.name.split("-")[1]) > r for p in Path(latest).parent.glob("round-*/index.html"))


def _facts(history: pd.DataFrame, times: pd.DataFrame, done: int, rounds: int) -> dict:
    run = trials(history)
    counts = run["status"].value_counts()
    out = {"rounds observed": f"{done} of {rounds}",
           "trials": f"{len(run)}: " + ", ".join(f"{n} {s}" for s, n in counts.items()),
           "time so far": f"{_duration(times['seconds'].sum())} over the rounds"
                          + (f" ({_duration(run['train_seconds'].fillna(0).sum())} of it training trials)"
                             if "train_seconds" in run else ""),
           "time left": (f"about {_duration(time_left(times['seconds'], rounds))} for {rounds - done} more round(s)"
                         " at the median round's time" if done < rounds else "the search is done: the frontier "
                                                                              "and the report follow")}
    return out


def _sections(tmp: Path, history, teacher, objectives, quality, size, times, params) -> list[tuple[str, str]]:
    ok = history[history["status"].eq(metrics.STATUS_OK)]
    scored = frontier_rows(history)  # a rung study's cheap looks are not the frontier's
    front = pareto_front(scored, objectives)
    threshold = next((o.threshold for o in objectives if o.name == quality), None)
    baseline = baseline_row(history)
    plot = interactive.frontier_plot(history, front, quality, size, threshold, params, teacher, baseline)
    sections = [("The frontier so far", plot + _static(figures.frontier_figure(
        scored, front, quality, size, threshold, baseline, teacher, tmp / "frontier.png"))
        + _table(front.reindex(columns=["round", "trial", metrics.PRECISION, "steps", quality, size]).dropna(
            axis=1, how="all")))]
    if len(ok):
        trace = hypervolume_trace(scored, objectives).merge(times, on="round", how="left")
        sections.append(("Hypervolume per round", interactive.hypervolume_plot(trace)
                         + _static(figures.hypervolume_figure(trace, tmp / "hypervolume.png"))
                         + _table(trace.assign(seconds=trace["seconds"].map(_duration)).rename(
                             columns={"seconds": "wall time"}))))
    table = trial_rows(history, params, quality, size).sort_values(["round", "trial"], ascending=[False, True],
                                                                    kind="stable")
    failed = table["status"].ne(metrics.STATUS_OK)
    sections.append(("Every trial", f"<p>{int(failed.sum())} of {len(table)} models did not succeed; each says why."
                     " The latest round comes first; a click on a heading sorts, the boxes filter.</p>"
                     + interactive.trial_table(table)))
    return sections


def _page(facts: Mapping, sections, done: int, rounds: int) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return html_page(f"distilbo: {done} of {rounds} rounds", f"distilbo study in progress: {done} of {rounds} rounds observed",
                     facts, sections, "Where the study stands", f"<p>Written {stamp}, when round {done - 1} was observed.</p>",
                     head=interactive.scripts())
