"""The study configuration: its JSON schema (which holds every default), the defaults the library
fills in when it is used without the workflow, and the checks a schema cannot express, run when a
study starts so that a bad config stops before any job runs."""

from __future__ import annotations

import copy
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

from distilbo.study import metrics

SCHEMA = Path(__file__).with_name("config.schema.yaml")
# The data settings that say how questions become windows (the data stage's; scoring needs them too).
WINDOW_SETTINGS = ("max_seq_length", "doc_stride", "max_query_length")
# search.fidelity.decay_fraction when unset (here: a schema default inside a section that defaults
# to null would make Snakemake's validation fill an object into None).
DECAY_FRACTION = 0.2
# search.fidelity.promote_by when unset (the same reason): rank promotions by expected top-rung gain.
PROMOTE_BY = "top_gain"


class ConfigError(ValueError):
    """A config that the schema accepts but the study cannot run."""


@lru_cache(maxsize=1)
def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def _resolved(node: dict) -> dict:
    """A schema node with its "#/$defs/NAME" reference replaced by the definition (siblings kept)."""
    if "$ref" not in node:
        return node
    return {**schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}


def _section(*keys: str) -> dict:
    node = schema()
    for key in keys:
        node = _resolved(node["properties"][key] if key in node.get("properties", {}) else node[key])
    return node


def defaults(*keys: str) -> dict:
    """The schema's defaults of one object, e.g. defaults("data") or defaults("$defs", "train")."""
    return {k: p["default"] for k, p in _section(*keys)["properties"].items() if "default" in p}


def _child(node: dict | None, key: str) -> dict | None:
    """The schema of `key` inside an object's schema (a property, or a map's entries)."""
    if node is None:
        return None
    if key in node.get("properties", {}):
        return _resolved(node["properties"][key])
    extra = node.get("additionalProperties")
    return _resolved(extra) if isinstance(extra, dict) else None


def stated(value, *keys: str):
    """A config section without the values that equal their schema default: what the study itself
    says. Rules take their params from it, so that a default the schema gains in an upgrade does
    not make Snakemake re-run finished stages (it re-runs a job whose params changed)."""
    return _strip(value, _section(*keys))


def completed(value, *keys: str):
    """The inverse of `stated`: the section with every schema default filled in (recursively)."""
    return _fill(value, _section(*keys))


def _strip(value, node: dict | None):
    if not isinstance(value, Mapping) or node is None:
        return value
    out = {}
    for key, v in value.items():
        child = _child(node, key)
        if child is not None and "default" in child and v == child["default"]:
            continue
        out[key] = _strip(v, child)
    return out


def _fill(value, node: dict | None):
    if not isinstance(value, Mapping) or node is None:
        return value
    out = {k: _fill(copy.deepcopy(p["default"]), _resolved(p)) for k, p in node.get("properties", {}).items()
           if "default" in p and k not in value}
    out.update({key: _fill(v, _child(node, key)) for key, v in value.items()})
    return out


def window_defaults() -> dict:
    """How questions become windows (the data stage's settings)."""
    d = defaults("data")
    return {k: d[k] for k in WINDOW_SETTINGS}


def check_config(cfg: Mapping) -> None:
    """Raise ConfigError naming the key at fault; cfg has the schema's defaults filled in."""
    check_windows(cfg["data"])
    check_objectives(cfg["search"]["objectives"])
    check_frontier(cfg["frontier"], cfg["search"]["objectives"])
    check_space(cfg["search"])
    check_fidelity(cfg["search"], cfg["student"]["train"])
    check_deploy(cfg)
    check_tracking(cfg["tracking"])
    from distilbo.models.startup import ModelCheckError, check_models

    try:
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
        if spec.get("role", "objective") == "constraint" and spec.get("threshold") is None:
            raise ConfigError(f"config: search.objectives.{name}: a constraint needs a threshold")
    optimized = _optimized(objectives)
    if len(optimized) < 2:
        raise ConfigError(f"config: search.objectives: need at least 2 with role objective, got {optimized}")


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


def measures_variants(cfg: Mapping) -> bool:
    """Whether the study runs the deployment stage (config deploy.measure; auto: when it is needed)."""
    measure = cfg["deploy"]["measure"]
    return measure if isinstance(measure, bool) else bool(_variant_needs(cfg))


def _variant_needs(cfg: Mapping) -> list[str]:
    """The settings that read deployment variants' measurements."""
    search = cfg["search"]
    needs = [f"search.objectives.{n}" for n in search["objectives"] if n in metrics.NEEDS_VARIANTS]
    needs += [f"frontier.{k}" for k in ("quality", "size") if cfg["frontier"][k] in metrics.NEEDS_VARIANTS]
    needs += [f"search.{where}.{metrics.PRECISION}" for where in ("space", "fixed")
              if metrics.PRECISION in (search.get(where) or {})]
    return needs


def check_deploy(cfg: Mapping) -> None:
    needs = _variant_needs(cfg)
    if cfg["deploy"]["measure"] is False and needs:
        raise ConfigError(f"config: deploy.measure is false, but {', '.join(needs)} needs the deployment stage's "
                          "measurements; set deploy.measure: auto")
    choices = history_precisions(cfg["search"])
    bad = [c for c in choices if c not in metrics.PRECISIONS]
    if bad:
        raise ConfigError(f"config: search {metrics.PRECISION} {bad}: a variant is one of {list(metrics.PRECISIONS)}")


