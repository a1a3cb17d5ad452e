"""Progress: the page after a round (distilbo.report.progress.build_progress)."""

import json

from distilbo.logs import setup_logging
from distilbo.report.progress import build_progress
from distilbo.search import objectives_from_config
from distilbo.study.config import completed


def run(job) -> None:
    """Run the progress job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    teacher = json.loads(open(i.teacher_metrics).read())
    objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher)
    build_progress(i.history, i.started, list(i.observations), i.teacher_metrics, objectives,
                   completed(p.frontier, "frontier"), p.rounds, job.output[0], p.latest)
