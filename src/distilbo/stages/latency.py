"""Latency: variants timed one at a time (distilbo.deploy.variants.write_latency): a
round's trials, or the teacher's."""

from distilbo.deploy.variants import write_latency
from distilbo.logs import setup_logging
from distilbo.qa.evaluation import EvalSet
from distilbo.study.tracking import from_env, log_latency


def run(job) -> None:
    """Run the latency job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    evalset = EvalSet.load(job.input.eval_questions, job.input.eval_features)
    table = write_latency(job.params.models, list(job.input.deploy), evalset, job.params.deploy,
                          job.output[0])
    log_latency(from_env(), table)  # tracking: each model's timings join its MLflow run
