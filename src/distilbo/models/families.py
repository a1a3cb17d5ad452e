"""One description per model family: where a question-answering model of the family keeps its
layer list, each layer's attention projections and head count, its feed-forward block and its QA
head; which config keys set its dropout; which inputs it takes. Everything in distilbo that reaches
into a model (building and sizing a student, head importance, hidden states, ONNX export) goes
through these descriptions, so adding a family is one entry in FAMILIES, its model type in
distilbo.records.families.MODEL_TYPES (the start-up check's plain-data list; a test keeps the two
equal) and its test.

This file imports only torch and transformers: it travels beside a head-pruned student's weights
with pruned.py, so that the student loads without distilbo.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field

import torch
from torch import nn

# The inputs a window carries; a model takes the ones its forward names (families.inputs).
WINDOW_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class UnsupportedFamily(ValueError):
    """A model whose family distilbo cannot cut students from; the message names it."""


@dataclass(frozen=True)
class Family:
    """Where things live in a question-answering model of one family. Paths are dotted attribute
    paths: `layers` under the base model (`model.<base_model_prefix>`); `attention`, `projections`,
    `output` and `feed_forward` inside one layer; `qa_head` and `shared_head_bias` as named."""

    name: str
    model_types: tuple[str, ...]
    layers: str
    attention: str  # the module that holds the layer's head count
    projections: tuple[str, ...]  # Linear layers whose output rows are per head (q, k, v, ...); absent ones skipped
    output: str  # the Linear layer whose input columns are per head
    feed_forward: tuple[str, ...]  # the feed-forward block's Linear layers (kept whole)
    dropout: dict = field(default_factory=dict)  # a StudentShape dropout -> the config keys that set it
    fused: int = 1  # blocks of heads in each projection's output: 3 for a fused QKV
    qa_head: str = "qa_outputs"
    # a relative-position bias with a column per head, computed once and shared by every layer (MPNet)
    shared_head_bias: str | None = None
    layer_types: bool = False  # config.layer_types names each layer's attention (ModernBERT's local/global)

    def layer_list(self, model: nn.Module) -> nn.ModuleList:
        return resolve(getattr(model, model.base_model_prefix, model), self.layers)

    def layer_prefix(self, model: nn.Module) -> str:
        """The state-dict prefix of layer k is this plus f"{k}."."""
        return f"{model.base_model_prefix}.{self.layers}."

    def shrink(self, layer: nn.Module, heads: int, head_size: int) -> None:
        """Replace one layer's per-head projections by ones sized for `heads` heads (random
        weights: a student's come from its source, a loaded model's from its file)."""
        width = heads * head_size
        for path in self.projections:
            old = resolve(layer, path, None)
            if old is not None:
                _set(layer, path, nn.Linear(old.in_features, self.fused * width, bias=old.bias is not None))
        old = resolve(layer, self.output)
        _set(layer, self.output, nn.Linear(width, old.out_features, bias=old.bias is not None))
        attention = resolve(layer, self.attention)
        for name in ("num_attention_heads", "n_heads", "num_heads"):
            if hasattr(attention, name):
                setattr(attention, name, heads)
        if hasattr(attention, "all_head_size"):
            attention.all_head_size = width

    def slice_heads(self, name: str, value: torch.Tensor, heads: list[int], head_size: int,
                    total_heads: int) -> torch.Tensor:
        """A layer's parameter `name` (relative to the layer) cut to the rows or columns of `heads`."""
        module, _, kind = name.rpartition(".")
        per_head = torch.cat([torch.arange(h * head_size, (h + 1) * head_size) for h in heads])
        if module in self.projections:
            block = total_heads * head_size
            return value[torch.cat([per_head + c * block for c in range(self.fused)])]
        if module == self.output and kind == "weight":
            return value[:, per_head]
        return value

    def set_dropout(self, config, dropout: dict[str, float]) -> None:
        for setting, value in dropout.items():
            for key in self.dropout.get(setting, ()):
                setattr(config, key, value)


_BERT_DROPOUT = {"dropout": ("hidden_dropout_prob",), "attention_dropout": ("attention_probs_dropout_prob",)}
_BERT_LAYOUT = dict(layers="encoder.layer", attention="attention.self",
                    projections=("attention.self.query", "attention.self.key", "attention.self.value"),
                    output="attention.output.dense", feed_forward=("intermediate.dense", "output.dense"),
                    dropout=_BERT_DROPOUT)

