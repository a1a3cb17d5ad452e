"""Frontier: the frontier, scenarios and exported models (distilbo.study.frontier.write_frontier)."""
import json

from distilbo.logs import setup_logging
from distilbo.search import objectives_from_config
from distilbo.study.config import completed
from distilbo.study.deployment import Deployment
from distilbo.study.frontier import write_frontier


def run(job) -> None:
    """Run the frontier job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p = job.params
    runs = {key: {"model": model, "metrics": metrics}
            for key, model, metrics in zip(p.trial_keys, job.input.models, job.input.metrics)}
    teacher_metrics = json.loads(open(job.input.teacher_metrics).read())
    objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher_metrics)
    write_frontier(job.input.history, objectives, completed(p.frontier, "frontier"), dict(job.output),
                   runs, teacher_metrics, list(p.params), Deployment.of_job(job.input, p.trial_keys), job.input.retained)
