"""Students built from a teacher: a subset of its layers and, per layer, some heads removed,
weights copied from the teacher (or another pretrained init), and their exact parameter count."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import torch
from transformers import BertConfig, BertForQuestionAnswering, PreTrainedModel

from distilbo.pruned_bert import PrunedBertConfig, PrunedBertForQuestionAnswering


@dataclass(frozen=True)
class StudentShape:
    n_layers: int
    n_heads: int
    pruning_seed: int = 0
    dropout: float = 0.1
    attention_dropout: float = 0.1
    qa_dropout: float = 0.1
    layer_choice: str = "even"
    head_choice: str = "random"

    @classmethod
    def from_params(cls, params: Mapping) -> "StudentShape":
        return cls(**{k: params[k] for k in cls.__dataclass_fields__ if k in params})


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
# (distilbo.heads, Michel et al. 2019).
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


def student_config(teacher_config: BertConfig, shape: StudentShape) -> BertConfig:
    common = teacher_config.to_dict()
    for key in ("architectures", "auto_map", "model_type", "transformers_version", "_name_or_path",
                "heads_per_layer", "attention_head_size"):
        common.pop(key, None)
    common.update(num_hidden_layers=shape.n_layers, hidden_dropout_prob=shape.dropout,
                  attention_probs_dropout_prob=shape.attention_dropout, qa_dropout=shape.qa_dropout)
    if shape.n_heads == teacher_config.num_attention_heads:
        return BertConfig(**common)
    return PrunedBertConfig(heads_per_layer=[shape.n_heads] * shape.n_layers,
                            attention_head_size=teacher_config.hidden_size // teacher_config.num_attention_heads,
                            **common)


def build_student(source: PreTrainedModel, shape: StudentShape,
                  importance: np.ndarray | None = None) -> PreTrainedModel:
    """A student of `shape`, its weights copied from `source` (a BERT QA model or encoder);
    `importance` ((layers, heads) of the source, distilbo.heads) is needed for head_choice importance."""
    tconf = source.config
    config = student_config(tconf, shape)
    cls = PrunedBertForQuestionAnswering if isinstance(config, PrunedBertConfig) else BertForQuestionAnswering
    torch.manual_seed(shape.pruning_seed)
    student = cls(config)
    layers = layer_map(tconf.num_hidden_layers, shape.n_layers, shape.layer_choice)
    if shape.head_choice not in HEAD_CHOICES:
        raise ValueError(f"head_choice must be one of {list(HEAD_CHOICES)}, got {shape.head_choice!r}")
    if shape.head_choice == "importance":
        if importance is None:
            raise ValueError("head_choice 'importance' needs the teacher's head importance (distilbo.heads)")
        if importance.shape != (tconf.num_hidden_layers, tconf.num_attention_heads):
            raise ValueError(f"head importance has shape {importance.shape}, expected the source's "
                             f"({tconf.num_hidden_layers}, {tconf.num_attention_heads})")
        kept = important_heads(importance, shape.n_heads, layers)
    else:
        kept = heads_kept(tconf.num_attention_heads, shape.n_heads, shape.n_layers, shape.pruning_seed)
    _copy_weights(source, student, layers, kept)
    _set_qa_dropout(student, shape.qa_dropout)
    return student


def _set_qa_dropout(model: PreTrainedModel, p: float) -> None:
    """BERT's QA head has no dropout of its own: a forward pre-hook adds one while training.
    A hook, not a module, so the saved weights keep the plain BERT layout (`qa_outputs.weight`)."""
    if p > 0:
        model.qa_outputs.register_forward_pre_hook(
            lambda module, args: (torch.nn.functional.dropout(args[0], p, module.training),) + args[1:])


def _copy_weights(source, student, layers: list[int | None], kept: list[list[int]]) -> None:
    src_bert = getattr(source, "bert", source)
    head_size = source.config.hidden_size // source.config.num_attention_heads
    student.bert.embeddings.load_state_dict(src_bert.embeddings.state_dict())
    for dst, src_idx, heads in zip(student.bert.encoder.layer, layers, kept):
        if src_idx is None:
            continue
        state = _sliced_layer_state(src_bert.encoder.layer[src_idx].state_dict(), heads, head_size)
        dst.load_state_dict(state)
    if hasattr(source, "qa_outputs"):
        student.qa_outputs.load_state_dict(source.qa_outputs.state_dict())


def _sliced_layer_state(state: dict, heads: list[int], head_size: int) -> dict:
    rows = torch.cat([torch.arange(h * head_size, (h + 1) * head_size) for h in heads])
    out = dict(state)
    for name in ("query", "key", "value"):
        out[f"attention.self.{name}.weight"] = state[f"attention.self.{name}.weight"][rows]
        out[f"attention.self.{name}.bias"] = state[f"attention.self.{name}.bias"][rows]
    out["attention.output.dense.weight"] = state["attention.output.dense.weight"][:, rows]
    return out


def count_parameters(teacher_config: BertConfig | Mapping, params: Mapping) -> int:
    """Exact trainable parameter count of the student `params` describes, without building it
    (embeddings, encoder layers and QA head; BERT for QA has no pooler)."""
    c = teacher_config if isinstance(teacher_config, Mapping) else teacher_config.to_dict()
    h, inter = c["hidden_size"], c["intermediate_size"]
    width = int(params["n_heads"]) * (h // c["num_attention_heads"])
    embeddings = (c["vocab_size"] + c["max_position_embeddings"] + c["type_vocab_size"]) * h + 2 * h
    attention = 3 * (h * width + width) + (width * h + h) + 2 * h
    feed_forward = (h * inter + inter) + (inter * h + h) + 2 * h
    return embeddings + int(params["n_layers"]) * (attention + feed_forward) + (2 * h + 2)

