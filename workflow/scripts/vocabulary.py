"""Snakemake adapter: distilbo.stages.vocabulary."""
from distilbo.stages.vocabulary import run

run(snakemake)
