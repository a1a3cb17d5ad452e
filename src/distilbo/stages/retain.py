"""Retain: keep or remove the weights of the trials so far (distilbo.study.retention.retain)."""

from distilbo.logs import setup_logging
from distilbo.stages.job import objectives
from distilbo.stages.settings import JobSettings
from distilbo.study.retention import retain


def run(job) -> None:
    """Run the retain job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    runs = {key: {"model": model} for key, model in zip(p.trial_keys, i.models)}
    for key, deploy in zip(p.trial_keys, i.deploy):
        runs[key]["deploy"] = deploy
    retain(i.history, objectives(job, JobSettings.of(p).objectives), p.plane, p.keep_models, runs, job.output[0])
