"""How much a latency measurement moves between jobs: the same ONNX files (fp32 and int8 of one
model) timed in --jobs separate processes, one after another, as the latency rule times them.

    python benchmarks/latency_noise.py [--results results] [--model teacher/model] [--jobs 5]

Prints each job's median latency_ms and IQR, then per precision the median over jobs and the spread
(max - min) as a share of it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def one_job(results: str, onnx_dir: str) -> dict:
    from distilbo.deploy.onnx import OnnxReader
    from distilbo.qa.evaluation import EvalSet
    from distilbo.qa.inference import latency
    from distilbo.records.layout import DEPLOY_FILES, Layout

    L = Layout(results)
    evalset = EvalSet.load(L.questions("eval"), L.features("eval"))
    ids = evalset.windows["example_id"]
    return {p: latency(OnnxReader(Path(onnx_dir) / DEPLOY_FILES[p]), evalset.data, ids, n=50, repeats=3)
            for p in ("fp32", "int8")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--model", default="teacher/model")
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_job(args.results, args.one)))
        return
    from transformers import AutoModelForQuestionAnswering

    from distilbo.deploy.onnx import export_onnx, quantize_int8
    from distilbo.records.layout import DEPLOY_FILES

    with tempfile.TemporaryDirectory() as tmp:
        model = AutoModelForQuestionAnswering.from_pretrained(Path(args.results) / args.model, trust_remote_code=True)
        quantize_int8(export_onnx(model, Path(tmp) / DEPLOY_FILES["fp32"]), Path(tmp) / DEPLOY_FILES["int8"])
        runs = []
        for k in range(args.jobs):
            out = subprocess.run([sys.executable, __file__, "--results", args.results, "--one", tmp],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"job {k + 1}: " + ", ".join(f"{p} {r['latency_ms']:.1f} ms (IQR {r['latency_iqr_ms']:.1f})"
                                               for p, r in runs[-1].items()), flush=True)
    print(f"{args.model}, {runs[0]['fp32']['cpu']}, 1 thread, 50 eval questions x 3 per job")
    for p in ("fp32", "int8"):
        medians = [r[p]["latency_ms"] for r in runs]
        mid = statistics.median(medians)
        print(f"{p}: median over {args.jobs} jobs {mid:.1f} ms, spread {max(medians) - min(medians):.1f} ms "
              f"({(max(medians) - min(medians)) / mid:.1%})")


if __name__ == "__main__":
    main()
