"""Snakemake adapter: the study report (distilbo.report.build_report)."""
import json
import os

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.report import build_report
from distilbo.search import objectives_from_config

setup_logging(snakemake.log[0])
teacher_metrics = json.loads(open(snakemake.input.teacher_metrics).read())
search = {k: completed(v, "search", k) for k, v in snakemake.params.search.items()}
objectives = objectives_from_config(search["objectives"], teacher_metrics)
inputs = dict(snakemake.input)
inputs["curves"] = dict(zip(snakemake.params.trial_keys, snakemake.input.curves))
inputs["predictions"] = dict(zip(snakemake.params.trial_keys, snakemake.input.predictions))
if hasattr(snakemake.input, "latency"):  # the study measures deployment variants
    inputs["deploy"] = dict(zip(snakemake.params.trial_keys, snakemake.input.deploy))
    inputs["latency"] = list(snakemake.input.latency)
    inputs["teacher_deploy"] = snakemake.input.teacher_deploy
    inputs["teacher_latency"] = snakemake.input.teacher_latency
build_report(inputs, search, completed(snakemake.params.frontier, "frontier"), objectives,
             os.path.dirname(snakemake.output.page))
