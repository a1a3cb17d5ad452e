"""The study configuration's JSON schema, which holds every default: the defaults the library fills
in when it is used without the workflow, a section as the study states it (its defaults left out)
or completed, and config/README.md generated from it. Plain data (no torch): every layer reads
its defaults here."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

from distilbo.records import metrics

SCHEMA = Path(__file__).with_name("config.schema.yaml")
# The data settings that say how questions become windows (the data stage's; scoring needs them too).
WINDOW_SETTINGS = ("max_seq_length", "doc_stride", "max_query_length")
# search.fidelity.decay_fraction when unset (here: a schema default inside a section that defaults
# to null would make Snakemake's validation fill an object into None).
DECAY_FRACTION = 0.2
# search.fidelity.promote_by when unset (the same reason): rank promotions by expected top-rung gain.
PROMOTE_BY = "top_gain"
# search.fidelity.low_rungs when unset (the same reason): rungs below the top score the fixed eval
# sample of student.train.eval_subsample, the top rung every eval question.
LOW_RUNGS = "sample"
# The parts of the search section that a rule's param carries, by the param's name: `search` is the
# section as a suggestion reads it (not what cannot change one: raising `rounds` must not make
# finished rounds look changed, nor a retention change retrain them); `rungs` is a rung study's
# schedule (search.fidelity). Other params carry one part each, under its own name (`objectives`).
SEARCH_PARTS = {"search": None, "rungs": ("batch_size", "fidelity")}
SEARCH_LEFT_OUT = ("rounds", "keep_models")
# Training settings ($defs/train) renamed, old name -> new name and the release that renamed it:
# a config or a caller that spells the old name still works, with a warning that says the new one.
RENAMED_TRAIN = {"precision": ("autocast", "0.14.0")}


@lru_cache(maxsize=1)
def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def _resolved(node: dict) -> dict:
    """A schema node with its "#/$defs/NAME" reference replaced by the definition (siblings kept)."""
    if "$ref" not in node:
        return node
    return {**schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}


def section(*keys: str) -> dict:
    """The schema of one object, e.g. section("data") or section("$defs", "train") (references resolved)."""
    node = schema()
    for key in keys:
        node = _resolved(node["properties"][key] if key in node.get("properties", {}) else node[key])
    return node


def defaults(*keys: str) -> dict:
    """The schema's defaults of one object, e.g. defaults("data") or defaults("$defs", "train")."""
    return {k: p["default"] for k, p in section(*keys)["properties"].items() if "default" in p}


def renamed_train(train: Mapping, where: str, warn=None) -> dict:
    """A training section with each old key of RENAMED_TRAIN under its new name; `warn(message)`
    is told of each (`where` names the section). Both names at once are refused."""
    out = dict(train)
    for old, (new, release) in RENAMED_TRAIN.items():
        if old not in out:
            continue
        if new in out:
            raise ValueError(f"{where}: {old!r} and {new!r} both set; {old!r} was renamed {new!r} in {release}")
        out[new] = out.pop(old)
        if warn is not None:
            warn(f"{where}: {old!r} was renamed {new!r} in {release} (docs/upgrading.md); read as {new}: {out[new]}")
    return out


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
    return _strip(value, section(*keys))


def search_parts(param: str) -> tuple[str, ...]:
    """The keys of the search section that the param `param` carries (SEARCH_PARTS)."""
    parts = SEARCH_PARTS[param]
    return parts if parts is not None else tuple(k for k in section("search")["properties"] if k not in SEARCH_LEFT_OUT)


def completed(value, *keys: str):
    """The inverse of `stated`: the section with every schema default filled in (recursively)."""
    return _fill(value, section(*keys))


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


def reference_markdown() -> str:
    """config/README.md: every key of the schema with its type, default and description."""
    lines = ["# Configuration reference", "",
             "Generated from `src/distilbo/records/config.schema.yaml` by `python -m distilbo.records.schema > config/README.md`",
             "(a test checks it is current). A study's config names only what differs from these defaults.",
             "`config.yaml` is the default study; each file in `config/` is a whole study, or a layer over",
             "`config.yaml` that says so in its `layer_over` key (run both: `--configfile config.yaml LAYER.yaml`).", "",
             "| key | type | default | description |", "| --- | --- | --- | --- |"]
    _rows(schema(), "", lines)
    lines += ["", "## Metrics an objective may name", "",
              "What a trial records (`distilbo.records.metrics.TRIAL`); `computed` may name "
              f"{', '.join(f'`{m}`' for m in metrics.COMPUTED)}.", "",
              ", ".join(f"`{m}`" for m in metrics.TRIAL)]
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
