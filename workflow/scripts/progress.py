"""Snakemake adapter: the progress page after a round (distilbo.report.progress.build_progress)."""
import json

from distilbo.config import completed
from distilbo.logs import setup_logging
from distilbo.report.progress import build_progress
from distilbo.search import objectives_from_config

setup_logging(snakemake.log[0])
i, p = snakemake.input, snakemake.params
teacher = json.loads(open(i.teacher_metrics).read())
objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher)
build_progress(i.history, i.started, list(i.observations), i.teacher_metrics, objectives,
               completed(p.frontier, "frontier"), p.rounds, snakemake.output[0], p.latest)
