"""Attention-head importance (Michel et al. 2019, "Are Sixteen Heads Really Better than One?"):
the expected absolute gradient of the loss with respect to a mask multiplying each head's output,
over a few training batches of the teacher. Students may keep each layer's most important heads
instead of a seeded random draw (`head_choice: importance`)."""

from __future__ import annotations

import numpy as np
import torch

from distilbo.data.batches import WindowSet, collate, length_grouped_batches
from distilbo.models.families import family_of, head_size, model_inputs, resolve
from distilbo.training.loop import distillation_loss


def head_importance(model: torch.nn.Module, data: WindowSet, n_batches: int = 16, batch_size: int = 16,
                    seed: int = 0) -> np.ndarray:
    """(layers, heads) importance of each attention head of a QA model of a supported family: the mean over batches
    of |d loss / d mask_h| (the hard-label span loss on labeled windows; per batch, as the paper's
    code and transformers' bertology example), each layer then scaled to unit L2 norm as Michel et
    al. do, so layers compare on one scale."""
    family = family_of(model.config)
    layers = family.layer_list(model)
    n_heads, size = model.config.num_attention_heads, head_size(model.config)
    device = next(model.parameters()).device
    mask = torch.ones(len(layers), n_heads, device=device, requires_grad=True)
    # the mask multiplies each head's context where the heads meet: the output projection's input
    hooks = [resolve(layer, family.output).register_forward_pre_hook(_masking_hook(mask, k, size))
             for k, layer in enumerate(layers)]
    labeled = np.flatnonzero(data.labeled)
    rng = np.random.default_rng(seed)
    batches = length_grouped_batches(data.lengths[labeled], batch_size, rng)[:n_batches]
    total = torch.zeros(len(layers), n_heads, device=device)
    was_training = model.training
    model.eval()  # no dropout: the gradient of the model as it answers
    try:
        for rows in batches:
            total += _abs_mask_gradient(model, collate(data, labeled[rows], device), mask)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    importance = total / max(1, len(batches))
    return (importance / importance.norm(dim=1, keepdim=True).clamp_min(1e-12)).cpu().numpy()


def _masking_hook(mask: torch.Tensor, layer: int, size: int):
    def hook(module, args):
        scale = mask[layer].repeat_interleave(size).to(args[0].dtype)
        return (args[0] * scale,) + tuple(args[1:])

    return hook


def _abs_mask_gradient(model, batch: dict, mask: torch.Tensor) -> torch.Tensor:
    out = model(**model_inputs(model, batch))
    loss = distillation_loss(out.start_logits, out.end_logits, batch, alpha_ce=0.0, temperature=1.0).total
    (grad,) = torch.autograd.grad(loss, mask)
    return grad.abs()
