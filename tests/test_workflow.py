"""The workflow run by Snakemake itself, on the smoke config (a tiny random BERT, a few hundred questions)."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/smoke.yaml"]


def snakemake(*args, results, config=(), check=True):
    cmd = SNAKEMAKE + list(args) + ["--config", f"results={results}", *config]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(res.stdout[-3000:] + res.stderr[-3000:])
    return res


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    results = tmp_path_factory.mktemp("smoke")
    snakemake(results=results)
    return results


def test_smoke_study_writes_every_stage(smoke):
    ev = pd.read_parquet(smoke / "data" / "eval.parquet")
    assert set(ev["title"]) == {"Force"} and len(ev) == 60
    train = pd.read_parquet(smoke / "data" / "train.parquet")
    assert not set(train["title"]) & set(ev["title"])
    feats = pd.read_parquet(smoke / "data" / "features-train.parquet")
    logits = pd.read_parquet(smoke / "teacher" / "logits-train.parquet")
    assert (logits["feature_id"] == feats["feature_id"]).all()
    assert [len(x) for x in logits["start_logits"]] == [len(x) for x in feats["input_ids"]]
    assert len(pd.read_parquet(smoke / "teacher" / "logits-transfer.parquet")) > 0
    metrics = json.loads((smoke / "teacher" / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["total"] == 60
    curve = pd.read_parquet(smoke / "teacher" / "curve.parquet")
    assert curve["step"].tolist() == [10, 20]
    preds = pd.read_parquet(smoke / "teacher" / "predictions.parquet")
    assert len(preds) == 60 and preds["category"].notna().all()
    log = (smoke / "logs" / "prepare_data.log").read_text()
    assert "lost their answer to truncation" in log


def test_second_call_does_nothing(smoke):
    res = snakemake(results=smoke)
    assert "Nothing to be done" in res.stdout + res.stderr


@pytest.mark.parametrize("override, key", [
    ("data={'max_seq_length': 8}", "max_seq_length"),
    ("data={'doc_stride': 300}", "doc_stride"),
    ("teacher={'train': {'learning_rate': -1}}", "learning_rate"),
    ("data={'eval_fraction': 1.5}", "eval_fraction"),
    ("data={'no_such_key': 1}", "no_such_key"),
])
def test_bad_config_stops_naming_the_key(tmp_path, override, key):
    res = snakemake("-n", results=tmp_path, config=[override], check=False)
    assert res.returncode != 0 and key in res.stdout + res.stderr
    assert not any(tmp_path.iterdir())


def test_unknown_eval_article_stops_and_writes_nothing(tmp_path):
    res = snakemake(results=tmp_path, config=["data={'eval_articles': ['Atlantis']}"], check=False)
    assert res.returncode != 0 and "Atlantis" in res.stdout + res.stderr
    assert not list((tmp_path).glob("data/*.parquet"))


def test_answer_reproduces_the_scored_predictions(smoke):
    from distilbo.answer import answer, answer_many

    model_dir = smoke / "teacher" / "model"
    questions = pd.read_parquet(smoke / "data" / "eval.parquet")
    scored = pd.read_parquet(smoke / "teacher" / "predictions.parquet").set_index("id").loc[questions["id"]]
    got = answer_many(str(model_dir), questions["question"].tolist(), questions["context"].tolist())
    assert got["prediction"].tolist() == scored["prediction"].tolist()
    assert got["na_score"].to_numpy() == pytest.approx(scored["na_score"].to_numpy(), abs=1e-3)
    forced = answer(str(model_dir), questions["question"].iat[0], questions["context"].iat[0],
                    null_score_diff_threshold=1e9)
    assert forced and forced in questions["context"].iat[0]


def test_answer_command_line(smoke):
    res = subprocess.run([sys.executable, "-m", "distilbo.answer", str(smoke / "teacher" / "model"), "--json",
                          "-q", "What is force?", "-c", "A force is any interaction that changes motion."],
                         capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    assert set(out) == {"answer", "best_span", "na_score"} and out["best_span"] in "A force is any interaction that changes motion."
