"""Snakemake adapter: distilbo.stages.suggest."""
from distilbo.stages.suggest import run

run(snakemake)
