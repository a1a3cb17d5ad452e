"""Snakemake adapter: distilbo.stages.head_importance."""
from distilbo.stages.head_importance import run

run(snakemake)
