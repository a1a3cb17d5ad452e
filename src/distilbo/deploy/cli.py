"""The `distilbo-answer` command: answer a question about a context with a saved model. Its
arguments are parsed before torch and transformers load (distilbo.deploy.answer), so that --help
and a mistake in them answer at once."""

from __future__ import annotations

import argparse
import json

from distilbo.records.metrics import PRECISIONS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="distilbo-answer",
                                     description="Answer a question about a context with a distilbo model.")
    parser.add_argument("model_dir")
    parser.add_argument("--question", "-q", required=True)
    parser.add_argument("--context", "-c", required=True, help="the text, or @FILE to read it from a file")
    parser.add_argument("--json", action="store_true", help="print prediction, best span and no-answer score")
    parser.add_argument("--onnx", choices=PRECISIONS, help="run the directory's ONNX file of this precision (no torch model)")
    parser.add_argument("--trust-remote-code", action="store_true",
                        help="run the model class the directory brings (its config's auto_map); off: distilbo's own "
                             "classes load every supported family, and no code from the directory runs")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from distilbo.deploy.answer import answer_many  # torch and transformers: only once there is work

    context = open(args.context[1:], encoding="utf-8").read() if args.context.startswith("@") else args.context
    row = answer_many(args.model_dir, [args.question], [context], onnx=args.onnx,
                      trust_remote_code=args.trust_remote_code).iloc[0]
    if args.json:
        print(json.dumps({"answer": row["prediction"], "best_span": row["best_span"], "na_score": float(row["na_score"])}))
    else:
        print(row["prediction"])


if __name__ == "__main__":
    main()
