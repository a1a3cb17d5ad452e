"""Answer questions with a saved model, with the same windows and post-processing the scoring
used (transformers 5 has no question-answering pipeline).

    distilbo-answer MODEL_DIR --question "..." --context "..."   (distilbo.deploy.cli)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

import pandas as pd
from transformers import AutoConfig, AutoTokenizer

from distilbo.data import squad
from distilbo.data.batches import WindowSet
from distilbo.deploy.onnx import OnnxReader
from distilbo.models.loading import load_model
from distilbo.qa import postprocess, verifier
from distilbo.qa.inference import pick_device, predict_logits
from distilbo.records import schema
from distilbo.records.layout import DEPLOY_FILES
from distilbo.records.metrics import PRECISIONS


def default_settings() -> dict:
    """For a model saved without the settings a run stores in config.json (key "distilbo"): the
    config schema's defaults for windows and answer extraction."""
    return {**schema.window_defaults(), **schema.defaults("scoring")}


@lru_cache(maxsize=4)
def load(model_dir: str, onnx: str | None = None, trust_remote_code: bool = False):
    """(model, its settings, tokenizer, the (verifier, encoder) saved beside a teacher or None).
    onnx: "fp32" or "int8" runs the exported ONNX file (onnx/ in the directory) instead.
    trust_remote_code: the user's opt-in to run a class the directory brings (never the default)."""
    if onnx:
        path = Path(model_dir) / "onnx" / DEPLOY_FILES.get(onnx, "")
        if onnx not in PRECISIONS or not path.is_file():
            raise FileNotFoundError(f"{model_dir}: no ONNX file for --onnx {onnx!r} (expected onnx/{DEPLOY_FILES.get(onnx)}"
                                    f", one of {list(PRECISIONS)}, written by a study that measures deployment variants)")
        model, settings = OnnxReader(path), getattr(AutoConfig.from_pretrained(model_dir), "distilbo", None)
    else:
        # distilbo's own classes: no code from the directory runs (distilbo.models.loading.load_model)
        model = load_model(model_dir, trust_remote_code).to(pick_device()).eval()
        settings = getattr(model.config, "distilbo", None)
    return model, settings or {}, AutoTokenizer.from_pretrained(model_dir), verifier.load_scorer(model_dir)


def answer_many(model_dir: str, questions: Sequence[str], contexts: Sequence[str], onnx: str | None = None,
                trust_remote_code: bool = False, **overrides) -> pd.DataFrame:
    """One row per question: prediction ("" for no answer), best_span, na_score (the verifier's,
    when the model directory has one; then also reader_na_score). onnx, trust_remote_code: see `load`."""
    if len(questions) != len(contexts):
        raise ValueError(f"{len(questions)} questions for {len(contexts)} contexts: give one context per question")
    for n, (question, context) in enumerate(zip(questions, contexts)):
        if not str(question).strip() or not str(context).strip():  # a model would answer it all the same
            raise ValueError(f"question {n}: empty {'question' if not str(question).strip() else 'context'} "
                             "(a question needs a text to answer from)")
    model, saved, tokenizer, scorer = load(str(model_dir), onnx, trust_remote_code)
    settings = {**default_settings(), **saved, **overrides}
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


def answer(model_dir: str, question: str, context: str, trust_remote_code: bool = False, **overrides) -> str:
    """The model's answer to one question about `context`, or "" when it finds none."""
    return str(answer_many(model_dir, [question], [context], trust_remote_code=trust_remote_code,
                           **overrides)["prediction"].iat[0])
