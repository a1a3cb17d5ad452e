"""Promote: a round's promotions to one rung (distilbo.study.rungs.promote)."""

from distilbo.logs import setup_logging
from distilbo.search import SearchSpace
from distilbo.search.steps import study_steps
from distilbo.stages.job import objectives
from distilbo.stages.settings import JobSettings
from distilbo.study.rungs import GainInputs, measurements, promote


def run(job) -> None:
    """Run the promote job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p, w = job.params, job.wildcards
    s = JobSettings.of(p)
    study = s.rungs  # promotions exist in rung studies only
    gains = None
    if s.space is not None:  # promote_by top_gain
        space = SearchSpace(s.space)
        gains = GainInputs(space, measurements(list(job.input.history), space), study_steps(study.search), int(w.r),
                           s.acquisition)
    promote(objectives(job, s.objectives), list(job.input.candidates), list(job.input.earlier), int(w.r),
            int(w.rung), study.steps(int(w.rung)), p.slots, job.output[0], gains)
