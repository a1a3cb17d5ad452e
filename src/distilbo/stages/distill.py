"""Distill: one trial (distilbo.training.trial.distill_trial); in a multi-fidelity
study, at its rung (distilbo.study.rungs.plan_trial)."""

from distilbo.logs import setup_logging
from distilbo.stages.compute import claim_compute
from distilbo.stages.settings import JobSettings
from distilbo.study.history import trial_params
from distilbo.study.rungs import plan_trial
from distilbo.study.tracking import from_env, log_trial
from distilbo.training.trial import distill_trial, skip_slot


def run(job) -> None:
    """Run the distill job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    _gpus = claim_compute(job)  # held until the job ends
    s, w, i = JobSettings.of(job.params), job.wildcards, job.input
    out = dict(job.output)
    rung = None
    if s.rungs:  # search.fidelity
        params, rung = plan_trial(s.rungs.search, int(w.r), int(w.i), out["metrics"], i.suggestions,
                                  i.promotions[0] if i.promotions else None)
    else:
        params = trial_params(i.suggestions, int(w.i), s.fixed)
    if params is None:
        skip_slot(out, rung.where)
    else:
        distill_trial(params, s.student, s.teacher, s.scoring, s.windows, dict(i), out, rung)
    # tracking (config tracking:): the trial as its MLflow run; never fails the job
    log_trial(from_env(), out, params, i.suggestions, rung.where if rung else {"round": w.r, "trial": w.i})
