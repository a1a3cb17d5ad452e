"""Observe: append the round's trials to the history (distilbo.study.history.observe_round)."""
from distilbo.logs import setup_logging
from distilbo.study.config import completed, rung_training
from distilbo.study.deployment import Deployment
from distilbo.study.history import observe_round
from distilbo.study.layout import trial_key


def run(job) -> None:
    """Run the observe job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    previous = i.previous[0] if i.previous else None
    keys = [trial_key(job.wildcards.r, k) for k in range(len(i.metrics))]
    first_steps = None
    if hasattr(p, "search"):  # search.fidelity
        first_steps = rung_training(completed(p.search, "search"), 0)["max_steps"]
    observe_round(i.suggestions, list(i.metrics), previous, job.output[0], p.names, Deployment.of_job(i, keys),
                  list(i.promotions), first_steps, p.fixed, p.precisions)
