"""Snakemake adapter: frontier, scenarios and exported models (distilbo.frontier.write_frontier)."""
import json

from distilbo.config import completed
from distilbo.frontier import write_frontier
from distilbo.logs import setup_logging
from distilbo.search import objectives_from_config

setup_logging(snakemake.log[0])
p = snakemake.params
runs = {key: {"model": model, "metrics": metrics}
        for key, model, metrics in zip(p.trial_keys, snakemake.input.models, snakemake.input.metrics)}
if hasattr(snakemake.input, "deploy"):  # the study measures deployment variants: their ONNX files ship too
    for key, deploy in zip(p.trial_keys, snakemake.input.deploy):
        runs[key]["deploy"] = deploy
teacher_metrics = json.loads(open(snakemake.input.teacher_metrics).read())
objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher_metrics)
deployment = None
if hasattr(snakemake.input, "latency"):
    deployment = {"latency": list(snakemake.input.latency), "teacher_deploy": snakemake.input.teacher_deploy,
                  "teacher_latency": snakemake.input.teacher_latency}
write_frontier(snakemake.input.history, objectives, completed(p.frontier, "frontier"), dict(snakemake.output),
               runs, teacher_metrics, list(p.params), deployment, snakemake.input.retained)
