"""Observe: append the round's trials to the history (distilbo.study.history.observe_round)."""

import os

from distilbo.logs import setup_logging
from distilbo.study.config import completed, rung_training
from distilbo.study.history import observe_round
from distilbo.study.layout import DEPLOY_FILES


def run(job) -> None:
    """Run the observe job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i = job.input
    previous = i.previous[0] if i.previous else None
    deployment = None
    if hasattr(i, "latency"):  # the study measures deployment variants
        deployment = {"variants": [os.path.join(d, DEPLOY_FILES["variants"]) for d in i.deploy],
                      "latency": i.latency[0], "fixed": job.params.fixed, "precisions": job.params.precisions}
    first_steps = None
    if hasattr(job.params, "search"):  # search.fidelity
        first_steps = rung_training(completed(job.params.search, "search"), 0)["max_steps"]
    observe_round(i.suggestions, list(i.metrics), previous, job.output[0], job.params.names, deployment,
                  list(i.promotions), first_steps)
