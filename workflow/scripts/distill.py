"""Snakemake adapter: one distillation trial (distilbo.trial.distill_trial)."""
import torch

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.history import trial_params
from distilbo.trial import distill_trial

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
params = trial_params(snakemake.input.suggestions, int(snakemake.wildcards.i), p.fixed)
distill_trial(params, completed(p.student, "student"), completed(p.teacher, "teacher"), completed(p.scoring, "scoring"),
              p.windows, dict(snakemake.input), dict(snakemake.output))
