"""Snakemake adapter: distilbo.stages.variants."""
from distilbo.stages.variants import run

run(snakemake)
