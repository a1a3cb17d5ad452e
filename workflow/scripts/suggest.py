"""Snakemake adapter: the round's suggestions (distilbo.study.suggest_round)."""
import json

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.study import suggest_round

setup_logging(snakemake.log[0])
history = snakemake.input.history[0] if snakemake.input.history else None
teacher_metrics = json.loads(open(snakemake.input.teacher_metrics).read())
# students are cut from the teacher, or from student.base when it names another model
source = getattr(snakemake.params, "student_base", None) or snakemake.input.teacher
suggest_round(completed(snakemake.params.search, "search"), source, teacher_metrics, history,
              int(snakemake.wildcards.r), snakemake.output[0], getattr(snakemake.params, "student_steps", None))
