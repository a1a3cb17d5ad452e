"""The CUDA path, checked on a GPU (run by benchmarks/gpu_check.sh after the smoke study on CUDA).

    python benchmarks/gpu_check.py [--steps 20] [--batch 32]

A 6 x 12 student of a random BERT-base teacher trains `--steps` steps of 384-token windows under
bf16 autocast (distilbo.training.loop, as a distill job does on CUDA); then it is exported to ONNX (fp32 and
int8, distilbo.deploy.onnx) from its CUDA weights, and ONNX Runtime's logits are compared with torch's.
Prints the median step time, the peak GPU memory, and the largest logit difference."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertForQuestionAnswering

from distilbo.data.batches import WindowSet
from distilbo.deploy.onnx import export_onnx, quantize_int8
from distilbo.models.students import StudentShape, build_student
from distilbo.training.loop import TrainConfig, autocast_dtype, train


def windows(n: int, length: int = 384, vocab: int = 30522, seed: int = 0) -> WindowSet:
    rng = np.random.default_rng(seed)
    ids = [rng.integers(1000, vocab, length) for _ in range(n)]
    logits = [rng.standard_normal(length).astype(np.float32) for _ in range(n)]
    starts = rng.integers(0, length, n)
    return WindowSet(input_ids=ids, token_type_ids=[np.zeros(length, np.int64)] * n, start_positions=starts,
                     end_positions=np.minimum(starts + 3, length - 1), labeled=np.ones(n, bool),
                     teacher_start=logits, teacher_end=logits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--device", default="cuda", help="cpu: try the script itself where there is no GPU")
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this check needs a GPU (--device cpu tries the script alone)")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'cpu'}, torch {torch.__version__}, "
          f"autocast {autocast_dtype('auto', device)}")
    torch.manual_seed(0)
    student = build_student(BertForQuestionAnswering(BertConfig()), StudentShape(6, 12, pruning_seed=1))
    data = windows(args.batch * (args.steps + 1))
    times = []
    for step in range(args.steps):  # one train() per step: each is timed to the GPU's end
        sync()
        start = time.perf_counter()
        train(student, data, TrainConfig.with_defaults({"max_steps": 1, "batch_size": args.batch, "autocast": "bf16",
                                                    "learning_rate": 5e-5, "seed": step}), device=device)
        sync()
        times.append(time.perf_counter() - start)
    peak = f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if cuda else "n/a (cpu)"
    print(f"train step at batch {args.batch} x 384 (bf16 autocast): median {statistics.median(times[1:]) * 1e3:.1f} ms "
          f"(first {times[0] * 1e3:.0f} ms); peak GPU memory {peak}")
    student = student.to(device).eval()
    ids = torch.from_numpy(np.stack(data.input_ids[:4])).to(device)
    with torch.no_grad():
        expected = student(input_ids=ids).start_logits.float().cpu().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(student, Path(tmp) / "model.onnx")  # from the CUDA-trained weights
        int8 = quantize_int8(fp32, Path(tmp) / "model-int8.onnx")
        import onnxruntime as ort

        for path in (fp32, int8):
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            feed = {i.name: (ids.cpu().numpy() if i.name == "input_ids" else
                             np.ones_like(ids.cpu().numpy()) if i.name == "attention_mask" else
                             np.zeros_like(ids.cpu().numpy())) for i in session.get_inputs()}
            got = session.run(["start_logits"], feed)[0]
            print(f"ONNX {path.name}: {path.stat().st_size / 1e6:.1f} MB, largest start-logit difference to torch "
                  f"({device.type}, fp32) {np.abs(got - expected).max():.4f}")


if __name__ == "__main__":
    main()
