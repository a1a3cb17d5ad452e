"""Snakemake adapter: distilbo.stages.progress."""
from distilbo.stages.progress import run

run(snakemake)
