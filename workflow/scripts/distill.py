"""Snakemake adapter: one distillation trial (distilbo.trial.distill_trial)."""
import torch

from distilbo.logs import setup_logging
from distilbo.history import trial_params
from distilbo.trial import distill_trial

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
params = trial_params(snakemake.input.suggestions, int(snakemake.wildcards.i), snakemake.params.fixed)
distill_trial(params, snakemake.params.student, snakemake.params.teacher, snakemake.params.scoring,
              snakemake.params.windows, dict(snakemake.input), dict(snakemake.output))
