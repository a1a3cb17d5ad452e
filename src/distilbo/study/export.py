"""A pick exported: its Hugging Face model directory, its model card (distilbo.study.card) and,
where the study made them, its ONNX files with their sizes and latencies."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Mapping

import pandas as pd

from distilbo.atomic import read_json
from distilbo.models.loading import check_model_dir
from distilbo.records.layout import DEPLOY_FILES, MODEL_CARD
from distilbo.records.metrics import PRECISION, PRECISIONS, STATUS_OK, read_trial_metrics
from distilbo.study.card import ONNX_USAGE, CardSettings, model_card
from distilbo.study.deployment import timed_rows, timing_setup

log = logging.getLogger(__name__)


def export_model(row: pd.Series, run: Mapping[str, str], dest: Path, teacher_metrics: Mapping | None,
                 param_names: list[str], quality: str, settings: CardSettings, timed: pd.DataFrame | None = None,
                 teacher: pd.DataFrame | None = None) -> None:
    """The Hugging Face model directory with its card (`settings`: what the study says of it), and
    its ONNX files (onnx/) where the study made them (`timed`: the study's latency tables;
    `teacher`: its variants, Deployment.teacher)."""
    check_model_dir(run["model"])  # never ship a pick without its weights or tokenizer
    shutil.copytree(run["model"], dest)
    metrics = read_trial_metrics(run["metrics"])
    card = model_card(row, metrics, teacher_metrics, param_names, quality, settings)
    if run.get("deploy"):
        mine = None if timed is None else timed_rows(timed, int(row["round"]), int(row["trial"]))
        card += onnx_section(run["deploy"], dest, quality, settings.max_length, mine, teacher)
    (dest / MODEL_CARD).write_text(card)


def onnx_section(deploy_dir: str, dest: Path, quality: str, max_length: int, timed: pd.DataFrame | None = None,
                 teacher: pd.DataFrame | None = None) -> str:
    """Copy the trial's ONNX files into dest/onnx/ and say how to run them on windows of
    `max_length`; a variant that could not be made is reported here (the Hugging Face export above
    still stands)."""
    record = read_json(Path(deploy_dir) / DEPLOY_FILES["variants"], required=("status",), what="deployment variants")
    if record["status"] != STATUS_OK:
        log.error("%s: no ONNX files: %s", dest.name, record["reason"])
        return f"\n## ONNX\nNo ONNX files: {record['reason']}\n"
    (dest / "onnx").mkdir()
    rows = []
    for precision in PRECISIONS:
        name = DEPLOY_FILES[precision]
        shutil.copy2(Path(deploy_dir) / name, dest / "onnx" / name)
        v = record[precision]
        t = timed[timed[PRECISION].eq(precision)] if timed is not None else timed
        ms = f"{t['latency_ms'].iat[0]:.1f} (IQR {t['latency_iqr_ms'].iat[0]:.1f})" if t is not None and len(t) else "-"
        rows.append(f"| onnx/{name} | {precision} | {v['size_mb']:.1f} | {ms} | {v.get(quality, float('nan')):.2f} |")
    teacher = teacher if teacher is not None else pd.DataFrame()
    table = "\n".join(rows + [_teacher_row(t, quality) for _, t in teacher.iterrows()])
    where = f"Latency measured by the study: {timing_setup(timed)}." if timed is not None and len(timed) else ""
    return f"""
## ONNX (no torch needed)
| file | precision | MB | latency at batch 1 (ms per question) | {quality} |
| --- | --- | --- | --- | --- |
{table}

{where}
{ONNX_USAGE.format(path="path/to/this/directory", max_length=max_length)}

`distilbo-answer DIR --onnx int8` answers with the same windows and post-processing as the study's scoring.
"""


def _teacher_row(t: pd.Series, quality: str) -> str:
    ms = f"{t['latency_ms']:.1f} (IQR {t['latency_iqr_ms']:.1f})" if pd.notna(t.get("latency_ms")) else "-"
    score = t.get(quality, float("nan"))
    return f"| the teacher, for reference | {t[PRECISION]} | {t['size_mb']:.1f} | {ms} | {score:.2f} |"


