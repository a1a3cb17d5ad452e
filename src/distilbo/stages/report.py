"""Report: the study report (distilbo.report.build_report)."""

import os

from distilbo.logs import setup_logging
from distilbo.records.schema import completed
from distilbo.report import build_report
from distilbo.stages.job import objectives
from distilbo.study.deployment import Deployment


def run(job) -> None:
    """Run the report job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    search = {k: completed(v, "search", k) for k, v in job.params.search.items()}
    inputs = dict(job.input)
    inputs["curves"] = dict(zip(job.params.trial_keys, job.input.curves))
    inputs["predictions"] = dict(zip(job.params.trial_keys, job.input.predictions))
    build_report(inputs, search, completed(job.params.frontier, "frontier"), objectives(job, search["objectives"]),
                 os.path.dirname(job.output.page), Deployment.of_job(job.input, job.params.trial_keys),
                 job.params.card_link)
