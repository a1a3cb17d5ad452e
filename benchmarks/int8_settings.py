"""ONNX Runtime's dynamic int8 settings side by side on one model: what each costs in quality,
against the fp32 ONNX file, on a fixed sample of eval questions.

    python benchmarks/int8_settings.py [--results results] [--model teacher/model] [--questions 300]

Settings: the defaults (per-tensor scales), per-channel scales, per-channel with 7-bit weights
(reduce_range: no overflow in the u8 x s8 multiply-adds of CPUs without VNNI), and the encoder's
MatMuls only (word embeddings left fp32). Prints MB, f1, span_f1 and latency_ms at batch 1 (1 thread).
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModelForQuestionAnswering

from distilbo.deploy.onnx import OnnxReader, export_onnx, size_mb
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import latency
from distilbo.records.layout import Layout

SETTINGS = {
    "per-tensor (ORT defaults)": {},
    "per-channel": {"per_channel": True},
    "per-channel, reduce_range (distilbo)": {"per_channel": True, "reduce_range": True},
    "per-channel, MatMul only (embeddings fp32)": {"per_channel": True, "op_types_to_quantize": ["MatMul"]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--model", default="teacher/model")
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.disable(logging.WARNING)  # the quantizer's advice on pre-processing, once per run
    L = Layout(args.results)
    evalset = EvalSet.load(L.questions("eval"), L.features("eval")).subset(args.questions)
    model = AutoModelForQuestionAnswering.from_pretrained(Path(args.results) / args.model, trust_remote_code=True)
    ids = evalset.windows["example_id"]
    print(f"{args.model}: {len(evalset.questions)} eval questions; latency over 30 x 2, batch 1, 1 thread")
    print("setting | MB | f1 | span_f1 | span_f1 vs fp32 | latency_ms")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, Path(tmp) / "model.onnx")
        base = evalset.score(OnnxReader(fp32))[0]
        print(f"fp32 | {size_mb(fp32):.1f} | {base['f1']:.2f} | {base['span_f1']:.2f} | | "
              f"{latency(OnnxReader(fp32), evalset.data, ids, n=30, repeats=2)['latency_ms']:.1f}", flush=True)
        for k, (name, options) in enumerate(SETTINGS.items()):
            path = Path(tmp) / f"int8-{k}.onnx"
            quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, **options)
            reader = OnnxReader(path)
            s = evalset.score(reader)[0]
            ms = latency(reader, evalset.data, ids, n=30, repeats=2)["latency_ms"]
            print(f"{name} | {size_mb(path):.1f} | {s['f1']:.2f} | {s['span_f1']:.2f} | "
                  f"{s['span_f1'] - base['span_f1']:+.2f} | {ms:.1f}", flush=True)


if __name__ == "__main__":
    main()
