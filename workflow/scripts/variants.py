"""Snakemake adapter: a trial's (or the teacher's) deployment variants (distilbo.deploy_stage.write_variants)."""
import torch

from distilbo.config import completed
from distilbo.deploy_stage import write_variants
from distilbo.evaluation import EvalSet
from distilbo.layout import trial_key
from distilbo.logs import setup_logging
from distilbo.tracking import from_env, log_variants

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
i = snakemake.input
evalset = EvalSet.load(i.eval_questions, i.eval_features, completed(snakemake.params.scoring, "scoring"),
                       snakemake.params.windows)
record = write_variants(i.model, i.metrics, evalset, snakemake.output[0],
                        rescore=getattr(snakemake.params, "rescore", False))
# tracking: the variants' scores and sizes join the trial's (or the teacher's) MLflow run
log_variants(from_env(), trial_key(snakemake.wildcards.r, snakemake.wildcards.i) if snakemake.wildcards else "teacher", record)
