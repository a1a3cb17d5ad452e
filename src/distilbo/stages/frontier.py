"""Frontier: the frontier, scenarios and exported models (distilbo.study.frontier.write_frontier)."""

from distilbo.atomic import read_json
from distilbo.logs import setup_logging
from distilbo.stages.job import objectives, teacher_metrics
from distilbo.stages.settings import JobSettings
from distilbo.study.card import CardSettings
from distilbo.study.deployment import Deployment
from distilbo.study.frontier import write_frontier


def run(job) -> None:
    """Run the frontier job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p = job.params
    s = JobSettings.of(p)
    runs = {key: {"model": model, "metrics": metrics}
            for key, model, metrics in zip(p.trial_keys, job.input.models, job.input.metrics)}
    summary = getattr(job.input, "summary", None)  # student.vocabulary: trimmed
    card = CardSettings(s.student, p.teacher_init, s.windows,
                        read_json(summary, what="the trimmed vocabulary's summary") if summary else None)
    write_frontier(job.input.history, objectives(job, s.objectives), s.frontier, dict(job.output),
                   runs, teacher_metrics(job), list(p.params), Deployment.of_job(job.input, p.trial_keys),
                   job.input.retained, card)
