"""Faults are not model failures: a full disk, a missing or broken input and a killed writer fail
the job (nothing recorded, the study resumable); bad model directories and config typos stop with
the file or key named."""

import errno
import json

import pandas as pd
import pytest
from conftest import load, trial_metrics
from tiny_models import tiny_model

from distilbo.atomic import InputError, atomic_path, read_json
from distilbo.study.config import ConfigError, check_config


def test_a_full_disk_during_export_fails_the_job_and_records_no_variant(tmp_path, monkeypatch):
    from distilbo.deploy import onnx as deploy
    from distilbo.deploy import variants as deploy_stage

    model = tiny_model("bert")
    (tmp_path / "m.json").write_text(trial_metrics(span_f1=1.0))
    model.save_pretrained(tmp_path / "model")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(deploy.torch.onnx, "export", no_space)
    with pytest.raises(OSError, match="No space left"):
        deploy_stage.write_variants(str(tmp_path / "model"), str(tmp_path / "m.json"), evalset=None,
                                    out_dir=str(tmp_path / "deploy"))
    assert not (tmp_path / "deploy").exists()  # nothing that looks finished, so a re-run makes it
    assert not list(tmp_path.glob(".deploy.tmp-*"))

    def cannot_trace(*args, **kwargs):
        raise RuntimeError("unsupported operator")  # what the model itself cannot do is a variant's failure

    monkeypatch.setattr(deploy.torch.onnx, "export", cannot_trace)
    record = deploy_stage.write_variants(str(tmp_path / "model"), str(tmp_path / "m.json"), evalset=None,
                                         out_dir=str(tmp_path / "deploy"))
    assert record["status"] == "failed" and "unsupported operator" in record["reason"]


@pytest.mark.parametrize("metrics, missing", [
    ({"span_f1": 50.0}, r"\['status'\]"),
    ({"status": "ok", "span_f1": 50.0, "exact": 1.0}, r"status 'ok'\): missing required key\(s\) \['f1', 'best_exact'"),
    ({"status": "failed"}, r"status 'failed'\): missing required key\(s\) \['reason'\]"),
])
def test_a_metrics_file_without_its_required_keys_names_the_file(tmp_path, metrics, missing):
    from distilbo.study.history import observe_round

    pd.DataFrame({"round": [0], "trial": [0], "origin": ["baseline"], "n_layers": [2]}).to_parquet(tmp_path / "s.parquet")
    (tmp_path / "m.json").write_text(json.dumps(metrics))
    with pytest.raises(InputError, match=r"m\.json \(a trial's metrics.*" + missing):
        observe_round(str(tmp_path / "s.parquet"), [str(tmp_path / "m.json")], None, str(tmp_path / "o.parquet"),
                      ["n_layers"])
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.parametrize("text, fault", [("", "not valid JSON"), ("[1, 2]", "expected a JSON object"),
                                         ('{"status": "ok"', "not valid JSON")])
def test_json_read_errors_name_the_file(tmp_path, text, fault):
    (tmp_path / "x.json").write_text(text)
    with pytest.raises(InputError, match=f"x.json.*{fault}"):
        read_json(tmp_path / "x.json")
    with pytest.raises(InputError, match="gone.json: file not found"):
        read_json(tmp_path / "gone.json")


def test_the_frontier_never_exports_a_pick_without_its_weights_or_tokenizer(tmp_path, tokenizer):
    from distilbo.models.loading import ModelSourceError
    from distilbo.study.card import CardSettings
    from distilbo.study.export import export_model

    model = tiny_model("bert", vocab_size=tokenizer.vocab_size)
    model.save_pretrained(tmp_path / "model")
    (tmp_path / "metrics.json").write_text(json.dumps({"status": "ok"}))
    run = {"model": str(tmp_path / "model"), "metrics": str(tmp_path / "metrics.json")}
    row = pd.Series({"scenario": "baseline", "definition": "", "round": 0, "trial": 0})
    with pytest.raises(ModelSourceError, match="model has no tokenizer"):
        export_model(row, run, tmp_path / "out", None, [], "exact", CardSettings())
    tokenizer.save_pretrained(tmp_path / "model")
    (tmp_path / "model" / "model.safetensors").unlink()
    with pytest.raises(ModelSourceError, match="model: no weights"):
        export_model(row, run, tmp_path / "out", None, [], "exact", CardSettings())
    assert not (tmp_path / "out").exists()


