"""Progress: the page after a round (distilbo.report.progress.build_progress)."""

from distilbo.logs import setup_logging
from distilbo.records.schema import completed
from distilbo.report.progress import build_progress
from distilbo.stages.job import objectives


def run(job) -> None:
    """Run the progress job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    build_progress(i.history, i.started, list(i.observations), i.teacher_metrics, objectives(job),
                   completed(p.frontier, "frontier"), p.rounds, job.output[0], p.latest, p.params)
