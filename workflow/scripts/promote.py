"""Snakemake adapter: distilbo.stages.promote."""
from distilbo.stages.promote import run

run(snakemake)
