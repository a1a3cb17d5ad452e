"""A model's word embeddings cut to a trimmed vocabulary (distilbo.data.vocabulary): only the
kept rows, in new-id order, and a config that says so."""

from __future__ import annotations

import numpy as np
import torch


def trim_model(model: torch.nn.Module, kept: np.ndarray) -> torch.nn.Module:
    """The model with only the kept rows of its word embeddings (teacher ids `kept`, sorted), and a
    config that says so: vocab_size, and its special tokens' ids renumbered. In place."""
    new_id = {int(old): n for n, old in enumerate(kept)}
    old = model.get_input_embeddings()
    rows = torch.as_tensor(kept, dtype=torch.long, device=old.weight.device)
    new = torch.nn.Embedding(len(kept), old.embedding_dim, device=old.weight.device, dtype=old.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(old.weight[rows])
    new.padding_idx = new_id.get(old.padding_idx) if old.padding_idx is not None else None
    model.set_input_embeddings(new)
    model.config.vocab_size = len(kept)
    for name in ("pad_token_id", "bos_token_id", "eos_token_id", "cls_token_id", "sep_token_id"):
        value = getattr(model.config, name, None)
        if isinstance(value, int) and value in new_id:
            setattr(model.config, name, new_id[value])
    return model
