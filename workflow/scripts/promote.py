"""Snakemake adapter: a round's promotions to one rung (distilbo.promotion.promote)."""
import json

from distilbo.config import completed, rung_training
from distilbo.logs import setup_logging
from distilbo.promotion import promote
from distilbo.search import objectives_from_config

setup_logging(snakemake.log[0])
p, w = snakemake.params, snakemake.wildcards
teacher = json.loads(open(snakemake.input.teacher_metrics).read())
objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher)
steps = rung_training(completed(p.search, "search"), int(w.rung))["max_steps"]
promote(objectives, list(snakemake.input.candidates), list(snakemake.input.earlier), int(w.r), int(w.rung), steps,
        p.slots, snakemake.output[0])
