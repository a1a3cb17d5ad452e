"""Snakemake adapter: a round's promotions to one rung (distilbo.promotion.promote)."""
import json

from distilbo.config import completed, rung_training
from distilbo.logs import setup_logging
from distilbo.promotion import GainInputs, measurements, promote
from distilbo.search import SearchSpace, objectives_from_config
from distilbo.search.fidelity import study_steps

setup_logging(snakemake.log[0])
p, w = snakemake.params, snakemake.wildcards
teacher = json.loads(open(snakemake.input.teacher_metrics).read())
objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher)
search = completed(p.search, "search")
steps = rung_training(search, int(w.rung))["max_steps"]
gains = None
if p.space is not None:  # promote_by top_gain
    space = SearchSpace(completed(p.space, "search", "space"))
    gains = GainInputs(space, measurements(list(snakemake.input.history), space), study_steps(search), int(w.r))
promote(objectives, list(snakemake.input.candidates), list(snakemake.input.earlier), int(w.r), int(w.rung), steps,
        p.slots, snakemake.output[0], gains)
