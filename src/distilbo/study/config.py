"""The checks of a study's config that its schema (distilbo.records.schema) cannot express, run
when a study starts so that a bad config stops before any job runs. Plain data: no torch,
transformers, scikit-optimize or pymoo, so that parsing the workflow stays fast. The checks that
need a model's files (distilbo.study.startup) run once, where the study is started."""

from __future__ import annotations

import importlib.util
import os
from typing import Mapping

from distilbo.records import metrics
from distilbo.records.params import PARAM_RANGES, TRIAL_PARAMS
from distilbo.study.plan import history_precisions, rung_training, variant_needs
from distilbo.study.startup import ModelCheckError, check_files, check_models


class ConfigError(ValueError):
    """A config that the schema accepts but the study cannot run."""


def check_config(cfg: Mapping, models: bool = True) -> None:
    """Raise ConfigError naming the key at fault; cfg has the schema's defaults filled in. `models`:
    check the files and models it names too (distilbo.study.startup), as a study's start does
    once and the parse of each of its jobs does not."""
    check_windows(cfg["data"])
    check_objectives(cfg["search"]["objectives"])
    check_frontier(cfg["frontier"], cfg["search"]["objectives"])
    check_space(cfg["search"])
    check_fidelity(cfg["search"], cfg["student"]["train"])
    check_deploy(cfg)
    check_tracking(cfg["tracking"])
    if models:
        check_study_models(cfg)


def check_study_models(cfg: Mapping) -> None:
    """The files and models a study names (distilbo.study.startup), as a ConfigError."""
    try:
        check_files(cfg)
        check_models(cfg)
    except ModelCheckError as err:
        raise ConfigError(str(err)) from None


def check_tracking(tracking: Mapping) -> None:
    """A study that tracks needs MLflow where it is parsed (its jobs log; distilbo.study.tracking)."""
    if tracking["uri"] and importlib.util.find_spec("mlflow") is None:
        raise ConfigError(f"config: tracking.uri is {tracking['uri']!r}, but MLflow is not installed: "
                          "pip install -e .[tracking] (mlflow-skinny), or unset tracking.uri")
    uri = tracking["uri"] or ""
    if uri.startswith("sqlite:") and importlib.util.find_spec("alembic") is None:
        raise ConfigError(f"config: tracking.uri {uri!r} is an SQLite store, which needs the full MLflow "
                          "package (pip install mlflow); mlflow-skinny logs to a directory or a server")


def check_windows(data: Mapping) -> None:
    room = data["max_seq_length"] - data["max_query_length"] - 3
    if room <= 0:
        raise ConfigError(f"config: data.max_query_length ({data['max_query_length']}) leaves no room for "
                          f"context in data.max_seq_length ({data['max_seq_length']})")
    if data["doc_stride"] >= room:
        raise ConfigError(f"config: data.doc_stride ({data['doc_stride']}) must be smaller than the context room "
                          f"of a window (max_seq_length - max_query_length - 3 = {room})")


def check_objectives(objectives: Mapping[str, Mapping]) -> None:
    for name, spec in objectives.items():
        if name not in metrics.TRIAL:
            hint = " (NoAns_f1 always equals NoAns_exact: use that)" if name == "NoAns_f1" else ""
            raise ConfigError(f"config: search.objectives.{name}: a trial does not record {name!r}{hint}; "
                              f"objectives may name {', '.join(metrics.TRIAL)}")
        if spec.get("source", "observed") == "computed" and name not in metrics.COMPUTED:
            raise ConfigError(f"config: search.objectives.{name}: source computed, but distilbo computes only "
                              f"{', '.join(metrics.COMPUTED)}; use source: observed")
        check_threshold(name, spec.get("threshold"))
        if spec.get("role", "objective") == "constraint" and spec.get("threshold") is None:
            raise ConfigError(f"config: search.objectives.{name}: a constraint needs a threshold")
    optimized = _optimized(objectives)
    if len(optimized) < 2:
        raise ConfigError(f"config: search.objectives: need at least 2 with role objective, got {optimized}")


def check_threshold(name: str, threshold) -> None:
    """A numeric threshold lies where the metric can: 0-100 for a score in percent, >= 0 for a size
    or a time ({teacher_fraction: F} is bounded by the schema)."""
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        return
    high = 100 if name in metrics.PERCENT else None
    if threshold < 0 or (high is not None and threshold > high):
        allowed = "0 to 100 (a score in percent)" if high else ">= 0"
        raise ConfigError(f"config: search.objectives.{name}.threshold is {threshold}: {name} lies in {allowed}")


def check_layers(cfg: Mapping, configfiles: list[str]) -> None:
    """A layer (layer_over: BASE) runs over its base study: loaded without it, it is refused in one line."""
    base = cfg.get("layer_over")
    if base and not any(os.path.realpath(f) == os.path.realpath(base) for f in configfiles):
        raise ConfigError(f"{', '.join(configfiles)}: a layer over {base} (layer_over), which is not loaded: "
                          f"run snakemake --configfile {base} {' '.join(configfiles)}")


def _optimized(objectives: Mapping[str, Mapping]) -> list[str]:
    """The objectives that span the frontier (constraints left out)."""
    return [n for n, s in objectives.items() if s.get("role", "objective") == "objective"]


