"""The deployment record of a study that measures deployment variants (distilbo.deploy.variants):
where each trial's variants and the latency tables lie, and what the history, the frontier and the
report read from them. One typed record for every stage that reads them."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from distilbo.atomic import read_json
from distilbo.records import metrics
from distilbo.records.layout import DEPLOY_FILES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deployment:
    """deploy: each trial's deploy directory, by trial key (distilbo.records.layout.trial_key);
    latency: the rounds' latency tables; teacher_deploy and teacher_latency: the teacher's variants,
    for reference (the frontier and the report read them)."""

    deploy: Mapping[str, str]
    latency: Sequence[str]
    teacher_deploy: str | None = None
    teacher_latency: str | None = None

    @classmethod
    def of_job(cls, inputs, trial_keys: Sequence[str]) -> Deployment | None:
        """From a job's declared inputs (deploy, latency, and the teacher's where declared), the
        deploy directories in `trial_keys` order; None for a study that measures no variants."""
        if not hasattr(inputs, "latency"):
            return None
        return cls(dict(zip(trial_keys, inputs.deploy)), list(inputs.latency),
                   getattr(inputs, "teacher_deploy", None), getattr(inputs, "teacher_latency", None))

    def variants_file(self, key: str) -> str:
        return os.path.join(self.deploy[key], DEPLOY_FILES["variants"])

    def timed(self) -> pd.DataFrame:
        return read_latency(self.latency)

    def teacher(self) -> pd.DataFrame:
        """The teacher's variants (reference_variants)."""
        return reference_variants(self.teacher_deploy, self.teacher_latency)


def read_latency(paths: Sequence[str]) -> pd.DataFrame:
    """The latency tables of the deployment stage (one per round), as one table."""
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


def timed_rows(timed: pd.DataFrame, r: int, i: int, precision: str | None = None) -> pd.DataFrame:
    """The latency rows of one trial (of one precision, when given)."""
    mine = timed["round"].eq(r) & timed["trial"].eq(i)
    return timed[mine & timed[metrics.PRECISION].eq(precision) if precision else mine]


def timing_setup(timed: pd.DataFrame) -> str:
    """How the variants were timed, in words (the first row speaks for the study)."""
    if not len(timed):
        return "no variant was timed"
    return (f"{timed['cpu'].iat[0]}, {int(timed['latency_threads'].iat[0])} thread(s), batch 1, median over "
            f"{int(timed['latency_questions'].iat[0])} eval questions")


def reference_variants(deploy_dir: str, latency_path: str) -> pd.DataFrame:
    """The teacher's variants, for reference: one row per precision with its size_mb, scores and
    latency (empty when they could not be made)."""
    record = read_json(Path(deploy_dir) / DEPLOY_FILES["variants"], required=("status",), what="deployment variants")
    if record["status"] != metrics.STATUS_OK:
        log.warning("%s: no teacher variants: %s", deploy_dir, record["reason"])
        return pd.DataFrame(columns=[metrics.PRECISION, "size_mb", "latency_ms", "latency_iqr_ms"])
    timed = pd.read_parquet(latency_path).set_index(metrics.PRECISION)
    rows = [{metrics.PRECISION: p, **{k: v for k, v in record[p].items() if k != "errors"},
             **(timed.loc[p, ["latency_ms", "latency_iqr_ms"]].to_dict() if p in timed.index else {})}
            for p in metrics.PRECISIONS]
    return pd.DataFrame(rows)


def deployed_metrics(variants_path: str, timed: pd.DataFrame, r: int, i: int, precision: str) -> dict:
    """What the history records of one variant of a trial: its scores, size_mb and latency. A
    variant that could not be made or timed was not delivered: status failed, and why."""
    record = read_json(variants_path, required=("status",), what="deployment variants")
    if record["status"] != metrics.STATUS_OK:
        return {"status": metrics.STATUS_FAILED, "reason": f"deployment: {record['reason']}"}
    row = timed_rows(timed, r, i, precision)
    if not len(row) or row["reason"].iat[0]:
        why = row["reason"].iat[0] if len(row) else "not timed"
        return {"status": metrics.STATUS_FAILED, "reason": f"deployment: {precision} latency: {why}"}
    return {**{k: v for k, v in record[precision].items() if k != "errors"},
            "latency_ms": float(row["latency_ms"].iat[0]), "latency_iqr_ms": float(row["latency_iqr_ms"].iat[0])}
