"""Retain: keep or remove the weights of the trials so far (distilbo.study.retention.retain)."""

import json

from distilbo.logs import setup_logging
from distilbo.search import objectives_from_config
from distilbo.study.config import completed
from distilbo.study.retention import retain


def run(job) -> None:
    """Run the retain job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    runs = {key: {"model": model} for key, model in zip(p.trial_keys, i.models)}
    for key, deploy in zip(p.trial_keys, i.deploy):
        runs[key]["deploy"] = deploy
    teacher_metrics = json.loads(open(i.teacher_metrics).read())
    objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher_metrics)
    retain(i.history, objectives, p.plane, p.keep_models, runs, job.output[0])
