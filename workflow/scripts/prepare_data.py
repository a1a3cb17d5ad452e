"""Snakemake adapter: distilbo.stages.prepare_data."""
from distilbo.stages.prepare_data import run

run(snakemake)
