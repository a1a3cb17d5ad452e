"""Distill: one trial (distilbo.training.trial.distill_trial); in a multi-fidelity
study, at its rung (distilbo.study.rungs.RungStudy)."""

from distilbo.logs import setup_logging
from distilbo.records.schema import completed
from distilbo.stages.compute import claim_compute
from distilbo.study.history import trial_params
from distilbo.study.rungs import RungStudy
from distilbo.study.tracking import from_env, log_trial
from distilbo.training.trial import distill_trial, skip_slot


def run(job) -> None:
    """Run the distill job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    _gpus = claim_compute(job)  # held until the job ends
    p, w, i = job.params, job.wildcards, job.input
    out = dict(job.output)
    rung, study = None, RungStudy.of_job(p)
    if study:  # search.fidelity
        params, rung = study.plan_trial(int(w.r), int(w.i), out["metrics"], i.suggestions,
                                        i.promotions[0] if i.promotions else None)
    else:
        params = trial_params(i.suggestions, int(w.i), p.fixed)
    if params is None:
        skip_slot(out, rung.where)
    else:
        distill_trial(params, completed(p.student, "student"), completed(p.teacher, "teacher"),
                      completed(p.scoring, "scoring"), p.windows, dict(i), out, rung)
    # tracking (config tracking:): the trial as its MLflow run; never fails the job
    log_trial(from_env(), out, params, i.suggestions, rung.where if rung else {"round": w.r, "trial": w.i})
