"""The study's result: the Pareto set of feasible trials, the scenario picks against the baseline
(as the reference study's Table 1), and the picked models exported with a model card."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Mapping

import pandas as pd

from distilbo.atomic import atomic_path, read_json, write_parquet
from distilbo.records.labels import ORIGIN_BASELINE
from distilbo.records.layout import DEPLOY_FILES, trial_key
from distilbo.records.metrics import OFFICIAL, PRECISION, PRECISIONS, SPAN, STATUS_OK, read_trial_metrics
from distilbo.search.objectives import Objective, feasible
from distilbo.search.pareto import pareto_front
from distilbo.study.deployment import Deployment, timed_rows, timing_setup
from distilbo.study.retention import require_kept

log = logging.getLogger("distilbo.study.frontier")

SCENARIOS = {
    "retain_size_maximize_quality": "the best quality at the baseline's size or less (within size_tolerance)",
    "minimize_size_maximize_quality": "the best quality among trials smaller than the baseline and at least as good",
    "minimize_size_retain_quality": "the smallest trial within quality_tolerance of the baseline's quality",
}


def baseline_row(history: pd.DataFrame) -> pd.Series | None:
    rows = history[history["origin"].eq(ORIGIN_BASELINE) & history["status"].eq(STATUS_OK)] if "origin" in history else []
    return rows.iloc[0] if len(rows) else None


def pick_scenarios(history: pd.DataFrame, objectives: list[Objective], quality: str, size: str,
                   size_tolerance: float, quality_tolerance: float) -> pd.DataFrame:
    """One row per scenario: the picked trial and its differences against the baseline."""
    base = baseline_row(history)
    if base is None:
        log.warning("no successful baseline trial: the scenarios, which compare against it, are left empty")
        return pd.DataFrame([{"scenario": name, "definition": d, "found": False} for name, d in SCENARIOS.items()])
    ok = history[feasible(history, objectives)]
    b_size, b_q = float(base[size]), float(base[quality])
    candidates = {
        "retain_size_maximize_quality": ok[ok[size] <= b_size * (1 + size_tolerance)],
        "minimize_size_maximize_quality": ok[(ok[size] < b_size) & (ok[quality] >= b_q)],
        "minimize_size_retain_quality": ok[ok[quality] >= b_q - quality_tolerance],
    }
    rows = []
    for name, c in candidates.items():
        order = ([quality, size], [False, True]) if name != "minimize_size_retain_quality" else ([size, quality], [True, False])
        pick = c.sort_values(order[0], ascending=order[1], kind="stable").head(1)
        row = {"scenario": name, "definition": SCENARIOS[name], "found": len(pick) == 1}
        if len(pick):
            p = pick.iloc[0]
            row.update(p.to_dict())
            row["size_vs_baseline_pct"] = 100 * (float(p[size]) - b_size) / b_size
            row["quality_vs_baseline"] = float(p[quality]) - b_q
        rows.append(row)
    baseline = {"scenario": "baseline", "definition": "the baseline configuration", "found": True, **base.to_dict(),
                "size_vs_baseline_pct": 0.0, "quality_vs_baseline": 0.0}
    return pd.DataFrame([baseline] + rows)


def write_frontier(history_path: str, objectives: list[Objective], frontier_cfg: Mapping, out: Mapping[str, str],
                   runs: Mapping[str, Mapping[str, str]], teacher_metrics: Mapping | None = None,
                   param_names: list[str] | None = None, deployment: Deployment | None = None,
                   retained: str | None = None) -> None:
    """Frontier and scenario tables, and the picks exported with a model card. `runs` maps each
    trial key (distilbo.records.layout.trial_key) to the paths of its "model" directory and "metrics" file
    `deployment`, in a study that measures variants: each trial's deploy directory (whose ONNX files
    ship with a pick), the latency tables and the teacher's variants for reference. `retained`:
    the last round's retention record (distilbo.study.retention), which names a pick it removed."""
    history = pd.read_parquet(history_path)
    timed = deployment.timed() if deployment else None
    teacher = deployment.teacher() if deployment else None
    front = pareto_front(history, objectives).sort_values(frontier_cfg["size"])
    write_parquet(front, out["frontier"])
    scenarios = pick_scenarios(history, objectives, frontier_cfg["quality"], frontier_cfg["size"],
                               frontier_cfg["size_tolerance"], frontier_cfg["quality_tolerance"])
    write_parquet(scenarios, out["scenarios"])
    log.info("frontier: %d of %d models\n%s", len(front), len(history),
             scenarios.reindex(columns=["scenario", "found", frontier_cfg["size"], frontier_cfg["quality"],
                                        "size_vs_baseline_pct", "quality_vs_baseline"]).to_string())
    with atomic_path(out["models"], is_dir=True) as tmp:
        if frontier_cfg.get("export", True):
            for _, row in scenarios[scenarios["found"]].iterrows():
                key = trial_key(int(row["round"]), int(row["trial"]))
                if key not in runs:
                    raise KeyError(f"{history_path}: trial {key} is not one of this study's trials ({len(runs)} given)")
                require_kept(key, runs[key]["model"], retained)
                run = {**runs[key], "deploy": deployment.deploy[key]} if deployment else runs[key]
                export_model(row, run, tmp / row["scenario"], teacher_metrics, param_names or [],
                             frontier_cfg["quality"], timed, teacher)


