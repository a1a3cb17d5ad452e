"""Frontier: the frontier, scenarios and exported models (distilbo.study.frontier.write_frontier)."""

import json

from distilbo.logs import setup_logging
from distilbo.search import objectives_from_config
from distilbo.study.config import completed
from distilbo.study.frontier import write_frontier


def run(job) -> None:
    """Run the frontier job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p = job.params
    runs = {key: {"model": model, "metrics": metrics}
            for key, model, metrics in zip(p.trial_keys, job.input.models, job.input.metrics)}
    if hasattr(job.input, "deploy"):  # the study measures deployment variants: their ONNX files ship too
        for key, deploy in zip(p.trial_keys, job.input.deploy):
            runs[key]["deploy"] = deploy
    teacher_metrics = json.loads(open(job.input.teacher_metrics).read())
    objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher_metrics)
    deployment = None
    if hasattr(job.input, "latency"):
        deployment = {"latency": list(job.input.latency), "teacher_deploy": job.input.teacher_deploy,
                      "teacher_latency": job.input.teacher_latency}
    write_frontier(job.input.history, objectives, completed(p.frontier, "frontier"), dict(job.output),
                   runs, teacher_metrics, list(p.params), deployment, job.input.retained)
