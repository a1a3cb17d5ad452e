"""The models a study names, checked once where it starts, before any job (not at the parse each
job makes): the teacher and a student.base of a supported family, with no code of their own to
run, and a student.base whose tokenizer makes the teacher's windows. A hub id that is not in the
local cache cannot be read here: it is checked by the job that loads it. Only the tokenizer
comparison (a student.base of its own) loads transformers."""

from __future__ import annotations

import json
import logging
import os
from typing import Mapping

from distilbo.records.families import MODEL_TYPES
from distilbo.records.sources import resolve_model_source
from distilbo.study.plan import uses_head_importance

log = logging.getLogger(__name__)


class ModelCheckError(ValueError):
    """A model the study names that it cannot use; the message names the model and the key."""


def check_models(cfg: Mapping) -> None:
    teacher = cfg["teacher"]["init"]
    _check_family(teacher, "teacher.init")
    base = cfg["student"]["base"]
    if base not in ("teacher", "init"):
        if uses_head_importance(cfg["search"]):
            raise ModelCheckError(f"config: search: head_choice importance ranks the teacher's heads, but "
                                  f"student.base {base!r} is another model: keep heads by head_choice random")
        _check_family(base, "student.base")
        check_same_windows(teacher, base, cfg["data"])


def _config_file(source: str) -> str | None:
    """The config.json of a model location, if it can be read without the network."""
    path = resolve_model_source(source)
    if os.path.isdir(path):
        return os.path.join(path, "config.json")
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(path, "config.json")
    except Exception:  # not a hub id either: the job that loads it says why
        return None
    return cached if isinstance(cached, str) else None


def _check_family(source: str, key: str) -> None:
    path = _config_file(source)
    if path is None:
        log.warning("%s %r: not local, its family is checked when a job loads it", key, source)
        return
    try:
        config = json.loads(open(path, encoding="utf-8").read())
    except (OSError, ValueError) as err:
        raise ModelCheckError(f"config: {key} {source!r}: cannot read {path}: {err}") from None
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise ModelCheckError(f"config: {key} {source!r}: model_type {model_type!r} ({path}) is not a supported "
                              f"family; distilbo cuts students from {', '.join(MODEL_TYPES)}")
    if config.get("auto_map"):
        raise ModelCheckError(f"config: {key} {source!r}: {path} has an auto_map (code of its own); distilbo runs "
                              "no code from a model directory: use a model of a supported family's own classes")


def check_same_windows(teacher: str, base: str, data: Mapping, n: int = 64) -> None:
    """A student from another pretrained model learns from the teacher's cached logits over the
    teacher's windows: its tokenizer must make the same token ids (checked on n training questions)."""
    from transformers import AutoTokenizer

    from distilbo.data import squad

    try:
        tokenizers = [AutoTokenizer.from_pretrained(resolve_model_source(s), local_files_only=True)
                      for s in (teacher, base)]
    except OSError:
        log.warning("student.base %r or teacher.init %r not local: their windows are not compared", base, teacher)
        return
    questions = _sample_questions(data, n)
    cfg = squad.WindowConfig.from_dict(data)
    a, b = (squad.build_windows(t, questions, cfg) for t in tokenizers)
    same = len(a) == len(b) and all(map(_equal, a["input_ids"], b["input_ids"]))
    if not same:
        raise ModelCheckError(f"config: student.base {base!r} and teacher.init {teacher!r} tokenize differently "
                              "(their windows differ): a student learns from the teacher's logits over the "
                              "teacher's windows, so both models need the same tokenizer")


# Questions to compare tokenizers on when the study's data is not a local file (a hub dataset).
SAMPLE = [("Who designed the Eiffel Tower's structure?",
           "The Eiffel Tower, built for the 1889 World's Fair in Paris, was designed by Maurice Koechlin and "
           "Émile Nouguier, engineers at Gustave Eiffel's company. Its 324-metre iron lattice stood as the "
           "world's tallest structure for 41 years."),
          ("What year did the Normans conquer England?",
           "In 1066 the Normans, led by William the Conqueror, crossed the Channel; naïve accounts call it "
           "'the last successful invasion' of England.")]


def _sample_questions(data: Mapping, n: int):
    import pandas as pd

    from distilbo.data import squad

    path = str(data["labeled"])
    if os.path.isfile(path) and path.endswith(".json"):
        from pathlib import Path

        return squad.questions_from_json(Path(path)).head(n)
    return pd.DataFrame({"id": [str(i) for i in range(len(SAMPLE))], "question": [q for q, _ in SAMPLE],
                         "context": [c for _, c in SAMPLE], "answer_texts": [[] for _ in SAMPLE],
                         "answer_starts": [[] for _ in SAMPLE]})


def _equal(x, y) -> bool:
    return len(x) == len(y) and bool((x == y).all())
