"""Suggest: the round's suggestions (distilbo.study.suggest.suggest_round)."""

import json

from distilbo.logs import setup_logging
from distilbo.study.config import completed
from distilbo.study.suggest import suggest_round


def run(job) -> None:
    """Run the suggest job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    history = job.input.history[0] if job.input.history else None
    pending = list(job.input.pending)
    teacher_metrics = json.loads(open(job.input.teacher_metrics).read())
    # students are cut from the teacher, or from student.base when it names another model
    source = getattr(job.params, "student_base", None) or job.input.teacher
    suggest_round(completed(job.params.search, "search"), source, teacher_metrics, history,
                  int(job.wildcards.r), job.output[0], getattr(job.params, "student_steps", None), pending)
