"""Snakemake adapter: one distillation trial (distilbo.trial.distill_trial); in a multi-fidelity
study, at its rung (distilbo.promotion.plan_trial)."""
import torch

from distilbo.config import completed
from distilbo.devices import take_devices
from distilbo.history import trial_params
from distilbo.logs import setup_logging
from distilbo.promotion import plan_trial
from distilbo.tracking import from_env, log_trial
from distilbo.trial import distill_trial, skip_slot

setup_logging(snakemake.log[0])
# a GPU of its own on a workstation (profiles/workstation), held until the job ends
gpus = take_devices(int(getattr(snakemake.resources, "gpu", 0)))
torch.set_num_threads(snakemake.threads)
p, w, i = snakemake.params, snakemake.wildcards, snakemake.input
out = dict(snakemake.output)
rung = None
if hasattr(p, "search"):  # search.fidelity
    search = completed(p.search, "search")
    params, rung = plan_trial(search, int(w.r), int(w.i), out["metrics"], i.suggestions,
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
