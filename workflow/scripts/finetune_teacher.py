"""Snakemake adapter: distilbo.stages.finetune_teacher."""
from distilbo.stages.finetune_teacher import run

run(snakemake)
