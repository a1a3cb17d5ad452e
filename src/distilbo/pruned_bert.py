"""A BERT for question answering with attention heads structurally removed per layer.

transformers 5 has no `prune_heads`, and its BERT ties the head size to hidden_size /
num_attention_heads, so a student with fewer heads needs its own small class. This file imports
only torch and transformers: `save_pretrained` copies it beside the weights (auto_map), so the
model loads with `AutoModelForQuestionAnswering.from_pretrained(dir, trust_remote_code=True)`
without distilbo installed.
"""

from __future__ import annotations

from torch import nn
from transformers import BertConfig, BertForQuestionAnswering


class PrunedBertConfig(BertConfig):
    """BertConfig plus `heads_per_layer` (heads kept in each layer) and `attention_head_size`."""

    # "bert", not a type of its own: AutoConfig and AutoTokenizer then read the saved config.json
    # as a BertConfig (keeping heads_per_layer and attention_head_size) without asking to run
    # remote code; only the model class travels in auto_map.
    model_type = "bert"

    def __init__(self, heads_per_layer=None, attention_head_size=None, **kwargs):
        super().__init__(**kwargs)
        self.heads_per_layer = list(heads_per_layer or [self.num_attention_heads] * self.num_hidden_layers)
        self.attention_head_size = attention_head_size or self.hidden_size // self.num_attention_heads
        if len(self.heads_per_layer) != self.num_hidden_layers:
            raise ValueError(f"heads_per_layer has {len(self.heads_per_layer)} entries, expected "
                             f"num_hidden_layers = {self.num_hidden_layers}")


class PrunedBertForQuestionAnswering(BertForQuestionAnswering):
    config_class = PrunedBertConfig

    def __init__(self, config: PrunedBertConfig):
        super().__init__(config)
        for layer, heads in zip(self.bert.encoder.layer, config.heads_per_layer):
            _shrink_attention(layer.attention, config.hidden_size, heads, config.attention_head_size)
        self.post_init()


def _shrink_attention(attention: nn.Module, hidden: int, heads: int, head_size: int) -> None:
    """Replace the projections of one attention block by ones sized for `heads` heads."""
    width = heads * head_size
    self_attn = attention.self
    self_attn.query = nn.Linear(hidden, width)
    self_attn.key = nn.Linear(hidden, width)
    self_attn.value = nn.Linear(hidden, width)
    self_attn.num_attention_heads = heads
    self_attn.attention_head_size = head_size
    self_attn.all_head_size = width
    self_attn.scaling = head_size**-0.5
    attention.output.dense = nn.Linear(width, hidden)
