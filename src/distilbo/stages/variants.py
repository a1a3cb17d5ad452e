"""Variants: a trial's (or the teacher's) deployment variants (distilbo.deploy.variants.write_variants)."""

import torch

from distilbo.deploy.variants import write_variants
from distilbo.logs import setup_logging
from distilbo.qa.evaluation import EvalSet
from distilbo.records.layout import trial_key
from distilbo.stages.settings import JobSettings
from distilbo.study.tracking import from_env, log_variants


def run(job) -> None:
    """Run the variants job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    torch.set_num_threads(job.threads)
    i = job.input
    s = JobSettings.of(job.params)
    evalset = EvalSet.load(i.eval_questions, i.eval_features, s.scoring, s.windows)
    record = write_variants(i.model, i.metrics, evalset, job.output[0],
                            rescore=getattr(job.params, "rescore", False))
    # tracking: the variants' scores and sizes join the trial's (or the teacher's) MLflow run
    log_variants(from_env(), trial_key(job.wildcards.r, job.wildcards.i) if job.wildcards else "teacher", record)
