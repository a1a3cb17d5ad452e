"""Snakemake adapter: fine-tune the teacher (distilbo.teacher.finetune)."""
import torch

from distilbo.logs import setup_logging
from distilbo.teacher import finetune

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
finetune(snakemake.params.teacher, snakemake.params.scoring, snakemake.params.windows, dict(snakemake.input), dict(snakemake.output))
