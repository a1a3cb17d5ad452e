"""The model card of an exported pick: what the student is and how it was trained, as it happened.
It is fed the study's settings (CardSettings) and the pick's own trial, so that the loss names every
term with its weight, the weights' source is the one the study used, and the windows and the
vocabulary are those the student was trained and scored on. Plain data: no torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from distilbo.records import schema
from distilbo.records.layout import DEPLOY_FILES
from distilbo.records.metrics import OFFICIAL, PRECISION, SPAN
from distilbo.records.params import TRAIN_PARAMS, StudentShape


@dataclass(frozen=True)
class CardSettings:
    """What the study says of every student: student (the completed student section), teacher_init,
    windows (the completed data settings that make windows) and vocabulary (the trimmed
    vocabulary's summary, distilbo.data.vocabulary; None for the teacher's own)."""

    student: Mapping = field(default_factory=lambda: schema.completed({}, "student"))
    teacher_init: str = ""
    windows: Mapping = field(default_factory=schema.window_defaults)
    vocabulary: Mapping | None = None

    @property
    def max_length(self) -> int:
        """The windows' length the student was trained on: the one to answer with."""
        return int(self.windows["max_seq_length"])

    def trained(self, run: Mapping) -> dict:
        """The trial's training settings as it trained: student.train, overridden by the trial's own
        parameters (fixed and searched, as its metrics.json records them, `run`), and by its rung's
        steps in a multi-fidelity study."""
        train = dict(self.student["train"])
        train.update({k: run[k] for k in TRAIN_PARAMS if run.get(k) is not None})
        if run.get("steps") is not None:
            train["max_steps"] = int(run["steps"])
        return train


def loss_text(train: Mapping) -> str:
    """The loss as trained, every term with its weight (those of weight 0 left out)."""
    alpha, temperature, hidden = float(train["alpha_ce"]), float(train["temperature"]), float(train["alpha_hidden"])
    terms = []
    if alpha > 0:
        terms.append(f"{alpha:.3g} * {temperature:.3g}^2 * KL(teacher/{temperature:.3g} || student/{temperature:.3g}) "
                     "(the teacher's cached start/end logits)")
    if alpha < 1:
        terms.append(f"{1 - alpha:.3g} * cross-entropy on the gold start/end (labeled windows)")
    if hidden > 0:
        pairs = ("each student layer against the teacher layer it was copied from" if train["hidden_layers"] == "copied"
                 else "the student's last layer against the teacher's last")
        terms.append(f"{hidden:.3g} * mean (1 - cosine) of hidden states, {pairs}")
    return "loss = " + "\n     + ".join(terms)


def weights_text(settings: CardSettings, run: Mapping) -> str:
    """Where the student's weights came from, and which layers and heads it kept (`run`: the
    trial's metrics.json, which records its parameters)."""
    base = settings.student["base"]
    source = {"teacher": f"the fine-tuned teacher (teacher.init {settings.teacher_init!r})",
              "init": f"the teacher's pretrained init {settings.teacher_init!r}, before its fine-tuning"
              }.get(base, f"{base!r} (student.base), a pretrained model of its own")
    shape = StudentShape.from_params(run)
    choice = "the bottom ones" if shape.layer_choice == "bottom" else "evenly spaced"
    heads = "heads of most importance to the teacher" if shape.head_choice == "importance" else \
        f"heads drawn by pruning_seed {shape.pruning_seed}"
    kept = f"{shape.n_layers} layers ({choice}), {shape.n_heads} attention heads per layer ({heads})"
    return f"Weights copied from {source}: {kept}; a layer beyond the source's depth starts random."


def data_text(settings: CardSettings, train: Mapping) -> str:
    """The windows it was trained and scored on, its budget and its vocabulary."""
    w = settings.windows
    steps = f"{int(train['max_steps'])} steps" if train.get("max_steps") else f"{train['epochs']:g} epochs"
    vocabulary = settings.vocabulary
    words = ("the teacher's whole vocabulary" if not vocabulary else
             f"a trimmed vocabulary of {vocabulary['kept']:,} of the teacher's {vocabulary['vocab_size']:,} tokens "
             f"(student.vocabulary_size {settings.student.get('vocabulary_size')}); its own tokenizer ships here")
    return (f"Trained {steps} at batch {train['batch_size']}, learning rate {float(train['learning_rate']):.3g}, on "
            f"windows of max_length={w['max_seq_length']} tokens, stride {w['doc_stride']}, questions cut to "
            f"{w['max_query_length']} tokens; {words}.")


def model_card(row: pd.Series, metrics: Mapping, teacher_metrics: Mapping | None, param_names: list[str],
               quality: str, settings: CardSettings) -> str:
    """The README.md of an exported pick (its ONNX section apart: distilbo.study.export)."""
    train = settings.trained(metrics)
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
{weights_text(settings, metrics)}

```
{loss_text(train)}
```

{data_text(settings, train)}
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
{USAGE.format(path="path/to/this/directory", max_length=settings.max_length)}

`trust_remote_code=True` runs Python files of this directory: a student with heads removed ships
its class as `pruned.py` and `families.py` (written by distilbo; read them before you run them), and
a student with every head has none, so it loads without the flag. With distilbo installed,
`distilbo.models.loading.load_model(path)` loads either through distilbo's own classes, with no
remote code.

With distilbo installed, `distilbo.answer(path, question, context)` gives the same answers as the
study's scoring (windows with doc stride, n-best spans, the no-answer threshold).
"""


def picked_variant(row: pd.Series) -> str:
    """The sentence that names the file picked, in a study whose models are deployment variants."""
    precision = row.get(PRECISION)
    if not isinstance(precision, str) or not precision:
        return ""
    return (f"\nThe pick is the **{precision}** variant, `onnx/{DEPLOY_FILES[precision]}`: the figures above are "
            f"that file's (the ONNX section below has each file's).")


USAGE = '''```python
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

path = "{path}"
tokenizer = AutoTokenizer.from_pretrained(path)
model = AutoModelForQuestionAnswering.from_pretrained(path, trust_remote_code=True).eval()
question, context = "Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare."
inputs = tokenizer(question, context, return_tensors="pt", truncation="only_second", max_length={max_length})
with torch.no_grad():
    out = model(**inputs)
start, end = out.start_logits[0].argmax(), out.end_logits[0].argmax()
print(tokenizer.decode(inputs["input_ids"][0][start : end + 1]) if end >= start > 0 else "(no answer)")
```'''


ONNX_USAGE = '''```python
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer

path = "{path}"
tokenizer = Tokenizer.from_file(f"{{path}}/tokenizer.json")
tokenizer.enable_truncation(max_length={max_length})
session = ort.InferenceSession(f"{{path}}/onnx/model-int8.onnx")
question, context = "Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare."
enc = tokenizer.encode(question, context)
arrays = {{"input_ids": enc.ids, "attention_mask": enc.attention_mask, "token_type_ids": enc.type_ids}}
feeds = {{i.name: np.array([arrays[i.name]], dtype=np.int64) for i in session.get_inputs()}}  # what the file takes
start, end = session.run(None, feeds)
s, e = int(start[0].argmax()), int(end[0].argmax())
print(context[enc.offsets[s][0]:enc.offsets[e][1]] if e >= s > 0 and enc.sequence_ids[s] == 1 else "(no answer)")
```'''
