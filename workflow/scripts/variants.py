"""Snakemake adapter: a trial's (or the teacher's) deployment variants (distilbo.deploy_stage.write_variants)."""
import torch

from distilbo.config import completed
from distilbo.deploy_stage import write_variants
from distilbo.evaluation import EvalSet
from distilbo.logs import setup_logging

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
i = snakemake.input
evalset = EvalSet.load(i.eval_questions, i.eval_features, completed(snakemake.params.scoring, "scoring"),
                       snakemake.params.windows)
write_variants(i.model, i.metrics, evalset, snakemake.output[0], rescore=getattr(snakemake.params, "rescore", False))