FAMILIES = (
    Family("bert", ("bert",), **_BERT_LAYOUT),
    Family("roberta", ("roberta", "xlm-roberta", "camembert"), **_BERT_LAYOUT),
    Family("electra", ("electra",), **_BERT_LAYOUT),
    Family("distilbert", ("distilbert",), layers="transformer.layer", attention="attention",
           projections=("attention.q_lin", "attention.k_lin", "attention.v_lin"), output="attention.out_lin",
           feed_forward=("ffn.lin1", "ffn.lin2"),
           dropout={"dropout": ("dropout",), "attention_dropout": ("attention_dropout",), "qa_dropout": ("qa_dropout",)}),
    # DeBERTa-v2/v3: relative-position projections (pos_key_proj, pos_query_proj) exist only without
    # share_att_key; v3 shares query_proj/key_proj with the relative embeddings, cut with them
    Family("deberta-v2", ("deberta-v2",), layers="encoder.layer", attention="attention.self",
           projections=("attention.self.query_proj", "attention.self.key_proj", "attention.self.value_proj",
                        "attention.self.pos_key_proj", "attention.self.pos_query_proj"),
           output="attention.output.dense", feed_forward=("intermediate.dense", "output.dense"),
           dropout=_BERT_DROPOUT),
    Family("mpnet", ("mpnet",), layers="encoder.layer", attention="attention.attn",
           projections=("attention.attn.q", "attention.attn.k", "attention.attn.v"), output="attention.attn.o",
           feed_forward=("intermediate.dense", "output.dense"), dropout=_BERT_DROPOUT,
           shared_head_bias="encoder.relative_attention_bias"),
    # ModernBERT: one fused QKV projection, layers that alternate local (sliding) and global attention
    Family("modernbert", ("modernbert",), layers="layers", attention="attn", projections=("attn.Wqkv",),
           output="attn.Wo", feed_forward=("mlp.Wi", "mlp.Wo"), fused=3, qa_head="classifier", layer_types=True,
           dropout={"dropout": ("embedding_dropout", "mlp_dropout"), "attention_dropout": ("attention_dropout",),
                    "qa_dropout": ("classifier_dropout",)}),
)
SUPPORTED = tuple(t for f in FAMILIES for t in f.model_types)


def family_of(config) -> Family:
    """The description of a model config's family; UnsupportedFamily names any other."""
    model_type = getattr(config, "model_type", None)
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    raise UnsupportedFamily(f"model_type {model_type!r} is not a supported family; distilbo cuts students "
                            f"from {', '.join(SUPPORTED)}")


@functools.lru_cache(maxsize=None)
def forward_inputs(model_class: type) -> tuple[str, ...]:
    """The window inputs a model class's forward takes (ModernBERT, DistilBERT, MPNet: no token
    types). Read from the signature, so a class of any family (or remote code) answers."""
    taken = inspect.signature(model_class.forward).parameters
    return tuple(k for k in WINDOW_INPUTS if k in taken)


def model_inputs(model: nn.Module, batch: dict) -> dict:
    """What of a batch to pass to `model`: the inputs it takes (an ONNX reader names its own in
    `input_names`), those the windows have. Windows without token types (a tokenizer that makes
    none) leave a model that takes them to its default of zeros."""
    names = getattr(model, "input_names", None) or forward_inputs(type(model))
    return {k: batch[k] for k in names if k in batch}


def export_inputs(model: nn.Module) -> tuple[str, ...]:
    """The inputs an exported file takes: the model's, token types only where they mean something
    (more than one type: RoBERTa's single type and DeBERTa-v3's none are left out)."""
    names = forward_inputs(type(model))
    if getattr(model.config, "type_vocab_size", 0) <= 1:
        names = tuple(k for k in names if k != "token_type_ids")
    return names


def kept_heads(config) -> list[list[int]] | None:
    """The heads each layer of a head-pruned model keeps (None: every head). Students of distilbo
    0.1 recorded only the count per layer (heads_per_layer): their heads count from 0."""
    kept = getattr(config, "kept_heads", None)
    if kept is None and getattr(config, "heads_per_layer", None):
        kept = [list(range(n)) for n in config.heads_per_layer]
    return kept


def layer_types(types: list[str], n: int) -> list[str]:
    """`n` layers' attention types continuing the pattern of `types` (ModernBERT: a global layer
    every k): the shortest period that repeats through `types`, carried on."""
    period = next(p for p in range(1, len(types) + 1) if all(t == types[i % p] for i, t in enumerate(types)))
    return [types[i % period] for i in range(n)]


def head_size(config) -> int:
    return config.hidden_size // config.num_attention_heads


def shrink_model(model: nn.Module, kept: list[list[int]]) -> None:
    """Cut a freshly built model's attention to the heads in `kept` (one list per layer)."""
    family = family_of(model.config)
    layers = family.layer_list(model)
    if len(kept) != len(layers):
        raise ValueError(f"kept_heads has {len(kept)} entries, expected one per layer ({len(layers)})")
    for layer, heads in zip(layers, kept):
        family.shrink(layer, len(heads), head_size(model.config))
        if family.shared_head_bias:
            resolve(layer, family.attention).register_forward_pre_hook(_select_bias(heads), with_kwargs=True)


def _select_bias(heads: list[int]):
    """A pre-hook that gives a pruned layer the columns of the shared per-head bias it kept."""

    def hook(module, args, kwargs):
        if len(args) > 2 and args[2] is not None:
            args = args[:2] + (args[2][:, heads],) + args[3:]
        elif kwargs.get("position_bias") is not None:
            kwargs["position_bias"] = kwargs["position_bias"][:, heads]
        return args, kwargs

    return hook


def resolve(obj, path: str, *default):
    try:
        for part in path.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    except AttributeError:
        if default:
            return default[0]
        raise
    return obj


def _set(obj, path: str, value) -> None:
    parent, _, name = path.rpartition(".")
    setattr(resolve(obj, parent) if parent else obj, name, value)
