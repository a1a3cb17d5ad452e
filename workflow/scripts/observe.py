"""Snakemake adapter: append the round's trials to the history (distilbo.study.observe_round)."""
from distilbo.logs import setup_logging
from distilbo.study import observe_round

setup_logging(snakemake.log[0])
previous = snakemake.input.previous[0] if snakemake.input.previous else None
observe_round(snakemake.input.suggestions, list(snakemake.input.metrics), previous, snakemake.output[0],
              snakemake.params.names)
