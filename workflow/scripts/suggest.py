"""Snakemake adapter: the round's suggestions (distilbo.study.suggest_round)."""
import json

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.study import suggest_round

setup_logging(snakemake.log[0])
history = snakemake.input.history[0] if snakemake.input.history else None
teacher_metrics = json.loads(open(snakemake.input.teacher_metrics).read())
suggest_round(completed(snakemake.params.search, "search"), snakemake.input.teacher, teacher_metrics, history,
              int(snakemake.wildcards.r), snakemake.output[0], getattr(snakemake.params, "student_steps", None))
