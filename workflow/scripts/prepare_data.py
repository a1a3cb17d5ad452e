"""Snakemake adapter for the data stage: see distilbo.data_stage."""
from distilbo.logs import setup_logging
from distilbo.data_stage import prepare_data

setup_logging(snakemake.log[0])
prepare_data(snakemake.params.data, snakemake.params.tokenizer,
             dict(zip(["train", "eval", "transfer"], snakemake.output.questions)),
             dict(zip(["train", "eval", "transfer"], snakemake.output.features)))
