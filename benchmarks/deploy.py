"""Deployment variants of a model, side by side in one run: torch fp32, torch int8 (dynamic,
nn.Linear), ONNX Runtime fp32 and ONNX Runtime int8 (quantize_dynamic).

    python benchmarks/deploy.py [--results results] [--models teacher/model,search/round-0/trial-3/model]
                                [--questions 50] [--repeats 3] [--threads 1]

For each model (paths relative to --results; by default the teacher and the study's first 3-layer
student): size_mb of the file a user ships (model.safetensors; torch int8: its saved state dict;
the .onnx files), latency_ms at batch 1 (median and IQR over --questions eval questions x
--repeats, 5 warm-up questions untimed, --threads threads), every eval question scored (f1,
best_f1, span_f1), and how often each variant's answer equals torch fp32's. Ratios are against
torch fp32 of the same model. Run it on an idle machine: nothing else should share the cores.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import torch

from distilbo.deploy.onnx import OnnxReader, export_onnx, quantize_int8, size_mb
from distilbo.qa.evaluation import EvalSet
from distilbo.qa.inference import cpu_name, latency
from distilbo.records.layout import Layout

METRICS = ("f1", "best_f1", "span_f1")


def torch_int8(model: torch.nn.Module) -> tuple[torch.nn.Module, float]:
    """torch's dynamic int8 (nn.Linear weights) and the MB of its saved state dict."""
    import warnings

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    buf = io.BytesIO()
    torch.save(q.state_dict(), buf)
    return q, buf.tell() / 1e6


def variants(model_dir: Path, tmp: Path, threads: int) -> dict:
    """name -> (runnable model, size_mb)."""
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(model_dir, trust_remote_code=True).eval()
    fp32 = export_onnx(model, tmp / "model.onnx")
    int8 = quantize_int8(fp32, tmp / "model-int8.onnx")
    return {"torch fp32": (model, size_mb(model_dir / "model.safetensors")),
            "torch int8": torch_int8(model),
            "onnx fp32": (OnnxReader(fp32, threads), size_mb(fp32)),
            "onnx int8": (OnnxReader(int8, threads), size_mb(int8))}


def default_models(L: Layout) -> list[str]:
    models = ["teacher/model"]
    rounds = sorted(Path(L.root).glob("search/round-*/observations.parquet"), key=lambda p: int(p.parent.name[6:]))
    for history in rounds[-1:]:  # the last round's table holds the whole history
        h = pd.read_parquet(history)
        three = h[h["n_layers"].eq(3) & h["status"].eq("ok")] if "n_layers" in h else h.iloc[:0]
        if len(three):
            r, i = int(three["round"].iloc[0]), int(three["trial"].iloc[0])
            models.append(os.path.relpath(L.trial("model", r, i), L.root))
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--models", help="comma-separated model directories under --results")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eval-questions", type=int, help="score a fixed sample of this many (default: all)")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    L = Layout(args.results)
    evalset = EvalSet.load(L.questions("eval"), L.features("eval"))
    evalset = evalset.subset(args.eval_questions) if args.eval_questions else evalset
    ids = evalset.windows["example_id"]
    print(f"{cpu_name()}, {args.threads} thread(s); latency over {args.questions} eval questions x {args.repeats}, "
          f"batch 1; quality on all {len(evalset.questions)} eval questions")
    print("model | variant | size_mb | x smaller | latency_ms p50 | IQR | x faster | "
          + " | ".join(METRICS) + " | same answer as torch fp32")
    rows = []
    for name in (args.models.split(",") if args.models else default_models(L)):
        with tempfile.TemporaryDirectory() as tmp:
            base = None
            for variant, (model, mb) in variants(Path(L.root) / name, Path(tmp), args.threads).items():
                timing = latency(model, evalset.data, ids, n=args.questions, repeats=args.repeats)
                scores, table = evalset.score(model)
                base = base or {"size_mb": mb, "latency_ms": timing["latency_ms"], "answers": table["prediction"]}
                row = {"model": name, "variant": variant, "size_mb": mb, **timing, **{k: scores[k] for k in METRICS},
                       "agreement": float((table["prediction"] == base["answers"]).mean())}
                rows.append(row)
                print(f"{name} | {variant} | {mb:.1f} | {base['size_mb'] / mb:.2f} | {timing['latency_ms']:.1f} | "
                      f"{timing['latency_iqr_ms']:.1f} | {base['latency_ms'] / timing['latency_ms']:.2f} | "
                      + " | ".join(f"{scores[k]:.2f}" for k in METRICS) + f" | {100 * row['agreement']:.1f}%",
                      flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
