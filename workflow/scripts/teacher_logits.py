"""Snakemake adapter: distilbo.stages.teacher_logits."""
from distilbo.stages.teacher_logits import run

run(snakemake)
