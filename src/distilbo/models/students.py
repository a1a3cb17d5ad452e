"""Students cut from a teacher of any supported family (distilbo.models.families): a subset of its
layers and, per layer, some heads removed, weights copied from the teacher (or another pretrained
init), and their exact parameter count."""

from __future__ import annotations

import copy
import random
from typing import Mapping

import numpy as np
import torch
from transformers import PreTrainedModel

from distilbo.models.families import Family, family_of, head_size, layer_types, resolve
from distilbo.models.loading import num_parameters
from distilbo.models.pruned import model_class
from distilbo.records.params import StudentShape

# Which teacher layers a student keeps: "even" spreads them over the depth (DistilBERT picked
# [0, 2, 4, 7, 9, 11] of 12), "bottom" keeps the first n ("drop the top": Sajjad et al. 2020 found it
# best for fine-tuned models; here it keeps 7 points of span_f1 more at 4 of 6 layers).
LAYER_CHOICES = ("even", "bottom")


def layer_map(teacher_layers: int, n_layers: int, choice: str = "even") -> list[int | None]:
    """Teacher layer copied into each student layer (see LAYER_CHOICES); layers beyond the
    teacher's depth start random (None)."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")
    if choice not in LAYER_CHOICES:
        raise ValueError(f"layer_choice must be one of {list(LAYER_CHOICES)}, got {choice!r}")
    if n_layers >= teacher_layers:
        return list(range(teacher_layers)) + [None] * (n_layers - teacher_layers)
    if choice == "bottom":
        return list(range(n_layers))
    return [int(i) for i in np.floor(np.linspace(0, teacher_layers - 1, n_layers) + 0.5)]


def layer_pairs(teacher_layers: int, shape: "StudentShape") -> list[tuple[int, int]]:
    """(student layer, the teacher layer its weights came from) for every copied layer: the pairs
    that intermediate-layer distillation compares."""
    return [(j, t) for j, t in enumerate(layer_map(teacher_layers, shape.n_layers, shape.layer_choice)) if t is not None]


# Which heads a layer keeps: "random" removes a seeded draw (the reference study's rule),
# "importance" keeps the heads of the source layer that matter most to the teacher's loss
# (distilbo.models.heads, Michel et al. 2019).
HEAD_CHOICES = ("random", "importance")


def hidden_pairs(teacher_layers: int, shape: "StudentShape", which: str = "copied") -> list[tuple[int, int]]:
    """The (student layer, teacher layer) pairs whose hidden states the intermediate-layer term
    compares: every copied layer and its source (`copied`), or the last layer of each (`last`: the
    states the QA head was trained on, which a bottom-n student's last layer no longer gives it)."""
    if which == "last":
        return [(shape.n_layers - 1, teacher_layers - 1)]
    if which != "copied":
        raise ValueError(f"hidden_layers must be 'copied' or 'last', got {which!r}")
    return layer_pairs(teacher_layers, shape)


def _check_n_heads(n_heads: int, total_heads: int) -> None:
    if not 1 <= n_heads <= total_heads:
        raise ValueError(f"n_heads must be in [1, {total_heads}], got {n_heads}")


def heads_kept(total_heads: int, n_heads: int, n_layers: int, pruning_seed: int) -> list[list[int]]:
    """Heads kept in each layer: `total_heads - n_heads` removed per layer by a seeded draw
    (as the reference study: random.sample per layer from one seeded generator)."""
    _check_n_heads(n_heads, total_heads)
    rng = random.Random(pruning_seed)
    removed = [set(rng.sample(range(total_heads), total_heads - n_heads)) for _ in range(n_layers)]
    return [[h for h in range(total_heads) if h not in r] for r in removed]


def important_heads(importance: np.ndarray, n_heads: int, layers: list[int | None]) -> list[list[int]]:
    """Heads kept in each student layer: the `n_heads` most important of the teacher layer it is
    copied from (`importance`: (teacher layers, heads)); a new layer keeps the first n_heads."""
    _check_n_heads(n_heads, importance.shape[1])
    return [list(range(n_heads)) if t is None
            else sorted(np.argsort(-importance[t], kind="stable")[:n_heads].tolist()) for t in layers]


def student_config(source_config, shape: StudentShape, layers: list[int | None] | None = None,
                   kept: list[list[int]] | None = None):
    """The config of a student of `shape` cut from a model of `source_config`: its depth, dropout,
    each layer's attention type (ModernBERT's local/global, from the layer it copies) and, when it
    keeps fewer heads, `kept_heads`. The source's own bookkeeping (architectures, auto_map, ...) is
    left out."""
    family = family_of(source_config)
    config = copy.deepcopy(source_config)
    for key in ("architectures", "auto_map", "_name_or_path", "kept_heads", "heads_per_layer",
                "attention_head_size", "distilbo"):
        if key in config.__dict__:
            delattr(config, key)
    layers = layers if layers is not None else layer_map(source_config.num_hidden_layers, shape.n_layers,
                                                         shape.layer_choice)
    if family.layer_types:
        default = layer_types(source_config.layer_types, shape.n_layers)
        config.layer_types = [source_config.layer_types[t] if t is not None else default[j]
                              for j, t in enumerate(layers)]
    config.num_hidden_layers = shape.n_layers
    family.set_dropout(config, {"dropout": shape.dropout, "attention_dropout": shape.attention_dropout,
                                "qa_dropout": shape.qa_dropout})
    if shape.n_heads < source_config.num_attention_heads:
        config.kept_heads = kept or [list(range(shape.n_heads))] * shape.n_layers
    return config


def build_student(source: PreTrainedModel, shape: StudentShape,
                  importance: np.ndarray | None = None) -> PreTrainedModel:
    """A student of `shape`, its weights copied from `source` (a QA model of a supported family);
    `importance` ((layers, heads) of the source, distilbo.models.heads) is needed for head_choice importance."""
    tconf = source.config
    family = family_of(tconf)
    layers = layer_map(tconf.num_hidden_layers, shape.n_layers, shape.layer_choice)
    if shape.head_choice not in HEAD_CHOICES:
        raise ValueError(f"head_choice must be one of {list(HEAD_CHOICES)}, got {shape.head_choice!r}")
    if shape.head_choice == "importance":
        if importance is None:
            raise ValueError("head_choice 'importance' needs the teacher's head importance (distilbo.models.heads)")
        if importance.shape != (tconf.num_hidden_layers, tconf.num_attention_heads):
            raise ValueError(f"head importance has shape {importance.shape}, expected the source's "
                             f"({tconf.num_hidden_layers}, {tconf.num_attention_heads})")
        kept = important_heads(importance, shape.n_heads, layers)
    else:
        kept = heads_kept(tconf.num_attention_heads, shape.n_heads, shape.n_layers, shape.pruning_seed)
    config = student_config(tconf, shape, layers, kept)
    torch.manual_seed(shape.pruning_seed)
    student = model_class(config)(config)
    _copy_weights(family, source, student, layers, kept)
    if "qa_dropout" not in family.dropout:
        _set_qa_dropout(resolve(student, family.qa_head), shape.qa_dropout)
    return student


def _set_qa_dropout(qa_head: torch.nn.Module, p: float) -> None:
    """BERT's QA head (and most families') has no dropout of its own: a forward pre-hook adds one
    while training. A hook, not a module, so the saved weights keep the family's own layout."""
    if p > 0:
        qa_head.register_forward_pre_hook(
            lambda module, args: (torch.nn.functional.dropout(args[0], p, module.training),) + args[1:])


def _copy_weights(family: Family, source: PreTrainedModel, student: PreTrainedModel,
                  layers: list[int | None], kept: list[list[int]]) -> None:
    """Every student weight from the source: each layer from the source layer it copies, cut to
    its kept heads; everything else (embeddings, shared position tables, QA head) by name. A layer
    beyond the source's depth keeps its random start."""
    prefix = family.layer_prefix(student)
    src = source.state_dict()
    size, total = head_size(source.config), source.config.num_attention_heads
    state = {}
    for key, target in student.state_dict().items():
        if key.startswith(prefix):
            j, rest = key[len(prefix):].split(".", 1)
            if layers[int(j)] is None:
                continue
            value = family.slice_heads(rest, src[f"{prefix}{layers[int(j)]}.{rest}"], kept[int(j)], size, total)
        elif key in src:
            value = src[key]
        else:
            raise ValueError(f"student weight {key} has no counterpart in the source model "
                             f"({type(source).__name__})")
        if value.shape != target.shape:
            raise ValueError(f"student weight {key}: the source gives {tuple(value.shape)}, "
                             f"the student needs {tuple(target.shape)}")
        state[key] = value
    student.load_state_dict(state, strict=False)


class ParameterCounter:
    """The exact parameter count of a student cut from a model of `source_config`, without
    allocating it: the student is built on the meta device (shapes, no storage), once per
    (layers, heads), so a search can ask for thousands of candidates."""

    def __init__(self, source_config):
        family_of(source_config)  # an unsupported family stops here
        self.config = source_config
        self._counts: dict[tuple[int, int], int] = {}

    def __call__(self, params: Mapping) -> int:
        key = (int(params["n_layers"]), int(params["n_heads"]))
        if key not in self._counts:
            shape = StudentShape(*key)
            config = student_config(self.config, shape)
            with torch.device("meta"):
                model = model_class(config)(config)
            self._counts[key] = num_parameters(model)
        return self._counts[key]


def count_parameters(source_config, params: Mapping) -> int:
    """Every parameter of the student `params` describes (see ParameterCounter)."""
    return ParameterCounter(source_config)(params)