def test_a_teacher_without_its_tokenizer_files_is_refused_not_trained_on_unknowns(tmp_path, tokenizer):
    from distilbo.models.loading import ModelSourceError, load_initial, load_tokenizer

    tiny_model("bert", vocab_size=tokenizer.vocab_size).save_pretrained(tmp_path)
    with pytest.raises(ModelSourceError, match="has no tokenizer"):
        load_initial(str(tmp_path))
    tiny_model("bert", vocab_size=4 * tokenizer.vocab_size).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(ModelSourceError, match=r"tokenizer has \d+ tokens for a vocab_size of"):
        load_tokenizer(str(tmp_path))


@pytest.mark.parametrize("changes, named", [
    ({"search__space__learning_rate": {"type": "real", "low": 1e-4, "high": 1e-2, "lg": True}}, "lg"),
    ({"search__fixed": {"pruning_sed": 1}}, r"search\.fixed: \['pruning_sed'\] are not trial parameters"),
    ({"search__space__learning_rate": {"type": "real", "low": -1e-3, "high": 1e-2}},
     r"search\.space\.learning_rate\.low is -0\.001: learning_rate must lie in \(0, inf\)"),
    # the range is the schema's $defs/train, the one table of training settings
    ({"search__fixed__adam_epsilon": 0}, r"search\.fixed\.adam_epsilon is 0: adam_epsilon must lie in \(0, inf\)"),
    ({"search__fixed": {"dropout": 1.0, "pruning_seed": 1}}, r"search\.fixed\.dropout is 1\.0: dropout must lie in \[0, 1\)"),
])
def test_config_typos_and_impossible_ranges_stop_at_start_up(changes, named):
    from snakemake.exceptions import WorkflowError  # the schema's refusal, as the Snakefile validates

    with pytest.raises((ConfigError, WorkflowError), match=named):
        check_config(load(**changes))


def test_a_killed_writers_temporary_is_swept_by_the_next_write(tmp_path):
    stale_dir = tmp_path / ".model.tmp-abc123"
    stale_dir.mkdir()
    (stale_dir / "weights").write_text("half")
    (tmp_path / ".metrics.json.tmp-xyz").write_text("{")
    (tmp_path / ".other.tmp-1").write_text("not mine")
    with atomic_path(tmp_path / "model", is_dir=True) as tmp:
        (tmp / "config.json").write_text("{}")
    with atomic_path(tmp_path / "metrics.json") as tmp:
        tmp.write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-1", "metrics.json", "model"]



# Loaded by every Python process of a run whose PYTHONPATH names its folder: the deploy stage's
# ONNX export then meets a full disk, as a real one would (nothing in distilbo knows of it).
FULL_DISK = """
import errno, os
if os.environ.get("DISTILBO_TEST_FULL_DISK"):
    import torch.onnx

    def export(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    torch.onnx.export = export
"""


