# Shared helpers: the results layout (distilbo.records.layout) and the inputs that are files.
import json
import os

from distilbo.records.schema import WINDOW_SETTINGS, search_parts, stated

from distilbo.study.plan import (
    history_precisions,
    measures_variants,
    promote_by,
    round_size,
    suggestion_basis,
    trial_rung,
    trial_rungs,
    uses_head_importance,
)
from distilbo.study.tracking import ENV as TRACKING_ENV, settings as tracking_settings
from distilbo.records.layout import (
    LOGIT_SPLITS,
    MODEL_CARD,
    REPORT_DEPLOYMENT,
    REPORT_FIGURES,
    REPORT_RUNGS,
    REPORT_TABLES,
    SPLITS,
    Layout,
    trial_key,
)

L = Layout(config["results"])
ROUNDS = list(range(config["search"]["rounds"]))
# A round's trials: q new ones, then (search.fidelity) the promotion slots, each at its rung.
TRIALS = list(range(round_size(config["search"])))
RUNGS = trial_rungs(config["search"])
FIDELITY = config["search"]["fidelity"]
TRIAL_KEYS = [trial_key(r, i) for r in ROUNDS for i in TRIALS]
LAST_OBSERVATIONS = L.observations(ROUNDS[-1])
MEASURES_VARIANTS = measures_variants(config)
# student.vocabulary: trimmed (distilbo.data.vocabulary): students of their own vocabulary, scored
# on the eval windows their tokenizer makes.
TRIMMED = config["student"]["vocabulary"] == "trimmed"
STUDENT_EVAL_FEATURES = L.vocabulary("eval_features") if TRIMMED else L.features("eval")
# MLflow tracking (config tracking:): the jobs read its settings from the environment, so that
# turning it on or off re-runs nothing.
TRACKING = tracking_settings(config["tracking"], config["results"])
if TRACKING:
    os.environ[TRACKING_ENV] = json.dumps(TRACKING)
else:
    os.environ.pop(TRACKING_ENV, None)
# Jobs import distilbo from this checkout: a conda env from envs/ carries its dependencies only.
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p
        for p in (os.path.join(workflow.basedir, "src"), os.environ.get("PYTHONPATH"))
        if p
    )
)


def stated_config(*keys):
    """A config section without its schema defaults (distilbo.records.schema.stated), for a rule's params:
    a default added by an upgrade then leaves finished jobs' params as they were."""
    value = config
    for key in keys:
        value = value[key]
    return stated(value, *keys)


def stated_search(param):
    """The parts of the search section that the param `param` carries
    (distilbo.records.schema.SEARCH_PARTS), as the study states them."""
    parts = search_parts(param)
    return stated({k: v for k, v in config["search"].items() if k in parts}, "search")


def stated_windows():
    """The window settings the study states (the library fills in the rest)."""
    return {k: v for k, v in stated_config("data").items() if k in WINDOW_SETTINGS}


def vocabulary_inputs(*names):
    """The trimmed vocabulary's files a rule reads (none with the full vocabulary)."""
    return {n: L.vocabulary(n) for n in names} if TRIMMED else {}


def head_importance_inputs(wildcards):
    """The teacher's head importance, for a study whose trials may keep heads by importance only."""
    return [L.head_importance()] if uses_head_importance(config["search"]) else []


def local_inputs(*sources):
    """The data files a rule reads, so Snakemake re-runs it when they change (hub ids are not files)."""
    return [s for s in sources if s and not s.startswith("hub:") and os.path.exists(s)]


def trial_files(name):
    """One file (or directory) of every trial of the study, in TRIAL_KEYS order."""
    return [L.trial(name, r, i) for r in ROUNDS for i in TRIALS]


def trials_so_far(wildcards):
    """(round, trial) of every trial up to round wildcards.r, in trial-key order."""
    return [(r, i) for r in range(int(wildcards.r) + 1) for i in TRIALS]


