"""SQuAD 2.0 data: loading (local JSON, saved or hub datasets), checking, splitting by article,
and tokenized windows with doc stride, following Hugging Face's run_qa.py conventions."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# The key of a windows table's pandas attrs (kept in its Parquet file) that holds the pad token id.
PAD_ID = "pad_token_id"

QUESTION_COLUMNS = ["id", "title", "context", "question", "answer_texts", "answer_starts", "is_impossible"]


class DataError(ValueError):
    """Bad input data; the message names the file, the key or the question id at fault."""


# ---------------------------------------------------------------- loading


def load_questions(source: str, split: str = "train", labeled: bool = True) -> pd.DataFrame:
    """One row per question from a SQuAD-format JSON file, a `save_to_disk` directory,
    or a hub dataset id (`hub:rajpurkar/squad_v2`), in the columns QUESTION_COLUMNS."""
    if source.startswith("hub:"):
        import datasets  # imported lazily: it is slow to import and only this path needs it

        return _rows_from_dataset(datasets.load_dataset(source[4:], split=split), source, labeled)
    path = Path(source)
    if path.is_dir():
        import datasets

        dataset = datasets.load_from_disk(str(path))
        if isinstance(dataset, datasets.DatasetDict):
            if split not in dataset:
                raise DataError(f"{path}: no split {split!r} (has {sorted(dataset)})")
            dataset = dataset[split]
        return _rows_from_dataset(dataset, source, labeled)
    return questions_from_json(path, labeled)


def questions_from_json(path: Path, labeled: bool = True) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DataError(f"{path}: file is empty, expected SQuAD JSON with a 'data' list")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: malformed JSON ({err})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise DataError(f"{path}: missing key 'data' (a list of articles)")
    rows = [row for i, article in enumerate(doc["data"]) for row in _article_rows(article, path, i, labeled)]
    if not rows:
        raise DataError(f"{path}: no questions found")
    return pd.DataFrame(rows, columns=QUESTION_COLUMNS)


def _need(obj: dict, key: str, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise DataError(f"{where}: missing key {key!r}")
    return obj[key]


def _article_rows(article: dict, path: Path, index: int, labeled: bool) -> Iterable[dict]:
    title = _need(article, "title", f"{path}: data[{index}]")
    for j, paragraph in enumerate(_need(article, "paragraphs", f"{path}: article {title!r}")):
        where = f"{path}: article {title!r} paragraph {j}"
        context = _need(paragraph, "context", where)
        if not isinstance(context, str) or not context.strip():
            raise DataError(f"{where}: empty context (a question needs a text to answer from)")
        for qa in _need(paragraph, "qas", where):
            qid = _need(qa, "id", f"{where} question")
            yield _question_row(qa, str(qid), title, context, f"{path}: question {qid}", labeled)


def _question_row(qa: dict, qid: str, title: str, context: str, where: str, labeled: bool) -> dict:
    answers = qa.get("answers", []) if not labeled else _need(qa, "answers", where)
    impossible = bool(qa.get("is_impossible", not answers)) if labeled else True
    texts = [str(_need(a, "text", where)) for a in answers] if labeled else []
    starts = [int(_need(a, "answer_start", where)) for a in answers] if labeled else []
    if labeled and not impossible and not texts:
        raise DataError(f"{where}: is_impossible is false but 'answers' is empty")
    return dict(id=qid, title=title, context=context, question=_need(qa, "question", where),
                answer_texts=[] if impossible else texts, answer_starts=[] if impossible else starts,
                is_impossible=impossible)


def _rows_from_dataset(dataset, source: str, labeled: bool) -> pd.DataFrame:
    """Hub-style rows (id, title, context, question, answers{text, answer_start})."""
    missing = {"id", "title", "context", "question"} - set(dataset.column_names)
    if labeled:
        missing |= {"answers"} - set(dataset.column_names)
    if missing:
        raise DataError(f"{source}: missing columns {sorted(missing)}")
    df = dataset.to_pandas()
    if labeled:
        df["answer_texts"] = [list(a["text"]) for a in df["answers"]]
        df["answer_starts"] = [[int(s) for s in a["answer_start"]] for a in df["answers"]]
    else:
        df["answer_texts"] = [[] for _ in range(len(df))]
        df["answer_starts"] = [[] for _ in range(len(df))]
    df["is_impossible"] = [len(t) == 0 for t in df["answer_texts"]]
    df["id"] = df["id"].astype(str)
    return df[QUESTION_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- checking and splitting


def bad_answer_ids(questions: pd.DataFrame) -> list[str]:
    """Ids of questions with an answer_start that does not point at its answer text."""
    bad = []
    for qid, context, texts, starts in questions[["id", "context", "answer_texts", "answer_starts"]].itertuples(
        index=False
    ):
        if any(context[s : s + len(t)] != t for t, s in zip(texts, starts)):
            bad.append(qid)
    return bad


def check_answers(questions: pd.DataFrame, source: str, on_bad: str = "error") -> pd.DataFrame:
    """Stop on (or, with on_bad='drop', drop and count) answers whose start misses their text."""
    bad = bad_answer_ids(questions)
    if bad and on_bad == "error":
        shown = ", ".join(bad[:10]) + (" ..." if len(bad) > 10 else "")
        raise DataError(
            f"{source}: {len(bad)} question(s) whose answer_start does not point at the answer text: {shown} "
            "(set data.on_bad_answer: drop to drop them)"
        )
    if bad:
        log.warning("%s: dropped %d question(s) whose answer_start misses the answer text: %s",
                    source, len(bad), ", ".join(bad[:10]))
    duplicated = questions["id"][questions["id"].duplicated()].tolist()
    if duplicated:
        raise DataError(f"{source}: duplicate question id(s): {', '.join(duplicated[:10])}")
    return questions[~questions["id"].isin(set(bad))].reset_index(drop=True)


def split_by_article(questions: pd.DataFrame, eval_articles: Sequence[str] | None = None,
                     eval_fraction: float | None = None, seed: int = 0,
                     source: str = "data") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/eval split with no article on both sides: by title, or a seeded fraction of articles."""
    titles = list(dict.fromkeys(questions["title"]))
    if eval_articles:
        unknown = sorted(set(eval_articles) - set(titles))
        if unknown:
            raise DataError(f"{source}: data.eval_articles names unknown article(s) {unknown}; "
                            f"articles are {titles}")
        chosen = set(eval_articles)
    else:
        if eval_fraction is None or not 0 < eval_fraction < 1:
            raise DataError(f"data.eval_fraction must be in (0, 1), got {eval_fraction!r}")
        n = max(1, round(eval_fraction * len(titles)))
        if n >= len(titles):
            raise DataError(f"{source}: data.eval_fraction {eval_fraction} leaves no training article")
        chosen = set(np.random.default_rng(seed).choice(titles, size=n, replace=False))
    in_eval = questions["title"].isin(chosen)
    if in_eval.all():
        raise DataError(f"{source}: data.eval_articles covers every article; none left to train on")
    return questions[~in_eval].reset_index(drop=True), questions[in_eval].reset_index(drop=True)


