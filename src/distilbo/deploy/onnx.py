"""Deployment variants of a trained QA model: an ONNX file (fp32), its int8 form by ONNX Runtime's
dynamic quantization, a reader that runs either through distilbo's evaluation, and what a
deployment pays for them: bytes to ship and milliseconds per question at batch 1 on the CPU.

Why ONNX Runtime's quantize_dynamic rather than torch's (benchmarks/deploy.py measures both): it
also quantizes the word-embedding table (half of a MiniLM's weights), so the file is about 4x
smaller where torch's nn.Linear-only int8 is 1.5x, and its int8 kernels are the faster ones here.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from transformers.modeling_outputs import QuestionAnsweringModelOutput

from distilbo.atomic import atomic_path
from distilbo.models.families import export_inputs

OUTPUTS = ("start_logits", "end_logits")
OPSET = 17


class DeployError(RuntimeError):
    """A variant that could not be made or measured; the message names the model and the step."""


# Faults of the machine, not of the model: out of disk (ENOSPC), an unreadable file, host memory.
# They fail the job, which records nothing and can be resumed; only DeployError becomes a
# variant's failure in the history.
INFRASTRUCTURE = (OSError, MemoryError)


def export_onnx(model: torch.nn.Module, path: str | os.PathLike) -> Path:
    """The model as one ONNX file (batch and sequence dynamic), written atomically. The TorchScript
    exporter: one self-contained file in seconds (the dynamo exporter takes 5x longer and splits
    the weights into a second file); head-pruned students export like any model of their family.
    The file takes the inputs the model takes (families.export_inputs). Attention is
    traced in its eager form: ONNX Runtime runs that graph 7-10% faster than the SDPA one
    (benchmarks/README.md, "Deployment variants")."""
    model = model.to("cpu").eval()
    attention = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if attention:
        model.set_attn_implementation("eager")
    inputs = export_inputs(model)
    example = torch.ones(1, 8, dtype=torch.long)
    examples = tuple(torch.zeros_like(example) if name == "token_type_ids" else example for name in inputs)
    axes = {name: {0: "batch", 1: "sequence"} for name in inputs + OUTPUTS}
    try:
        with atomic_path(path) as tmp, torch.no_grad(), warnings.catch_warnings():
            # the tracer warns about Python branches on shapes; the checks above the exporter's
            # output (tests/deploy/test_deploy.py) compare its logits with torch's at several lengths
            warnings.simplefilter("ignore")
            torch.onnx.export(_ByName(model, inputs), examples, str(tmp), input_names=list(inputs),
                              output_names=list(OUTPUTS), dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    except INFRASTRUCTURE:
        raise  # a full disk or host memory fails the job (resumable), never the model
    except Exception as err:  # the exporter raises many kinds; the caller reports per model
        raise DeployError(f"ONNX export to {path} failed: {type(err).__name__}: {err}") from err
    finally:
        if attention:
            model.set_attn_implementation(attention)
    return Path(path)


class _ByName(torch.nn.Module):
    """The model called with its inputs by name, returning (start, end): every family's forward
    orders its arguments differently, the exporter passes them by position."""

    def __init__(self, model: torch.nn.Module, names: tuple[str, ...]):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors):
        out = self.model(**dict(zip(self.names, tensors)))
        return out.start_logits, out.end_logits


def quantize_int8(onnx_path: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Dynamic int8 (weights int8, activations quantized per batch at run time) of an ONNX file,
    with a scale per output channel and 7-bit weights (reduce_range): on the default teacher they
    keep span_f1 within a point of fp32 where ORT's per-tensor defaults lose 3-4
    (benchmarks/int8_settings.py)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quieter = logging.root.manager.disable
    logging.disable(logging.INFO)  # the quantizer logs a line per tensor it leaves in fp32
    try:
        with atomic_path(path) as tmp:
            quantize_dynamic(str(onnx_path), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=True)
    except INFRASTRUCTURE:
        raise
    except Exception as err:
        raise DeployError(f"int8 quantization of {onnx_path} failed: {type(err).__name__}: {err}") from err
    finally:
        logging.disable(quieter)
    return Path(path)


class OnnxReader(torch.nn.Module):
    """An ONNX Runtime session behind the call a transformers QA model answers, so that distilbo's
    evaluation, answer extraction and latency run on it unchanged. It has no parameters: the CPU."""

    def __init__(self, path: str | os.PathLike, threads: int = 1):
        super().__init__()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        # what families.model_inputs passes it: the inputs the file takes
        self.input_names = tuple(i.name for i in self.session.get_inputs())

    def forward(self, **inputs) -> QuestionAnsweringModelOutput:
        if "token_type_ids" in self.input_names and "token_type_ids" not in inputs:
            inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])  # the model's own default
        feeds = {k: inputs[k].cpu().numpy().astype(np.int64) for k in self.input_names}
        start, end = self.session.run(list(OUTPUTS), feeds)
        return QuestionAnsweringModelOutput(start_logits=torch.from_numpy(start), end_logits=torch.from_numpy(end))


def size_mb(path: str | os.PathLike) -> float:
    """Megabytes (10^6 bytes) of the weights file a user would ship."""
    return os.path.getsize(path) / 1e6
