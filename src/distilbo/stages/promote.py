"""Promote: a round's promotions to one rung (distilbo.study.rungs.promote)."""

from distilbo.logs import setup_logging
from distilbo.records.schema import completed, defaults
from distilbo.search import SearchSpace
from distilbo.search.steps import study_steps
from distilbo.stages.job import objectives
from distilbo.study.rungs import GainInputs, RungStudy, measurements, promote


def run(job) -> None:
    """Run the promote job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    p, w = job.params, job.wildcards
    study = RungStudy.of_job(p)  # promotions exist in rung studies only
    gains = None
    if p.space is not None:  # promote_by top_gain
        space = SearchSpace(completed(p.space, "search", "space"))
        acquisition = getattr(p, "acquisition", defaults("search")["acquisition"])  # stated when not the default
        gains = GainInputs(space, measurements(list(job.input.history), space), study_steps(study.search), int(w.r),
                           acquisition)
    promote(objectives(job), list(job.input.candidates), list(job.input.earlier), int(w.r), int(w.rung),
            study.steps(int(w.rung)), p.slots, job.output[0], gains)