def export_model(row: pd.Series, run: Mapping[str, str], dest: Path, teacher_metrics: Mapping | None,
                 param_names: list[str], quality: str, timed: pd.DataFrame | None = None,
                 teacher: pd.DataFrame | None = None) -> None:
    """The Hugging Face model directory, and its ONNX files (onnx/) where the study made them
    (`timed`: the study's latency tables; `teacher`: its variants, Deployment.teacher)."""
    from distilbo.models.loading import check_model_dir  # torch: only when a pick is exported

    check_model_dir(run["model"])  # never ship a pick without its weights or tokenizer
    shutil.copytree(run["model"], dest)
    metrics = read_trial_metrics(run["metrics"])
    card = model_card(row, metrics, teacher_metrics, param_names, quality)
    if run.get("deploy"):
        mine = None if timed is None else timed_rows(timed, int(row["round"]), int(row["trial"]))
        card += onnx_section(run["deploy"], dest, quality, mine, teacher)
    (dest / "README.md").write_text(card)


def onnx_section(deploy_dir: str, dest: Path, quality: str, timed: pd.DataFrame | None = None,
                 teacher: pd.DataFrame | None = None) -> str:
    """Copy the trial's ONNX files into dest/onnx/ and say how to run them; a variant that could
    not be made is reported here (the Hugging Face export above still stands)."""
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
{ONNX_USAGE.format(path="path/to/this/directory")}

`distilbo-answer DIR --onnx int8` answers with the same windows and post-processing as the study's scoring.
"""


def _teacher_row(t: pd.Series, quality: str) -> str:
    ms = f"{t['latency_ms']:.1f} (IQR {t['latency_iqr_ms']:.1f})" if pd.notna(t.get("latency_ms")) else "-"
    score = t.get(quality, float("nan"))
    return f"| the teacher, for reference | {t[PRECISION]} | {t['size_mb']:.1f} | {ms} | {score:.2f} |"


ONNX_USAGE = '''```python
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer

path = "{path}"
tokenizer = Tokenizer.from_file(f"{{path}}/tokenizer.json")
tokenizer.enable_truncation(max_length=384)
session = ort.InferenceSession(f"{{path}}/onnx/model-int8.onnx")
question, context = "Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare."
enc = tokenizer.encode(question, context)
arrays = {{"input_ids": enc.ids, "attention_mask": enc.attention_mask, "token_type_ids": enc.type_ids}}
feeds = {{i.name: np.array([arrays[i.name]], dtype=np.int64) for i in session.get_inputs()}}  # what the file takes
start, end = session.run(None, feeds)
s, e = int(start[0].argmax()), int(end[0].argmax())
print(context[enc.offsets[s][0]:enc.offsets[e][1]] if e >= s > 0 and enc.sequence_ids[s] == 1 else "(no answer)")
```'''


USAGE = '''```python
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

path = "{path}"
tokenizer = AutoTokenizer.from_pretrained(path)
model = AutoModelForQuestionAnswering.from_pretrained(path, trust_remote_code=True).eval()
question, context = "Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare."
inputs = tokenizer(question, context, return_tensors="pt", truncation="only_second", max_length=384)
with torch.no_grad():
    out = model(**inputs)
start, end = out.start_logits[0].argmax(), out.end_logits[0].argmax()
print(tokenizer.decode(inputs["input_ids"][0][start : end + 1]) if end >= start > 0 else "(no answer)")
```'''


def picked_variant(row: pd.Series) -> str:
    """The sentence that names the file picked, in a study whose models are deployment variants."""
    precision = row.get(PRECISION)
    if not isinstance(precision, str) or not precision:
        return ""
    return (f"\nThe pick is the **{precision}** variant, `onnx/{DEPLOY_FILES[precision]}`: the figures above are "
            f"that file's (the ONNX section below has each file's).")


def model_card(row: pd.Series, metrics: Mapping, teacher_metrics: Mapping | None, param_names: list[str],
               quality: str) -> str:
    scores = "\n".join(f"| {k} | {metrics[k]:.2f} |" for k in OFFICIAL + SPAN if k in metrics)
    params = "\n".join(f"| {k} | {metrics.get(k, row.get(k))} |" for k in param_names)
    teacher = (f"The teacher scored exact {teacher_metrics['exact']:.2f} / f1 {teacher_metrics['f1']:.2f} on the same "
               f"questions." if teacher_metrics and "exact" in teacher_metrics else "")
    against = (f"({row['size_vs_baseline_pct']:+.2f}% against the baseline), {quality} "
               f"{row['quality_vs_baseline']:+.2f} against it.")
    return f"""---
library_name: transformers
pipeline_tag: question-answering
tags: [distilbo, distillation, squad_v2]
---
# distilbo student: {row['scenario']}

Picked by the scenario *{row['scenario']}* ({row['definition']}) from a distilbo study:
round {int(row['round'])}, trial {int(row['trial'])}. {metrics['num_parameters']:,} parameters
{against}{picked_variant(row)}

## How it was distilled
A student built from the teacher (a subset of its layers, attention heads removed per layer, weights
copied from the teacher) and trained on the teacher's cached start/end logits:
loss = alpha_ce * T^2 * KL(teacher/T || student/T) + (1 - alpha_ce) * cross-entropy on the gold spans.
The student's architecture and hyperparameters were chosen by distilbo's multi-objective Bayesian
optimizer (size against answer quality). {teacher}

| parameter | value |
| --- | --- |
{params}

## Scores of the torch model (SQuAD 2.0 official metrics, the study's eval split)
| metric | value |
| --- | --- |
{scores}
| latency at batch 1, CPU (ms per question) | {metrics.get('latency_ms', float('nan')):.1f} |

## Use it (transformers alone; transformers 5 has no question-answering pipeline)
{USAGE.format(path="path/to/this/directory")}

With distilbo installed, `distilbo.answer(path, question, context)` gives the same answers as the
study's scoring (windows with doc stride, n-best spans, the no-answer threshold).
"""
