"""Snakemake adapter: distilbo.stages.observe."""
from distilbo.stages.observe import run

run(snakemake)