def history_precisions(search: Mapping) -> list[str]:
    """The variants of each trial that enter the history (of a study that measures them): every
    choice when precision is searched (both are made and measured anyway, and either may ship),
    else the fixed one (the first variant when unset)."""
    searched = (search["space"].get(metrics.PRECISION) or {}).get("choices")
    return list(searched or [(search.get("fixed") or {}).get(metrics.PRECISION, metrics.PRECISIONS[0])])


def uses_head_importance(search: Mapping) -> bool:
    """Whether a study's trials may keep heads by importance (distilbo.models.heads): head_choice searched,
    or fixed to importance. Unstated, it is StudentShape's default (the seeded draw)."""
    return "head_choice" in search["space"] or (search.get("fixed") or {}).get("head_choice") == "importance"


def slot_rungs(search: Mapping) -> list[int]:
    """The rung each promotion slot of a round trains to (search.fidelity; none without it): the
    slots follow the round's q new trials, rung by rung, e.g. promotions [2, 1] -> [1, 1, 2]."""
    fidelity = search.get("fidelity")
    return [k + 1 for k, n in enumerate(fidelity["promotions"]) for _ in range(n)] if fidelity else []


def trial_rungs(search: Mapping) -> list[int]:
    """The rung of each trial of a round: the q new trials at rung 0, then the promotion slots."""
    return [0] * search["batch_size"] + slot_rungs(search)


def promote_by(search: Mapping) -> str | None:
    """How a study's promotions rank their candidates (search.fidelity.promote_by; None without rungs)."""
    fidelity = search.get("fidelity")
    return fidelity.get("promote_by", PROMOTE_BY) if fidelity else None


def round_size(search: Mapping) -> int:
    """Trials per round: the q new ones and the promotion slots."""
    return search["batch_size"] + len(slot_rungs(search))


def suggestion_basis(search: Mapping, round_: int) -> tuple[int | None, list[int]]:
    """What round `round_`'s suggestions stand on: the last round whose observations they learn from
    (None: none yet), and the rounds still training, whose suggestions are pending (search.overlap)."""
    k = search.get("overlap") or 0
    observed = round_ - k - 1
    return (observed if observed >= 0 else None), list(range(max(observed + 1, 0), round_))


def rung_training(search: Mapping, rung: int) -> dict:
    """A rung's training settings: its steps, and the decay over the last decay_fraction of them."""
    fidelity = search["fidelity"]
    steps = fidelity["steps"][rung]
    return {"max_steps": steps, "decay_steps": max(1, round(fidelity.get("decay_fraction", DECAY_FRACTION) * steps))}


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


# Values a trial parameter can take: (low, high, whether low is allowed, whether high is allowed).
PARAM_RANGES = {
    "learning_rate": (0, None, False, None), "adam_epsilon": (0, None, False, None),
    "temperature": (0, None, False, None), "weight_decay": (0, None, True, None),
    "alpha_ce": (0, 1, True, True), "alpha_hidden": (0, None, True, None),
    "dropout": (0, 1, True, False), "attention_dropout": (0, 1, True, False), "qa_dropout": (0, 1, True, False),
    "n_layers": (1, None, True, None), "n_heads": (1, None, True, None), "batch_size": (1, None, True, None),
    "warmup_steps": (0, None, True, None), "max_steps": (1, None, True, None), "epochs": (0, None, False, None),
}


def check_params(search: Mapping) -> None:
    """Every parameter search.fixed, search.space and search.baseline name is one a trial takes,
    and every value or bound it can take works (a learning rate above 0, dropout in [0, 1))."""
    from distilbo.models.params import TRIAL_PARAMS

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


def reference_markdown() -> str:
    """config/README.md: every key of the schema with its type, default and description."""
    lines = ["# Configuration reference", "",
             "Generated from `src/distilbo/study/config.schema.yaml` by `python -m distilbo.study.config > config/README.md`",
             "(a test checks it is current). A study's config names only what differs from these defaults;",
             "`config.yaml` is the default study, `config/smoke.yaml` and `config/paper.yaml` are the others.", "",
             "| key | type | default | description |", "| --- | --- | --- | --- |"]
    _rows(schema(), "", lines)
    return "\n".join(lines) + "\n"


def _rows(node: dict, prefix: str, lines: list[str]) -> None:
    for name, prop in node.get("properties", {}).items():
        key = f"{prefix}{name}"
        prop = _resolved(prop)
        kind = " or ".join(_kind(option, spelled=True) for option in prop["oneOf"]) if "oneOf" in prop else _kind(prop)
        default = "(required)" if name in node.get("required", []) else _show(prop.get("default", ""))
        text = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
        if prop.get("properties"):
            lines.append(f"| `{key}` | {kind} | | {text} |")
            _rows(prop, key + ".", lines)
        elif isinstance(prop.get("additionalProperties"), dict) and prop["additionalProperties"].get("properties"):
            lines.append(f"| `{key}` | {kind} | {default} | {text} |")  # a map: one entry's keys follow
            _rows(prop["additionalProperties"], key + ".<name>.", lines)
        else:
            lines.append(f"| `{key}` | {kind} | {default} | {text} |")


def _kind(prop: dict, spelled: bool = False) -> str:
    """A property's type for the table; `spelled` writes a small object's keys out."""
    if "enum" in prop:
        return "enum: " + " / ".join(map(str, prop["enum"]))
    kind = prop.get("type", "")
    if spelled and kind == "object" and prop.get("properties"):
        return "{" + ", ".join(f"{k}: {v.get('type', '')}" for k, v in prop["properties"].items()) + "}"
    return " or ".join(map(str, kind)) if isinstance(kind, list) else kind


def _show(value) -> str:
    if value == "":
        return ""
    return "`" + yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip() + "`"


if __name__ == "__main__":
    print(reference_markdown(), end="")
