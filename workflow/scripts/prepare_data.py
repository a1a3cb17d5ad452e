"""Snakemake adapter for the data stage: see distilbo.data_stage."""
from distilbo.config import completed
from distilbo.data_stage import prepare_data
from distilbo.logs import setup_logging

setup_logging(snakemake.log[0])
splits = snakemake.params.splits
prepare_data(completed(snakemake.params.data, "data"), snakemake.params.tokenizer,
             dict(zip(splits, snakemake.output.questions)),
             dict(zip(splits, snakemake.output.features)))
