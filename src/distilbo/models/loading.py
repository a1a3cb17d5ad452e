"""Models on disk: where a model comes from (hub id, local directory, pip package), loading a
teacher's initial weights and a tokenizer, loading a saved model of any supported family (a
head-pruned student through distilbo's own classes, with no remote code), saving a run's model,
and counting parameters."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

import torch
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer

from distilbo.atomic import atomic_path
from distilbo.models.families import UnsupportedFamily, family_of, kept_heads, layer_types
from distilbo.records.layout import WEIGHT_FILES, has_weights
from distilbo.records.sources import ModelSourceError, resolve_model_source

# A directory's tokenizer is one of these files (fast, WordPiece/BPE vocabularies, SentencePiece).
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spm.model",
                   "sentencepiece.bpe.model")


def load_tokenizer(source: str, config=None, key: str | None = None):
    """A fast tokenizer (the windows need its offsets) from any model location, checked against the
    model's config (`config`, or the location's own when it has one). `key`: the config key that
    named the location; its config is then loaded (from the hub too) and its family checked, so that
    the first job to read a model the study's start could not (a hub id) names the key at fault."""
    if key and config is None:
        config = load_config(source, key)
    path = resolve_model_source(source)
    if os.path.isdir(path) and not any(os.path.exists(os.path.join(path, f)) for f in TOKENIZER_FILES):
        raise ModelSourceError(f"model {source!r}: {path} has no tokenizer (none of {', '.join(TOKENIZER_FILES)})")
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise ModelSourceError(f"tokenizer of {source!r} is not a fast tokenizer (offsets are needed)")
    if config is None and os.path.isfile(os.path.join(path, "config.json")):
        config = AutoConfig.from_pretrained(path)
    if config is not None:
        check_vocabulary(tokenizer, config, source)
    return tokenizer


def check_vocabulary(tokenizer, config, source: str) -> None:
    """The tokenizer's ids fit the model's embeddings, and cover most of them: a tokenizer far
    smaller than the vocabulary is a wrong or missing one (every word would become unknown)."""
    n, vocab = len(tokenizer), getattr(config, "vocab_size", None)
    if vocab and n > vocab:
        raise ModelSourceError(f"model {source!r}: the tokenizer has {n} tokens, more than the model's "
                               f"vocab_size {vocab}")
    if vocab and n < vocab // 2:
        raise ModelSourceError(f"model {source!r}: the tokenizer has {n} tokens for a vocab_size of {vocab}: "
                               "its tokenizer files do not belong to this model, or are missing")


def check_model_dir(path: str | Path) -> None:
    """A saved model directory distilbo reads or ships: config, weights and tokenizer present, the
    tokenizer's vocabulary the model's. Errors name the directory and what is missing."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise ModelSourceError(f"{path}: not a model directory (no config.json)")
    _require_weights(path)
    load_tokenizer(str(path))


def _require_weights(path: Path) -> None:
    if not has_weights(path):
        raise ModelSourceError(f"{path}: no weights (none of {', '.join(WEIGHT_FILES)})")


def load_config(source: str, key: str | None = None):
    """The config of a model location, of a supported family (else UnsupportedFamily names it, and
    `key`, the config key that named the location, when given). No code from the location runs: a
    config that needs its own class is refused."""
    path = resolve_model_source(source)
    where = f"config: {key} {source!r}" if key else f"model {source!r}"
    try:
        config = AutoConfig.from_pretrained(path)
    except ValueError as err:  # an unknown model_type, or one that asks for trust_remote_code
        raise ModelSourceError(f"{where}: {err}") from None
    except OSError as err:  # not a directory, not on the hub or not reachable
        if not key:
            raise
        raise ModelSourceError(f"{where}: cannot read its config (a hub id, a local directory or "
                               f"package:NAME/SUBDIR): {str(err).splitlines()[0]}") from None
    try:
        family_of(config)
    except UnsupportedFamily as err:
        raise UnsupportedFamily(f"{where}: {err}" if key else str(err)) from None
    return config


def load_initial(init: str, random_init: Mapping | None = None, seed: int = 0):
    """(model, tokenizer) from a hub id, a local directory or package:NAME/SUBDIR; with random_init,
    a randomly initialized model of that config, changed by random_init (init's tokenizer and
    vocabulary). The model is of a supported family."""
    path = resolve_model_source(init)
    config = load_config(init)
    tokenizer = load_tokenizer(init, config)
    if random_init:
        for key, value in dict(random_init).items():
            setattr(config, key, value)
        if family_of(config).layer_types and "layer_types" not in random_init:  # a new depth, the same pattern
            config.layer_types = layer_types(config.layer_types, config.num_hidden_layers)
        torch.manual_seed(seed)
        return AutoModelForQuestionAnswering.from_config(config), tokenizer
    # A pretrained encoder has no QA head: from_pretrained draws one, from torch's generator, which a
    # fresh process seeds at random. Seeded, two fine-tunings start from the same head.
    torch.manual_seed(seed)
    return AutoModelForQuestionAnswering.from_pretrained(path, config=config, dtype=torch.float32), tokenizer


def load_model(path: str | Path, trust_remote_code: bool = False) -> torch.nn.Module:
    """A saved QA model of a supported family, head-pruned students included: distilbo builds them
    with its own classes (distilbo.models.pruned), so no code from the directory runs. Only with
    trust_remote_code (the user's opt-in) does the directory's own class (its auto_map) load."""
    from distilbo.models.pruned import model_class

    if os.path.isdir(path):
        _require_weights(Path(path))
    if trust_remote_code:
        return AutoModelForQuestionAnswering.from_pretrained(path, trust_remote_code=True)
    try:
        config = load_config(str(path))
    except (ModelSourceError, UnsupportedFamily) as err:
        raise ModelSourceError(f"{err} (to run the model's own code, opt in: distilbo-answer "
                               "--trust-remote-code, or answer(..., trust_remote_code=True))") from None
    # computed in float32 whatever the saved precision (student.save_dtype): CUDA runs autocast
    return model_class(config).from_pretrained(path, config=config, dtype=torch.float32)


SAVE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def save_model(model: torch.nn.Module, tokenizer, path: str | Path, settings: dict | None = None,
               extra: Callable[[Path], None] | None = None, dtype: str = "float32") -> None:
    """`save_pretrained` output, atomically; a head-pruned model carries its class (auto_map).
    `settings` (windows and answer extraction) go into config.json for `distilbo.deploy.answer`;
    `extra` writes more into the directory before it appears (the teacher's verifier); `dtype`
    (SAVE_DTYPES) is the precision of the saved weights: half of them take half the disk."""
    if settings:
        model.config.distilbo = dict(settings)
    if kept_heads(model.config):
        type(model).register_for_auto_class("AutoModelForQuestionAnswering")
    trained = next(model.parameters()).dtype
    with atomic_path(path, is_dir=True) as tmp:
        model.to(SAVE_DTYPES[dtype]).save_pretrained(tmp)
        model.to(trained)  # the caller's model as it was (the scores were taken before)
        tokenizer.save_pretrained(tmp)
        if extra:
            extra(tmp)


def num_parameters(model: torch.nn.Module) -> int:
    """Every parameter of the model, frozen or not (what a deployment ships)."""
    return sum(p.numel() for p in model.parameters())
