"""Snakemake adapter: frontier, scenarios and exported models (distilbo.frontier.write_frontier)."""
import json

from distilbo.frontier import write_frontier
from distilbo.logs import setup_logging
from distilbo.study import study_objectives, teacher_config

setup_logging(snakemake.log[0])
objectives = study_objectives(snakemake.params.search, teacher_config(snakemake.input.teacher))
teacher_metrics = json.load(open(snakemake.input.teacher_metrics))
write_frontier(snakemake.input.history, objectives, snakemake.params.frontier, dict(snakemake.output),
               snakemake.params.results, teacher_metrics, list(snakemake.params.search["space"]))
