"""Suggest: the round's suggestions (distilbo.study.suggest.suggest_round)."""

from distilbo.logs import setup_logging
from distilbo.stages.job import student_source, teacher_metrics, vocab_size
from distilbo.stages.settings import JobSettings
from distilbo.study.suggest import suggest_round


def run(job) -> None:
    """Run the suggest job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    history = job.input.history[0] if job.input.history else None
    pending = list(job.input.pending)
    suggest_round(JobSettings.of(job.params).search, student_source(job), teacher_metrics(job), history,
                  int(job.wildcards.r), job.output[0], getattr(job.params, "student_steps", None), pending,
                  vocab_size(job))
