"""Snakemake adapter: the round's variants timed one at a time (distilbo.deploy_stage.write_latency)."""
from distilbo.deploy_stage import write_latency
from distilbo.evaluation import EvalSet
from distilbo.logs import setup_logging

setup_logging(snakemake.log[0])
r = int(snakemake.wildcards.r)
evalset = EvalSet.load(snakemake.input.eval_questions, snakemake.input.eval_features)
write_latency([(r, i) for i in snakemake.params.trials], list(snakemake.input.deploy), evalset,
              snakemake.params.deploy, snakemake.output[0])
