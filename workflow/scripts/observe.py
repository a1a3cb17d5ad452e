"""Snakemake adapter: append the round's trials to the history (distilbo.history.observe_round)."""
from distilbo.history import observe_round
from distilbo.logs import setup_logging

setup_logging(snakemake.log[0])
previous = snakemake.input.previous[0] if snakemake.input.previous else None
observe_round(snakemake.input.suggestions, list(snakemake.input.metrics), previous, snakemake.output[0],
              snakemake.params.names)
