"""Report: the study report (distilbo.report.build_report)."""

import os

from distilbo.logs import setup_logging
from distilbo.report import build_report
from distilbo.stages.job import objectives
from distilbo.stages.settings import JobSettings
from distilbo.study.deployment import Deployment


def run(job) -> None:
    """Run the report job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    s = JobSettings.of(job.params)
    search = {"objectives": s.objectives, "fixed": s.fixed, "space": s.space,
              "fidelity": s.rungs.search["fidelity"] if s.rungs else None}
    inputs = dict(job.input)
    inputs["curves"] = dict(zip(job.params.trial_keys, job.input.curves))
    inputs["predictions"] = dict(zip(job.params.trial_keys, job.input.predictions))
    build_report(inputs, search, s.frontier, objectives(job, s.objectives),
                 os.path.dirname(job.output.page), Deployment.of_job(job.input, job.params.trial_keys),
                 job.params.card_link)
