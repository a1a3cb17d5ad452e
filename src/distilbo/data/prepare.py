"""The data stage: questions per split and their tokenized windows, written as Parquet."""

from __future__ import annotations

import logging
from typing import Mapping

import pandas as pd

from distilbo.atomic import write_parquet
from distilbo.data import squad

log = logging.getLogger(__name__)


def load_splits(data: Mapping) -> dict[str, pd.DataFrame]:
    """train / eval / transfer questions as the config's data section describes them."""
    labeled = squad.check_answers(squad.load_questions(data["labeled"], data["labeled_split"]),
                                  data["labeled"], data["on_bad_answer"])
    if data.get("eval"):
        train = labeled
        evaluation = squad.check_answers(squad.load_questions(data["eval"], data["eval_split"]),
                                         data["eval"], data["on_bad_answer"])
    else:
        train, evaluation = squad.split_by_article(labeled, data["eval_articles"], data["eval_fraction"],
                                                   data["split_seed"], data["labeled"])
    transfer = (squad.load_questions(data["unlabeled"], data["unlabeled_split"], labeled=False)
                if data.get("unlabeled") else pd.DataFrame(columns=squad.QUESTION_COLUMNS))
    splits = {"train": train, "eval": evaluation, "transfer": transfer}
    limits = data.get("max_questions") or {}
    return {name: df.head(limits[name]) if limits.get(name) is not None else df for name, df in splits.items()}


def prepare_data(data: Mapping, tokenizer, question_paths: Mapping[str, str],
                 feature_paths: Mapping[str, str]) -> None:
    """Write each split's questions and windows; `tokenizer`: the teacher's (a fast tokenizer,
    distilbo.models.loading.load_tokenizer)."""
    splits = load_splits(data)
    cfg = squad.WindowConfig.from_dict(data)
    empty = squad.empty_windows(tokenizer)
    for name, questions in splits.items():
        windows = squad.build_windows(tokenizer, questions, cfg) if len(questions) else empty
        write_parquet(questions, question_paths[name])
        write_parquet(windows, feature_paths[name])
        log.info("%s: %d questions (%d unanswerable) from %d articles -> %d windows of <= %d tokens",
                 name, len(questions), int(questions["is_impossible"].sum()) if name != "transfer" else 0,
                 questions["title"].nunique(), len(windows), cfg.max_seq_length)
        if name != "transfer":
            log.info("%s: %d answerable question(s) lost their answer to truncation",
                     name, squad.lost_answers(questions, windows))

