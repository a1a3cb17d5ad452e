"""Observe: append the round's trials to the history (distilbo.study.history.observe_round)."""
from distilbo.logs import setup_logging
from distilbo.records.layout import trial_key
from distilbo.stages.settings import JobSettings
from distilbo.study.deployment import Deployment
from distilbo.study.history import observe_round


def run(job) -> None:
    """Run the observe job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i, p = job.input, job.params
    previous = i.previous[0] if i.previous else None
    keys = [trial_key(job.wildcards.r, k) for k in range(len(i.metrics))]
    s = JobSettings.of(p)
    first_steps = s.rungs.steps(0) if s.rungs else None  # search.fidelity
    observe_round(i.suggestions, list(i.metrics), previous, job.output[0], p.names, Deployment.of_job(i, keys),
                  list(i.promotions), first_steps, s.fixed, p.precisions)
