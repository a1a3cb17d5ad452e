"""A study's config against its schema (distilbo.records.schema), with one short message per
mistake: the key, the value, what is allowed, and for a misspelt key the nearest valid one.
Snakemake's own validation prints the whole schema and config on the first mistake; this runs
first, so that it never does. Plain data: jsonschema and the schema file only."""

from __future__ import annotations

import difflib
import sys
from typing import Callable, Mapping, MutableMapping

from jsonschema import exceptions, validators

from distilbo.records.schema import renamed_train, schema


class SchemaError(ValueError):
    """A config the schema refuses; the message names the key at fault."""


def validate_config(cfg: Mapping, where: str = "config") -> None:
    """Raise SchemaError on the config's most telling mistake (jsonschema's best_match); `where`
    names the config in the message (its file, or "config")."""
    spec = schema()
    validator = validators.validator_for(spec)(spec)
    error = exceptions.best_match(validator.iter_errors(dict(cfg)))
    if error is not None:
        raise SchemaError(f"{where}: {describe(error)}")


def upgrade_config(cfg: MutableMapping, where: str = "config", warn: Callable[[str], None] | None = None) -> None:
    """Rename, in place, the keys a release renamed (schema.RENAMED_TRAIN) in teacher.train and
    student.train, telling `warn` (default: standard error) of each: an old config keeps working."""
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    for stage in ("teacher", "student"):
        section = cfg.get(stage)
        train = section.get("train") if isinstance(section, Mapping) else None
        if isinstance(train, Mapping):
            try:
                cfg[stage]["train"] = renamed_train(train, f"{where}: {stage}.train", warn)
            except ValueError as e:
                raise SchemaError(str(e)) from None


def describe(error: exceptions.ValidationError) -> str:
    """One line: where in the config, the value, and what the schema allows there."""
    key = ".".join(map(str, error.absolute_path)) or "(top level)"
    kind, value, rule = error.validator, error.instance, error.validator_value
    if kind == "additionalProperties":
        return _unknown_keys(key, value, error.schema)
    if kind == "required":
        missing = [k for k in rule if k not in value]
        return f"{key}: {', '.join(missing)} missing (required)"
    if kind == "enum":
        return f"{key}: {_short(value)} is not one of {', '.join(map(str, rule))}"
    if kind == "type":
        allowed = " or ".join(rule) if isinstance(rule, list) else rule
        return f"{key}: {_short(value)} is not of type {allowed}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        return f"{key}: {_short(value)} must be {word} {rule}"
    if kind in ("minProperties", "minItems"):
        return f"{key}: needs at least {rule} {'entries' if kind == 'minProperties' else 'items'}"
    return f"{key}: {_short(value)}: {error.message if len(error.message) < 200 else kind}"


def _unknown_keys(key: str, value: Mapping, node: Mapping) -> str:
    allowed = list(node.get("properties", {}))
    unknown = [k for k in value if k not in allowed]
    parts = []
    for name in unknown:
        near = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
        parts.append(f"{name!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    where = "at the top level" if key == "(top level)" else f"in {key}"
    return f"unknown key {', '.join(parts)} {where}; the keys there are {', '.join(allowed)}"


def _short(value, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