# ---------------------------------------------------------------- tokenized windows


@dataclass(frozen=True)
class WindowConfig:
    """How questions become windows (the config's data.max_seq_length, doc_stride, max_query_length)."""

    max_seq_length: int
    doc_stride: int
    max_query_length: int

    @classmethod
    def from_dict(cls, d: Mapping) -> "WindowConfig":
        """Settings from a mapping that holds all three (the data section, completed; other keys
        are not read)."""
        missing = [k for k in cls.__dataclass_fields__ if k not in d]
        if missing:
            raise ValueError(f"window settings lack {missing}: pass the completed data section, or use "
                             "WindowConfig.defaults()")
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})

    @classmethod
    def defaults(cls) -> "WindowConfig":
        """The schema's default settings: for code that makes windows outside a study."""
        from distilbo.records.schema import window_defaults

        return cls.from_dict(window_defaults())


# One row per window (features-{split}.parquet); token_type_ids only from a tokenizer that makes
# them (BERT's does, RoBERTa's and ModernBERT's do not). The table's attrs hold the pad token id.
WINDOW_COLUMNS = ("feature_id", "example_id", "input_ids", "token_type_ids", "offset_start", "offset_end",
                  "start_position", "end_position")


def window_columns(tokenizer) -> list[str]:
    """The columns of this tokenizer's windows table."""
    types = "token_type_ids" in tokenizer.model_input_names
    return [c for c in WINDOW_COLUMNS if types or c != "token_type_ids"]


def empty_windows(tokenizer) -> pd.DataFrame:
    table = pd.DataFrame(columns=window_columns(tokenizer))
    table.attrs[PAD_ID] = tokenizer.pad_token_id
    return table


def truncate_questions(tokenizer, questions: Sequence[str], max_query_length: int) -> list[str]:
    """Questions cut to at most max_query_length tokens (leading whitespace stripped, as run_qa.py)."""
    questions = [q.lstrip() for q in questions]
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    return [q if len(offs) <= max_query_length else q[: offs[max_query_length - 1][1]]
            for q, offs in zip(questions, enc["offset_mapping"])]


