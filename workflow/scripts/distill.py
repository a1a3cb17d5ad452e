"""Snakemake adapter: distilbo.stages.distill."""
from distilbo.stages.distill import run

run(snakemake)
