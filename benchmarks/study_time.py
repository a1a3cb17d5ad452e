"""Where a study's wall time went, by stage, from Snakemake's own run log: the time table issue 51
asks for ("stages, before and after, same day").

    python benchmarks/study_time.py .snakemake/log/2026-12-07T085830.snakemake.log [OTHER.log ...]
        [--rules workflow/rules] [--labels "0.16.0,0.11.0"]

Per run log: for each stage (the workflow/rules/*.smk file that defines the rule; --rules names the
checkout's rules folder, so an older version's log is read with its own), the wall minutes during
which at least one of its jobs ran (a stage whose jobs are spread over the run, as the progress
page's, counts only its own time), the job-minutes (the sum of its jobs' durations, more than the
wall when jobs run side by side), and the jobs; then the whole run, first start to last end. A log
holds one invocation: a study run in parts (a --touch, a restart) has a log per part. Timestamps are
Snakemake's, to the second.
"""
from __future__ import annotations

import argparse
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")


def rule_stages(rules_dir: Path) -> dict[str, str]:
    """Rule name -> its stage (the .smk file's stem), from a checkout's workflow/rules."""
    stages = {}
    for smk in sorted(rules_dir.glob("*.smk")):
        for name in re.findall(r"^rule (\w+):", smk.read_text(), flags=re.M):
            stages[name] = smk.stem
    return stages


def job_times(log_text: str) -> pd.DataFrame:
    """One row per finished job: rule, start, end (datetimes), seconds."""
    starts: dict[int, tuple[str, datetime]] = {}
    rows = []
    stamp: datetime | None = None
    pending_rule: str | None = None
    for line in log_text.splitlines():
        if m := STAMP.match(line):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif (m := START.match(line)) and stamp is not None:
            pending_rule = m.group(1)
        elif (m := JOBID.match(line)) and pending_rule is not None:
            starts[int(m.group(1))] = (pending_rule, stamp)
            pending_rule = None
        elif (m := FINISHED.match(line)) and int(m.group(1)) in starts:
            rule, began = starts.pop(int(m.group(1)))
            rows.append({"rule": rule, "start": began, "end": stamp, "seconds": (stamp - began).total_seconds()})
    return pd.DataFrame(rows, columns=["rule", "start", "end", "seconds"])


def busy_seconds(jobs: pd.DataFrame) -> float:
    """Seconds during which at least one of the jobs ran: the union of their intervals."""
    total, reach = 0.0, None
    for start, end in sorted(zip(jobs["start"], jobs["end"])):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total


def stage_table(jobs: pd.DataFrame, stages: dict[str, str]) -> pd.DataFrame:
    """Per stage, in the order stages began: wall minutes, job-minutes, jobs; then `all`."""
    jobs = jobs[jobs["rule"].ne("all")]  # the target rule: no work
    if jobs.empty:
        raise ValueError("the log holds no finished job")
    jobs = jobs.assign(stage=jobs["rule"].map(stages).fillna("other"))
    rows = []
    for stage, part in sorted(jobs.groupby("stage"), key=lambda kv: kv[1]["start"].min()):
        rows.append({"stage": stage, "wall min": busy_seconds(part) / 60,
                     "job min": part["seconds"].sum() / 60, "jobs": len(part)})
    rows.append({"stage": "all", "wall min": (jobs["end"].max() - jobs["start"].min()).total_seconds() / 60,
                 "job min": jobs["seconds"].sum() / 60, "jobs": len(jobs)})
    return pd.DataFrame(rows).round(1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="+", type=Path)
    ap.add_argument("--rules", type=Path, action="append",
                    help="a checkout's workflow/rules per log, or one for all (default: this checkout's)")
    ap.add_argument("--labels", help="comma-separated, one per log")
    a = ap.parse_args(argv)
    default = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    rules = a.rules or [default]
    if len(rules) not in (1, len(a.logs)):
        ap.error("--rules: one for all logs, or one per log")
    labels = a.labels.split(",") if a.labels else [str(p) for p in a.logs]
    for log, rules_dir, label in zip(a.logs, rules * len(a.logs) if len(rules) == 1 else rules, labels):
        print(f"\n{label}\n{stage_table(job_times(log.read_text()), rule_stages(rules_dir)).to_string(index=False)}")


if __name__ == "__main__":
    main()
