"""Question-answering models with attention heads structurally removed per layer, one class per
supported model type (families.FAMILIES).

transformers 5 has no `prune_heads`, and its models tie the head count to the config's
num_attention_heads, so a student with fewer heads needs a small class of its own: the family's
own QA class whose attention is cut, at construction, to the heads `config.kept_heads` names. The
config keeps its family's model_type, so AutoConfig and AutoTokenizer read it without remote code.

This file imports only torch, transformers and families.py beside it: `save_pretrained` copies
both next to the weights (auto_map), so a student loads with
`AutoModelForQuestionAnswering.from_pretrained(dir, trust_remote_code=True)` without distilbo;
distilbo itself loads it through these classes, with no remote code (distilbo.models.loading).
"""

from __future__ import annotations

import transformers
from transformers.models.auto.modeling_auto import MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES

from .families import FAMILIES, kept_heads, shrink_model


def qa_class(model_type: str) -> type:
    """transformers' own question-answering class of a model type."""
    return getattr(transformers, MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES[model_type])


def _pruned_class(base: type) -> type:
    def __init__(self, config):
        base.__init__(self, config)
        shrink_model(self, kept_heads(config))
        self.post_init()

    name = f"Pruned{base.__name__}"
    return type(name, (base,), {"__init__": __init__, "__module__": __name__, "__qualname__": name,
                                "__doc__": f"{base.__name__} with the attention heads config.kept_heads names."})


# PrunedBertForQuestionAnswering, PrunedRobertaForQuestionAnswering, ...: module attributes, as
# auto_map names them ("pruned.PrunedRobertaForQuestionAnswering").
PRUNED = {t: _pruned_class(qa_class(t)) for family in FAMILIES for t in family.model_types}
globals().update({cls.__name__: cls for cls in PRUNED.values()})


def model_class(config) -> type:
    """The class that builds or loads a model of this config: a pruned one when it keeps fewer heads."""
    return PRUNED[config.model_type] if kept_heads(config) else qa_class(config.model_type)
