"""Snakemake adapter: distilbo.stages.latency."""
from distilbo.stages.latency import run

run(snakemake)