def deployment_inputs(rounds):
    """Deployment variants ("deploy": every trial's directory) and latency tables of `rounds`, for
    a study that measures them (else none)."""
    if not MEASURES_VARIANTS:
        return {}
    return {
        "deploy": [L.deploy(r, i) for r in rounds for i in TRIALS],
        "latency": [L.latency(r) for r in rounds],
    }


def round_deployment(wildcards):
    return deployment_inputs([wildcards.r])


def study_deployment(wildcards):
    """Every round's deployment inputs, and the teacher's variants for reference."""
    if not MEASURES_VARIANTS:
        return {}
    return {
        **deployment_inputs(ROUNDS),
        "teacher_deploy": L.teacher_deploy(),
        "teacher_latency": L.teacher_latency(),
    }


def report_names(names):
    """The report's figures or tables: the deployment section's too when the study measures
    variants, the rungs section's when it has rungs."""
    return (
        list(names)
        + (list(REPORT_DEPLOYMENT) if MEASURES_VARIANTS else [])
        + (list(REPORT_RUNGS) if FIDELITY else [])
    )


def rung_params():
    """A rung study's schedule (search.fidelity), which tells its jobs the kind of study they are
    part of (distilbo.stages.settings.JobSettings.rungs); none for a study of one budget.
    """
    return {"rungs": stated_search("rungs")} if FIDELITY else {}


def student_base_params():
    """The model students are cut from when it is not the teacher (student.base names another
    model; stated only then, so that finished studies' suggestions keep their params).
    """
    base = config["student"]["base"]
    return {} if base in ("teacher", "init") else {"student_base": base}


def warm_start_params():
    """The steps this study's trials train, to tell which imported trials compare (only a study
    with search.warm_start states it: a new param would make finished suggestions look changed).
    """
    if not config["search"]["warm_start"]:
        return {}
    fixed = config["search"]["fixed"]
    return {
        "student_steps": fixed.get("max_steps", config["student"]["train"]["max_steps"])
    }


def trial_promotions(wildcards):
    """A promotion slot's table (which trial it continues); none for a new trial."""
    rung = RUNGS[int(wildcards.i)]
    return [L.promotions(wildcards.r, rung)] if rung else []


def rung_candidates(wildcards):
    """The metrics of every measurement one rung below the promotions' rung, in rounds so far."""
    below = int(wildcards.rung) - 1
    return [
        L.trial("metrics", r, i)
        for r in range(int(wildcards.r) + 1)
        for i in TRIALS
        if trial_rung(config["search"], r, i) == below
    ]


def promotion_history(wildcards):
    """For promotions by expected top-rung gain: the metrics of every measurement before them (the
    earlier rounds, and the round's own trials below their rung), the surrogates' history.
    """
    if promote_by(config["search"]) != "top_gain":
        return []
    r, rung = int(wildcards.r), int(wildcards.rung)
    return [
        L.trial("metrics", q, i)
        for q in range(r + 1)
        for i in TRIALS
        if q < r or trial_rung(config["search"], q, i) < rung
    ]


def round_promotions(wildcards):
    """The round's promotions tables, one per rung its slots train to."""
    return [L.promotions(wildcards.r, k) for k in sorted(set(RUNGS) - {0})]


def previous_observations(wildcards):
    """The observations of the round before (none for round 0), which a round's extend."""
    r = int(wildcards.r)
    return [L.observations(r - 1)] if r > 0 else []


def suggest_history(wildcards):
    """The observations a round's suggestions learn from: the round before's, or with search.overlap
    k the one k rounds before that (distilbo.study.plan.suggestion_basis)."""
    observed, _ = suggestion_basis(config["search"], int(wildcards.r))
    return [L.observations(observed)] if observed is not None else []


def pending_suggestions(wildcards):
    """With search.overlap: the suggestions of the rounds still training when this one is suggested."""
    _, pending = suggestion_basis(config["search"], int(wildcards.r))
    return [L.suggestions(r) for r in pending]
