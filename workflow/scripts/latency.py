"""Snakemake adapter: variants timed one at a time (distilbo.deploy_stage.write_latency): a
round's trials, or the teacher's."""
from distilbo.deploy_stage import write_latency
from distilbo.evaluation import EvalSet
from distilbo.logs import setup_logging
from distilbo.tracking import from_env, log_latency

setup_logging(snakemake.log[0])
evalset = EvalSet.load(snakemake.input.eval_questions, snakemake.input.eval_features)
table = write_latency(snakemake.params.models, list(snakemake.input.deploy), evalset, snakemake.params.deploy,
                      snakemake.output[0])
log_latency(from_env(), table)  # tracking: each model's timings join its MLflow run
