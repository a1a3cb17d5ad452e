"""Snakemake adapter: append the round's trials to the history (distilbo.history.observe_round)."""
import os

from distilbo.config import completed, rung_training
from distilbo.history import observe_round
from distilbo.layout import DEPLOY_FILES
from distilbo.logs import setup_logging

setup_logging(snakemake.log[0])
i = snakemake.input
previous = i.previous[0] if i.previous else None
deployment = None
if hasattr(i, "latency"):  # the study measures deployment variants
    deployment = {"variants": [os.path.join(d, DEPLOY_FILES["variants"]) for d in i.deploy],
                  "latency": i.latency[0], "fixed": snakemake.params.fixed, "precisions": snakemake.params.precisions}
first_steps = None
if hasattr(snakemake.params, "search"):  # search.fidelity
    first_steps = rung_training(completed(snakemake.params.search, "search"), 0)["max_steps"]
observe_round(i.suggestions, list(i.metrics), previous, snakemake.output[0], snakemake.params.names, deployment,
              list(i.promotions), first_steps)
