"""Vocabulary: a trimmed student vocabulary (config student.vocabulary: trimmed; the tokenizer and
window work is distilbo.data.vocabulary): the kept set, the trimmed tokenizer, the eval windows it
makes and a summary."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from distilbo.atomic import write_json, write_parquet
from distilbo.data import squad
from distilbo.data.vocabulary import KEPT_COLUMN, kept_ids, save_trimmed_tokenizer, used_ids
from distilbo.logs import setup_logging
from distilbo.models.loading import load_tokenizer
from distilbo.stages.settings import JobSettings

log = logging.getLogger(__name__)


def run(job) -> None:
    """Run the vocabulary job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i = job.input
    write_vocabulary(load_tokenizer(job.params.tokenizer), [i.train_features, i.transfer_features], i.eval_questions,
                     JobSettings.of(job.params).windows, list(i.text), dict(job.output), i.eval_features,
                     job.params.size)


def write_vocabulary(tokenizer, windows: Sequence[str], eval_questions: str, window_cfg: Mapping,
                     extra_text: Sequence[str], out: Mapping[str, str], teacher_eval: str,
                     size: int | None = None) -> dict:
    """The kept set of the training and transfer `windows` (and the words of the `extra_text`
    files, filled up to `size`), the trimmed tokenizer, the eval windows it makes, and a summary:
    how many ids were kept, and how many of the teacher's eval tokens (`teacher_eval`) fall back."""
    used = used_ids(ids for path in windows for ids in pd.read_parquet(path, columns=["input_ids"])["input_ids"])
    texts = [Path(p).read_text(encoding="utf-8") for p in extra_text]
    kept = kept_ids(tokenizer, used, texts, size)
    trimmed = save_trimmed_tokenizer(tokenizer, kept, out["tokenizer"])
    write_parquet(pd.DataFrame({KEPT_COLUMN: kept}), out["kept"])
    questions = pd.read_parquet(eval_questions)
    cfg = squad.WindowConfig.from_dict(window_cfg)
    eval_windows = squad.build_windows(trimmed, questions, cfg) if len(questions) else squad.empty_windows(trimmed)
    write_parquet(eval_windows, out["eval_features"])
    teacher_windows = pd.read_parquet(teacher_eval, columns=["input_ids"])["input_ids"]
    teacher_ids = np.concatenate([np.asarray(x) for x in teacher_windows] or [np.empty(0, np.int64)])
    summary = {"vocab_size": len(tokenizer), "kept": len(kept), "used": len(used),
               "eval_tokens": int(len(teacher_ids)), "eval_tokens_not_kept": int((~np.isin(teacher_ids, kept)).sum()),
               "eval_windows": len(eval_windows), "teacher_eval_windows": len(teacher_windows),
               "eval_unknown": int(sum(int((np.asarray(x) == trimmed.unk_token_id).sum()) for x in eval_windows["input_ids"]))}
    write_json(summary, out["summary"])
    log.info("vocabulary: %d of %d tokens kept (%d used by the windows); %d of %d eval tokens fall back, "
             "%d to the unknown token", summary["kept"], summary["vocab_size"], summary["used"],
             summary["eval_tokens_not_kept"], summary["eval_tokens"], summary["eval_unknown"])
    return summary
