"""The slow tier of the families issue: for every supported family, a tiny randomly initialized
teacher (its config built here, its tokenizer of the family's own kind trained here on the shared
SQuAD text) runs a one-round study end to end: teacher fine-tuning, head importance, students
with fewer layers and pruned heads, ONNX variants, frontier and export."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SHARED_DATA
from tiny_models import squad_texts, write_teacher_init

from distilbo.models.families import SUPPORTED


def family_study(model_type: str, tmp_path) -> dict:
    init = tmp_path / "init"
    write_teacher_init(model_type, squad_texts(SHARED_DATA / "labeled-v2.0.json"), init)
    return {
        "results": str(tmp_path / "results"),
        "data": {"labeled": str(SHARED_DATA / "labeled-v2.0.json"), "unlabeled": None, "eval_articles": ["Force"],
                 "max_questions": {"train": 60, "eval": 24}, "max_seq_length": 96, "doc_stride": 32,
                 "max_query_length": 24},
        "teacher": {"init": str(init), "random_init": {"num_hidden_layers": 3},
                    "train": {"max_steps": 6, "batch_size": 8, "learning_rate": 1.0e-3}},
        "student": {"train": {"max_steps": 3, "batch_size": 8, "learning_rate": 1.0e-3, "alpha_hidden": 0.5}},
        # one trial, the baseline: fewer layers (2 of 3) and pruned heads (3 of 4)
        "search": {"rounds": 1, "batch_size": 1, "initial_points": 1,
                   "fixed": {"head_choice": "importance", "precision": "int8", "alpha_ce": 0.5, "temperature": 2.0,
                             "learning_rate": 1.0e-3},
                   "baseline": {"n_layers": 2, "n_heads": 3},
                   "space": {"n_layers": {"type": "int", "low": 1, "high": 2},
                             "n_heads": {"type": "int", "low": 1, "high": 4}},
                   "objectives": {"span_f1": {"direction": "maximize"},
                                  "num_parameters": {"direction": "minimize", "source": "computed"}}},
        "frontier": {"quality": "span_f1", "size": "num_parameters"},
        "deploy": {"latency_questions": 3, "latency_repeats": 1},
    }


@pytest.fixture(scope="module")
def family_studies(tmp_path_factory) -> dict:
    """Every family's study run to the frontier and its exports (the report is the smoke study's to
    test), two at a time: a job here is mostly one process's imports, so two studies side by side
    keep both cores busy (CI's time). Each from its own working directory: a Snakemake run that
    ends deletes every lock of its directory's .snakemake/locks, another run's included."""
    studies = {}
    for model_type in SUPPORTED:
        tmp = tmp_path_factory.mktemp(f"family-{model_type}")
        (tmp / "study.yaml").write_text(yaml.safe_dump(family_study(model_type, tmp)))
        studies[model_type] = tmp

    def run(model_type):
        tmp = studies[model_type]
        return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--snakefile", str(ROOT / "Snakefile"),
                               str(tmp / "results" / "frontier" / "models"), "--configfile", str(tmp / "study.yaml")],
                              cwd=tmp, capture_output=True, text=True)

    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(SUPPORTED, pool.map(run, SUPPORTED)))
    return {m: (studies[m] / "results", done[m]) for m in SUPPORTED}


@pytest.mark.slow
@pytest.mark.parametrize("model_type", SUPPORTED)
def test_a_one_round_study_of_every_family(model_type, family_studies):
    results, res = family_studies[model_type]
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    history = pd.read_parquet(results / "search" / "round-0" / "observations.parquet")
    assert (history["status"] == "ok").all() and len(history) == 1
    assert json.loads((results / "teacher" / "model" / "config.json").read_text())["model_type"] == model_type
    student = json.loads((results / "search" / "round-0" / "trial-0" / "model" / "config.json").read_text())
    assert len(student["kept_heads"]) == 2 and all(len(k) == 3 for k in student["kept_heads"])
    assert student["model_type"] == model_type
    exported = list((results / "frontier" / "models").glob("*/onnx/model-int8.onnx"))
    assert exported