def build_windows(tokenizer, questions: pd.DataFrame, cfg: WindowConfig) -> pd.DataFrame:
    """Tokenized windows, one row per window: input_ids, token_type_ids (from a tokenizer that
    makes them), context offsets (offset_start/offset_end, -1 outside the context), example_id,
    start/end positions (0 = the first token, CLS or <s>, when the answer is absent or outside
    the window). The table's attrs keep the tokenizer's pad token id (PAD_ID)."""
    pad_right = tokenizer.padding_side == "right"
    if not pad_right:
        raise DataError("only tokenizers that put the question first are supported")
    enc = tokenizer(
        truncate_questions(tokenizer, questions["question"].tolist(), cfg.max_query_length),
        questions["context"].tolist(),
        truncation="only_second",
        max_length=cfg.max_seq_length,
        stride=cfg.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    spaces: dict[int, np.ndarray] = {}  # per question: which context characters are whitespace
    rows = [_window_row(enc, i, questions, spaces) for i in range(len(enc["input_ids"]))]
    table = pd.DataFrame(rows, columns=window_columns(tokenizer))
    table.attrs[PAD_ID] = tokenizer.pad_token_id
    return table


def _window_row(enc, i: int, questions: pd.DataFrame, spaces: dict[int, np.ndarray]) -> dict:
    q = int(enc["overflow_to_sample_mapping"][i])
    seq_ids = enc.sequence_ids(i)
    offsets = np.array(enc["offset_mapping"][i], dtype=np.int32)
    in_context = np.array([s == 1 for s in seq_ids])
    offsets[~in_context] = -1
    if q not in spaces:
        spaces[q] = _whitespace(questions["context"].iat[q])
    _trim_leading_spaces(offsets, in_context, spaces[q])
    start, end = _answer_positions(offsets, questions["answer_starts"].iat[q], questions["answer_texts"].iat[q])
    return dict(
        feature_id=i,
        example_id=questions["id"].iat[q],
        input_ids=np.asarray(enc["input_ids"][i], dtype=np.int32),
        token_type_ids=np.asarray(enc["token_type_ids"][i], dtype=np.int8) if "token_type_ids" in enc else None,
        offset_start=offsets[:, 0],
        offset_end=offsets[:, 1],
        start_position=start,
        end_position=end,
    )


def _whitespace(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.isin(codes, _SPACE_CODES)


_SPACE_CODES = np.array([ord(c) for c in " \t\n\r\x0b\x0c\xa0\u2000\u2001\u2002\u2003\u2009\u200a\u202f\u3000"],
                        dtype=np.uint32)


def _trim_leading_spaces(offsets: np.ndarray, in_context: np.ndarray, space: np.ndarray) -> None:
    """Context tokens start at their first non-space character. Byte-level BPE (RoBERTa without
    trim_offsets, ModernBERT) and SentencePiece (XLM-R, DeBERTa-v3) tokens carry the space before
    their word, so an answer cut from their offsets would begin with it; WordPiece's never do."""
    k = np.flatnonzero(in_context)
    starts, ends = offsets[k, 0], offsets[k, 1]
    while True:
        move = (starts < ends - 1) & space[np.minimum(starts, len(space) - 1)]
        if not move.any():
            break
        starts[move] += 1
    offsets[k, 0] = starts


def _answer_positions(offsets: np.ndarray, starts: Sequence[int], texts: Sequence[str]) -> tuple[int, int]:
    """Token span of the first gold answer inside the window, else (0, 0) for CLS."""
    if len(starts) == 0:
        return 0, 0
    start_char, end_char = int(starts[0]), int(starts[0]) + len(texts[0])
    ctx = np.flatnonzero(offsets[:, 0] >= 0)
    if offsets[ctx[0], 0] > start_char or offsets[ctx[-1], 1] < end_char:
        return 0, 0
    token_start = ctx[np.searchsorted(offsets[ctx, 1], start_char, side="right")]
    token_end = ctx[np.searchsorted(offsets[ctx, 0], end_char, side="left") - 1]
    return int(token_start), int(token_end)


def lost_answers(questions: pd.DataFrame, windows: pd.DataFrame) -> int:
    """Answerable questions whose answer lies in none of their windows (lost to truncation)."""
    found = set(windows.loc[windows["start_position"] > 0, "example_id"])
    answerable = questions.loc[~questions["is_impossible"], "id"]
    return int((~answerable.isin(found)).sum())