@pytest.mark.slow
def test_after_a_full_disk_in_the_deploy_stage_a_rerun_gives_the_uninterrupted_results(smoke, tmp_path):
    import os
    import shutil

    from conftest import snakemake

    results = tmp_path / "study"
    shutil.copytree(smoke, results, symlinks=True)
    # the study as it stood before round 1 trained: its suggestions only, and nothing made from it
    # (Snakemake does not re-make missing files that finished outputs were made from). Its trials
    # then train as they did, and their weights are all there: retention has not run for them yet.
    for path in [*(results / "search" / "round-1").iterdir(), results / "frontier", results / "report",
                 results / "teacher" / "latency.parquet"]:
        if path.name != "suggestions.parquet":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    deploy = results / "search" / "round-1" / "trial-1" / "deploy"
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(FULL_DISK)
    env = {"PYTHONPATH": str(tmp_path / "inject"), "DISTILBO_TEST_FULL_DISK": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        res = snakemake(results=results, check=False)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    logs = "".join(p.read_text() for p in (results / "logs").rglob("*") if p.is_file() and "variants" in str(p))
    assert res.returncode != 0 and "No space left on device" in logs + res.stdout + res.stderr
    assert not deploy.exists()  # no variant recorded as failed
    assert not list(deploy.parent.glob(".deploy.tmp-*"))
    snakemake(results=results)  # the space is back
    timing = ["latency_ms", "latency_iqr_ms", "train_seconds"]  # round 1 trained again: times differ
    for name in ("search/round-1/observations.parquet", "frontier/frontier.parquet", "frontier/scenarios.parquet"):
        got, expected = (pd.read_parquet(d / name) for d in (results, smoke))
        pd.testing.assert_frame_equal(got.drop(columns=timing, errors="ignore"),
                                      expected.drop(columns=timing, errors="ignore"))


def _break_metrics(study):
    path = study / "search" / "round-1" / "trial-1" / "metrics.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])  # a partial write, as from a disk that filled
    return "search/round-1/observations.parquet", r"trial-1/metrics\.json \(a trial's metrics\): not valid JSON"


def _break_table(study):
    path = study / "search" / "round-1" / "observations.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    import os
    os.utime(path, (path.stat().st_mtime + 5,) * 2)  # newer than the frontier: it is read again
    return "frontier/frontier.parquet", r"observations\.parquet"


def _break_pick(study):
    picks = pd.read_parquet(study / "frontier" / "scenarios.parquet").query("found")
    r, t = int(picks["round"].iat[0]), int(picks["trial"].iat[0])
    (study / "search" / f"round-{r}" / f"trial-{t}" / "model" / "model.safetensors").unlink()
    return "frontier/frontier.parquet", rf"trial-{t}/model: no weights"


@pytest.mark.slow
@pytest.mark.parametrize("fault", [_break_metrics, _break_table, _break_pick])
def test_a_damaged_file_mid_study_stops_naming_it_and_changes_no_result(smoke, tmp_path, fault):
    """A partial metrics file, a truncated table and a pick without its weights: each stops the
    study with the file named, and what was already recorded stays as it was."""
    import shutil

    from conftest import snakemake

    study = tmp_path / "study"
    shutil.copytree(smoke, study, symlinks=True)
    kept, named = fault(study)
    res = snakemake("--forcerun", "frontier", results=study, check=False)
    logs = "".join(p.read_text() for p in (study / "logs").rglob("*") if p.is_file())
    assert res.returncode != 0
    assert __import__("re").search(named, logs + res.stdout + res.stderr), res.stderr[-2000:]
    # Snakemake removes a failed job's outputs: a result is gone until the file is mended, never wrong
    assert not (study / kept).exists() or (study / kept).read_bytes() == (smoke / kept).read_bytes()
    models = study / "frontier" / "models"
    assert not models.exists() or sorted(models.iterdir()) == sorted(study / p.relative_to(smoke)
                                                                     for p in (smoke / "frontier" / "models").iterdir())
    assert not list((study / "frontier").glob(".models.tmp-*"))


def test_an_empty_context_or_question_is_refused_before_any_model_loads(tmp_path):
    import distilbo
    from distilbo.deploy.answer import answer_many

    missing = str(tmp_path / "no-model-here")  # refused before the directory is read
    with pytest.raises(ValueError, match="question 0: empty context"):
        distilbo.answer(missing, "Who fought?", "  ")
    with pytest.raises(ValueError, match="question 1: empty question"):
        answer_many(missing, ["Who?", ""], ["The Normans.", "They fought."])
    with pytest.raises(ValueError, match="2 questions for 1 contexts"):
        answer_many(missing, ["Who?", "When?"], ["The Normans."])
