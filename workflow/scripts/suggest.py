"""Snakemake adapter: the round's suggestions (distilbo.study.suggest_round)."""
from distilbo.logs import setup_logging
from distilbo.study import suggest_round

setup_logging(snakemake.log[0])
history = snakemake.input.history[0] if snakemake.input.history else None
suggest_round(snakemake.params.search, snakemake.input.teacher, history, int(snakemake.wildcards.r), snakemake.output[0])
