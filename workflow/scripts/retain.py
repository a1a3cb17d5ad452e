"""Snakemake adapter: keep or remove the weights of the trials so far (distilbo.retention.retain)."""
import json

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.retention import retain
from distilbo.search import objectives_from_config

setup_logging(snakemake.log[0])
i, p = snakemake.input, snakemake.params
runs = {key: {"model": model} for key, model in zip(p.trial_keys, i.models)}
for key, deploy in zip(p.trial_keys, i.deploy):
    runs[key]["deploy"] = deploy
teacher_metrics = json.loads(open(i.teacher_metrics).read())
objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher_metrics)
retain(i.history, objectives, p.plane, p.keep_models, runs, snakemake.output[0])
