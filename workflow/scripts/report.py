"""Snakemake adapter: distilbo.stages.report."""
from distilbo.stages.report import run

run(snakemake)
