"""Progress: the page after a round (distilbo.report.progress.build_progress)."""

from distilbo.logs import setup_logging
from distilbo.report.progress import build_progress
from distilbo.stages.job import objectives
from distilbo.stages.settings import JobSettings


def run(job) -> None:
    """Run the progress job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    s = JobSettings.of(p)
    build_progress(i.history, i.started, list(i.observations), i.teacher_metrics, objectives(job, s.objectives),
                   s.frontier, p.rounds, job.output[0], p.latest, p.params)
