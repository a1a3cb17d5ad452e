"""Snakemake adapter: distilbo.stages.computed_importance."""
from distilbo.stages.computed_importance import run

run(snakemake)
