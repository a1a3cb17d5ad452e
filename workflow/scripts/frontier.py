"""Snakemake adapter: distilbo.stages.frontier."""
from distilbo.stages.frontier import run

run(snakemake)