def check_frontier(frontier: Mapping, objectives: Mapping[str, Mapping]) -> None:
    optimized = _optimized(objectives)
    for key in ("quality", "size"):
        if frontier[key] not in optimized:
            raise ConfigError(f"config: frontier.{key}: {frontier[key]!r} is not an objective of the study; "
                              f"search.objectives optimizes {', '.join(optimized)}")
    if frontier["quality"] == frontier["size"]:
        raise ConfigError(f"config: frontier.quality and frontier.size both name {frontier['size']!r}")


def check_deploy(cfg: Mapping) -> None:
    needs = variant_needs(cfg)
    if cfg["deploy"]["measure"] is False and needs:
        raise ConfigError(f"config: deploy.measure is false, but {', '.join(needs)} needs the deployment stage's "
                          "measurements; set deploy.measure: auto")
    choices = history_precisions(cfg["search"])
    bad = [c for c in choices if c not in metrics.PRECISIONS]
    if bad:
        raise ConfigError(f"config: search {metrics.PRECISION} {bad}: a variant is one of {list(metrics.PRECISIONS)}")


def check_fidelity(search: Mapping, student_train: Mapping) -> None:
    fidelity = search.get("fidelity")
    if not fidelity:
        return
    if search.get("overlap"):
        raise ConfigError("config: search.overlap and search.fidelity do not combine yet: a rung study's promotions "
                          "wait for the round's measurements; set search.overlap: 0")
    steps, promotions = fidelity["steps"], fidelity["promotions"]
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ConfigError(f"config: search.fidelity.steps {steps}: the rungs' steps must increase")
    if len(promotions) != len(steps) - 1:
        raise ConfigError(f"config: search.fidelity.promotions {promotions}: one entry per rung but the last "
                          f"({len(steps) - 1} for steps {steps})")
    tuned = sorted({"max_steps", "epochs", "decay_steps"} & (set(search["space"]) | set(search.get("fixed") or {})))
    if tuned:
        raise ConfigError(f"config: search.fidelity sets each trial's budget; search.space or search.fixed "
                          f"must not set {tuned}")
    warmup = student_train.get("warmup_steps", 0)
    first = rung_training(search, 0)
    if warmup + first["decay_steps"] > steps[0]:
        raise ConfigError(f"config: student.train.warmup_steps ({warmup}) and the decay ({first['decay_steps']} "
                          f"steps) do not fit the first rung's {steps[0]} steps")


def check_space(search: Mapping) -> None:
    from distilbo.search.space import SearchSpace, SpaceError

    try:
        space = SearchSpace(search["space"])
        if search.get("baseline"):
            space.validate({k: v for k, v in search["baseline"].items() if k in space.names}, "search.baseline")
    except SpaceError as err:
        raise ConfigError(f"config: {err}") from None
    replicates = search.get("replicates") or 0
    if replicates and not search.get("baseline"):
        raise ConfigError("config: search.replicates repeats the baseline; set search.baseline")
    if replicates >= search["batch_size"]:
        raise ConfigError(f"config: search.replicates ({replicates}) takes trials of round 0, which has "
                          f"search.batch_size ({search['batch_size']}): the baseline and its replicates must fit")
    both = sorted(set(space.names) & set(search.get("fixed") or {}))
    if both:
        raise ConfigError(f"config: search.fixed and search.space both set {both}: a parameter is fixed or searched")
    check_monotone(search)
    check_params(search)


def check_monotone(search: Mapping) -> None:
    """A stated monotone structure names searched parameters with an order (int or real)."""
    for name, spec in search["objectives"].items():
        for param in spec.get("monotone") or {}:
            kind = (search["space"].get(param) or {}).get("type")
            if kind not in ("int", "real"):
                why = "is not searched" if kind is None else f"is {kind}, which has no order"
                raise ConfigError(f"config: search.objectives.{name}.monotone.{param}: {param!r} {why}; "
                                  f"a monotone structure names int or real parameters of search.space")


def check_params(search: Mapping) -> None:
    """Every parameter search.fixed, search.space and search.baseline name is one a trial takes,
    and every value or bound it can take works (a learning rate above 0, dropout in [0, 1))."""
    for section in ("fixed", "space", "baseline"):
        unknown = sorted(set(search.get(section) or {}) - set(TRIAL_PARAMS))
        if unknown:
            raise ConfigError(f"config: search.{section}: {unknown} are not trial parameters; a trial takes "
                              f"{', '.join(sorted(TRIAL_PARAMS))}")
    values = [(f"search.fixed.{k}", v) for k, v in (search.get("fixed") or {}).items()]
    values += [(f"search.baseline.{k}", v) for k, v in (search.get("baseline") or {}).items()]
    for name, dim in search["space"].items():
        values += [(f"search.space.{name}.{b}", dim[b]) for b in ("low", "high") if b in dim]
    for key, value in values:
        param = key.split(".")[2]
        if param not in PARAM_RANGES or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        low, high, low_ok, high_ok = PARAM_RANGES[param]
        # a space's upper bound may touch an open end (the reference searched dropout up to 1.0):
        # a real drawn from the interval lands on it with probability 0
        high_ok = high_ok or key.endswith(".high")
        if not _in_range(value, low, high, low_ok, high_ok):
            bounds = f"{'[' if low_ok else '('}{low}, {high if high is not None else 'inf'}{']' if high_ok else ')'}"
            raise ConfigError(f"config: {key} is {value}: {param} must lie in {bounds}")


def _in_range(value, low, high, low_ok, high_ok) -> bool:
    above = value >= low if low_ok else value > low
    below = high is None or (value <= high if high_ok else value < high)
    return above and below
