"""Where a model comes from: a hub id, a local directory, or a pip-installed package
(`package:NAME/SUBDIR`). Plain paths: found without importing the package or loading torch."""

from __future__ import annotations

import importlib.util
import os


class ModelSourceError(ValueError):
    """A model location that cannot be used; the message names it."""


def resolve_model_source(source: str) -> str:
    """A model location: `package:NAME/SUBDIR` (a pip-installed package, found without importing
    it), a local directory, or a hub id, returned as something `from_pretrained` accepts."""
    if not source.startswith("package:"):
        return source
    name, _, sub = source[len("package:"):].partition("/")
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelSourceError(f"model {source!r}: package {name!r} is not installed "
                               f"(pip install {name.replace('_', '-')})")
    path = os.path.join(list(spec.submodule_search_locations)[0], sub)
    if not os.path.isdir(path):
        raise ModelSourceError(f"model {source!r}: {path} is not a directory")
    return path
