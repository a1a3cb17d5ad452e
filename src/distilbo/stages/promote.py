"""Promote: a round's promotions to one rung (distilbo.study.rungs.promote)."""

import json

from distilbo.logs import setup_logging
from distilbo.search import SearchSpace, objectives_from_config
from distilbo.search.fidelity import study_steps
from distilbo.study.config import completed, rung_training
from distilbo.study.rungs import GainInputs, measurements, promote


def run(job) -> None:
    """Run the promote job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p, w = job.params, job.wildcards
    teacher = json.loads(open(job.input.teacher_metrics).read())
    objectives = objectives_from_config(completed(p.objectives, "search", "objectives"), teacher)
    search = completed(p.search, "search")
    steps = rung_training(search, int(w.rung))["max_steps"]
    gains = None
    if p.space is not None:  # promote_by top_gain
        space = SearchSpace(completed(p.space, "search", "space"))
        gains = GainInputs(space, measurements(list(job.input.history), space), study_steps(search), int(w.r))
    promote(objectives, list(job.input.candidates), list(job.input.earlier), int(w.r), int(w.rung), steps,
            p.slots, job.output[0], gains)
