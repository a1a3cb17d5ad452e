"""Snakemake adapter: distilbo.stages.retain."""
from distilbo.stages.retain import run

run(snakemake)
