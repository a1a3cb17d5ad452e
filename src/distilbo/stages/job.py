"""What the stages share, read from a Snakemake job (`job`: its `snakemake` object): the teacher's
metrics, the study's objectives (thresholds relative to the teacher resolved) and the model students
are cut from. A job's settings are distilbo.stages.settings.JobSettings."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from distilbo.atomic import read_json
from distilbo.search.objectives import Objective, objectives_from_config


def teacher_metrics(job) -> dict:
    """The teacher's metrics.json (input teacher_metrics); InputError names the file at fault."""
    return read_json(job.input.teacher_metrics, what="the teacher's metrics")


def objectives(job, spec: Mapping) -> list[Objective]:
    """The study's objectives (`spec`: the completed search.objectives, JobSettings.objectives), with
    thresholds relative to the teacher resolved against its metrics."""
    return objectives_from_config(spec, teacher_metrics(job))


def vocab_size(job) -> int | None:
    """The number of tokens a trimmed student keeps (input kept, student.vocabulary: trimmed), else None."""
    kept = getattr(job.input, "kept", None)
    return len(pd.read_parquet(kept)) if kept else None


def student_source(job) -> str:
    """The model students are cut from: the teacher (input teacher), or student.base when it names
    another model (param student_base)."""
    return getattr(job.params, "student_base", None) or job.input.teacher
