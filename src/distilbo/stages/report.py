"""Report: the study report (distilbo.report.build_report)."""

import json
import os

from distilbo.logs import setup_logging
from distilbo.report import build_report
from distilbo.search import objectives_from_config
from distilbo.study.config import completed


def run(job) -> None:
    """Run the report job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    teacher_metrics = json.loads(open(job.input.teacher_metrics).read())
    search = {k: completed(v, "search", k) for k, v in job.params.search.items()}
    objectives = objectives_from_config(search["objectives"], teacher_metrics)
    inputs = dict(job.input)
    inputs["curves"] = dict(zip(job.params.trial_keys, job.input.curves))
    inputs["predictions"] = dict(zip(job.params.trial_keys, job.input.predictions))
    if hasattr(job.input, "latency"):  # the study measures deployment variants
        inputs["deploy"] = dict(zip(job.params.trial_keys, job.input.deploy))
        inputs["latency"] = list(job.input.latency)
        inputs["teacher_deploy"] = job.input.teacher_deploy
        inputs["teacher_latency"] = job.input.teacher_latency
    build_report(inputs, search, completed(job.params.frontier, "frontier"), objectives,
                 os.path.dirname(job.output.page))
