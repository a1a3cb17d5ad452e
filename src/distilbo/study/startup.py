"""The files and models a study names, checked once where it starts, before any job (not at the
parse each job makes): its data and vocabulary files present; the teacher and a student.base of a
supported family, with no code of their own to run; a student.base whose tokenizer makes the
teacher's windows; heads and a vocabulary size the teacher has. A hub id that is not in the local
cache cannot be read here: it is checked by the job that loads it. Only the tokenizer comparison
(a student.base of its own) loads transformers."""

from __future__ import annotations

import difflib
import json
import logging
import os
from typing import Mapping

from distilbo.records.families import MODEL_TYPES
from distilbo.records.sources import ModelSourceError, resolve_model_source
from distilbo.study.plan import uses_head_importance

log = logging.getLogger(__name__)

# student.base's words for the study's own models (anything else names a model).
OWN_BASES = ("teacher", "init")
# A model config's heads per layer, by its family's key (DistilBERT says n_heads).
HEAD_KEYS = ("num_attention_heads", "n_heads")


class ModelCheckError(ValueError):
    """A model or file the study names that it cannot use; the message names the key."""


def check_files(cfg: Mapping) -> None:
    """The data files and vocabulary texts the study reads exist (hub datasets are not files)."""
    data = cfg["data"]
    for key in ("labeled", "unlabeled", "eval"):
        source = data.get(key)
        if source and not str(source).startswith("hub:") and not os.path.exists(source):
            raise ModelCheckError(f"config: data.{key}: {source} does not exist (from {os.getcwd()}); expected a "
                                  "SQuAD-format JSON file, a directory saved by datasets, or hub:ID")
    check_eval_articles(data)
    for n, path in enumerate(cfg["student"]["vocabulary_text"]):
        if not os.path.isfile(path):
            raise ModelCheckError(f"config: student.vocabulary_text[{n}]: {path} is not a file (text whose tokens "
                                  "a trimmed vocabulary keeps)")


def check_eval_articles(data: Mapping) -> None:
    """The eval articles a local SQuAD JSON file holds (a misspelt title would be found by the data
    job only); a hub or saved dataset's titles are checked there."""
    path, wanted = str(data["labeled"]), data["eval_articles"]
    if not wanted or data.get("eval") or not (path.endswith(".json") and os.path.isfile(path)):
        return
    try:
        titles = [a.get("title") for a in json.loads(open(path, encoding="utf-8").read())["data"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # not SQuAD-shaped: the data job names what is wrong with it
    for title in wanted:
        if title not in titles:
            near = difflib.get_close_matches(title, [t for t in titles if isinstance(t, str)], n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else f"its articles are {', '.join(map(str, titles[:12]))}, ..."
            raise ModelCheckError(f"config: data.eval_articles: {title!r} is not an article of {path}; {hint}")


def check_models(cfg: Mapping) -> None:
    teacher = _model_config(cfg["teacher"]["init"], "teacher.init")
    if cfg["teacher"]["verifier"]:
        _local_path(cfg["teacher"]["verifier"], "teacher.verifier")
    if cfg["student"]["base"] in OWN_BASES:  # students are cut from the teacher (random_init: its shape)
        source, key = ({**teacher, **(cfg["teacher"]["random_init"] or {})} if teacher else None), "teacher.init"
    else:
        source, key = check_other_base(cfg), "student.base"
    if source:
        check_heads(cfg["search"], source, key)
    if teacher:
        check_vocabulary_size(cfg["student"], teacher)


def check_other_base(cfg: Mapping) -> dict | None:
    """A student.base that names another model: not a misspelt teacher or init, of a supported
    family, with heads kept by a draw, tokenizing as the teacher does. Its config.json, if local."""
    base = cfg["student"]["base"]
    near = difflib.get_close_matches(base, OWN_BASES, n=1, cutoff=0.6)
    if near and not os.path.exists(base):
        raise ModelCheckError(f"config: student.base {base!r} is neither {' nor '.join(OWN_BASES)} nor a model "
                              f"directory: did you mean {near[0]!r}?")
    config = _model_config(base, "student.base")
    if uses_head_importance(cfg["search"]):
        raise ModelCheckError(f"config: search: head_choice importance ranks the teacher's heads, but "
                              f"student.base {base!r} is another model: keep heads by head_choice random")
    check_same_windows(cfg["teacher"]["init"], base, cfg["data"])
    return config


def check_heads(search: Mapping, config: Mapping, key: str) -> None:
    """No trial asks for more heads per layer than the model students are cut from has."""
    heads = next((config[k] for k in HEAD_KEYS if isinstance(config.get(k), int)), None)
    space = search["space"].get("n_heads") or {}
    asked = [(f"search.space.n_heads.{b}", space.get(b)) for b in ("low", "high")]
    asked += [(f"search.{s}.n_heads", (search.get(s) or {}).get("n_heads")) for s in ("fixed", "baseline")]
    for name, value in asked:
        if heads and isinstance(value, (int, float)) and value > heads:
            raise ModelCheckError(f"config: {name} is {value}, but {key} has {heads} heads per layer: n_heads "
                                  f"lies in 1..{heads}")


def check_vocabulary_size(student: Mapping, teacher: Mapping) -> None:
    """A trimmed vocabulary's size is at most the teacher's (a bigger one would keep all, silently)."""
    size, vocab = student["vocabulary_size"], teacher.get("vocab_size")
    if student["vocabulary"] == "trimmed" and size and vocab and size > vocab:
        raise ModelCheckError(f"config: student.vocabulary_size is {size}, but the teacher's vocabulary has {vocab} "
                              f"tokens: keep fewer (at most {vocab}), or set student.vocabulary: full")


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


def _local_path(source: str, key: str) -> None:
    """A model location written as a path is a directory; a package:NAME/SUBDIR one is installed."""
    if source.startswith(("/", "./", "../", "~")) and not os.path.isdir(os.path.expanduser(source)):
        raise ModelCheckError(f"config: {key} {source!r}: no such directory (a hub id, a local directory or "
                              "package:NAME/SUBDIR)")
    try:
        resolve_model_source(source)
    except ModelSourceError as err:
        raise ModelCheckError(f"config: {key}: {err}") from None


def _model_config(source: str, key: str) -> dict | None:
    """The model's config.json, its family checked; None for a hub id not in the local cache."""
    _local_path(source, key)
    path = _config_file(source)
    if path is None:
        log.warning("%s %r: not local, its family is checked when a job loads it", key, source)
        return None
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
    return config


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
