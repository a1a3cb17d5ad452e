"""Answer questions with a saved model, with the same windows and post-processing the scoring
used (transformers 5 has no question-answering pipeline).

    distilbo-answer MODEL_DIR --question "..." --context "..."
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from typing import Sequence

import pandas as pd
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from distilbo import config, postprocess, squad, verifier
from distilbo.batches import WindowSet
from distilbo.inference import pick_device, predict_logits


def default_settings() -> dict:
    """For a model saved without the settings a run stores in config.json (key "distilbo"): the
    config schema's defaults for windows and answer extraction."""
    return {**config.window_defaults(), **config.defaults("scoring")}


@lru_cache(maxsize=4)
def load(model_dir: str):
    """(model, tokenizer, the (verifier, encoder) saved beside a teacher or None)."""
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir, trust_remote_code=True).to(pick_device()).eval()
    return model, AutoTokenizer.from_pretrained(model_dir), verifier.load_scorer(model_dir)


def answer_many(model_dir: str, questions: Sequence[str], contexts: Sequence[str], **overrides) -> pd.DataFrame:
    """One row per question: prediction ("" for no answer), best_span, na_score (the verifier's,
    when the model directory has one; then also reader_na_score)."""
    model, tokenizer, scorer = load(str(model_dir))
    settings = {**default_settings(), **(getattr(model.config, "distilbo", None) or {}), **overrides}
    frame = pd.DataFrame({"id": [str(i) for i in range(len(questions))], "question": list(questions),
                          "context": list(contexts), "answer_texts": [[] for _ in questions],
                          "answer_starts": [[] for _ in questions]})
    windows = squad.build_windows(tokenizer, frame, squad.WindowConfig.from_dict(settings))
    starts, ends = predict_logits(model, WindowSet.from_frames(windows, labeled=False))
    out = postprocess.extract_answers(windows, starts, ends, dict(zip(frame["id"], frame["context"])),
                                  settings["n_best"], settings["max_answer_length"],
                                  settings["null_score_diff_threshold"])
    if scorer:
        out = verifier.apply(out, verifier.no_answer_scores(*scorer, frame), settings["null_score_diff_threshold"])
    return out.set_index("id").loc[frame["id"]].reset_index(drop=True)


def answer(model_dir: str, question: str, context: str, **overrides) -> str:
    """The model's answer to one question about `context`, or "" when it finds none."""
    return str(answer_many(model_dir, [question], [context], **overrides)["prediction"].iat[0])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Answer a question about a context with a distilbo model.")
    parser.add_argument("model_dir")
    parser.add_argument("--question", "-q", required=True)
    parser.add_argument("--context", "-c", required=True, help="the text, or @FILE to read it from a file")
    parser.add_argument("--json", action="store_true", help="print prediction, best span and no-answer score")
    args = parser.parse_args(argv)
    context = open(args.context[1:], encoding="utf-8").read() if args.context.startswith("@") else args.context
    row = answer_many(args.model_dir, [args.question], [context]).iloc[0]
    if args.json:
        print(json.dumps({"answer": row["prediction"], "best_span": row["best_span"], "na_score": float(row["na_score"])}))
    else:
        print(row["prediction"])


if __name__ == "__main__":
    main()
