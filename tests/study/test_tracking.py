"""MLflow tracking (distilbo.study.tracking), on a local file store."""
import json
import logging

import pandas as pd
import pytest

from distilbo.study.config import ConfigError, check_tracking
from distilbo.study.tracking import (
    CURVE_PREFIX,
    KEY_TAG,
    Tracker,
    log_latency,
    log_training_run,
    log_trial,
    log_variants,
    settings,
)


def _client(tracker):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracker.uri)
    return client, client.get_experiment_by_name(tracker.experiment).experiment_id


def _runs(tracker):
    client, experiment = _client(tracker)
    return client, client.search_runs([experiment])


def _trial_files(tmp_path, status="ok", exact=51.5):
    (tmp_path / "model").mkdir(exist_ok=True)
    m = {"status": status, "exact": exact, "f1": exact + 2, "num_parameters": 1_000_000, "train_seconds": 3.5,
         "role": "student", "n_layers": 2} if status == "ok" else {"status": status, "reason": "loss became nan"}
    (tmp_path / "metrics.json").write_text(json.dumps(m))
    pd.DataFrame({"step": [3, 6], "loss": [2.0, 1.5], "exact": [40.0, 50.0]}).to_parquet(tmp_path / "curve.parquet")
    suggestions = tmp_path / "suggestions.parquet"
    pd.DataFrame({"round": [1, 1], "trial": [0, 1], "origin": ["model", "initial"]}).to_parquet(suggestions)
    out = {k: str(tmp_path / f) for k, f in (("metrics", "metrics.json"), ("curve", "curve.parquet"), ("model", "model"))}
    return out, str(suggestions)


def test_a_trial_is_one_run_with_its_params_scores_curve_and_tags(tmp_path):
    tracker = Tracker("file://" + str(tmp_path / "store"), "study")
    out, suggestions = _trial_files(tmp_path)
    log_trial(tracker, out, {"n_layers": 2, "learning_rate": 1e-3}, suggestions, {"round": 1, "trial": 1})
    client, runs = _runs(tracker)
    assert len(runs) == 1
    run = runs[0]
    assert run.data.params == {"n_layers": "2", "learning_rate": "0.001"}
    assert run.data.metrics["exact"] == 51.5 and run.data.metrics["num_parameters"] == 1_000_000
    assert run.data.tags[KEY_TAG] == "round-1/trial-1" and run.data.tags["origin"] == "initial"
    assert run.data.tags["status"] == "ok" and run.data.tags["steps"] == "6" and run.data.tags["round"] == "1"
    assert run.data.tags["model"] == out["model"] and run.info.status == "FINISHED"
    history = client.get_metric_history(run.info.run_id, CURVE_PREFIX + "exact")
    assert [(h.step, h.value) for h in history] == [(3, 40.0), (6, 50.0)]


def test_a_run_again_replaces_the_trials_run(tmp_path):
    """A re-run job (a resumed or forced study) never logs its trial twice."""
    tracker = Tracker("file://" + str(tmp_path / "store"), "study")
    out, suggestions = _trial_files(tmp_path)
    first = log_trial(tracker, out, {}, suggestions, {"round": 1, "trial": 0})
    out, _ = _trial_files(tmp_path, status="failed")
    second = log_trial(Tracker(tracker.uri, tracker.experiment), out, {}, suggestions, {"round": 1, "trial": 0})
    _, runs = _runs(tracker)
    assert [r.info.run_id for r in runs] == [second] != [first]
    assert runs[0].info.status == "FAILED" and runs[0].data.tags["reason"] == "loss became nan"
    assert runs[0].data.tags["model"] == ""  # a failed trial ships no model


def test_deployment_jobs_add_their_numbers_to_the_trials_run(tmp_path):
    tracker = Tracker("file://" + str(tmp_path / "store"), "study")
    out, suggestions = _trial_files(tmp_path)
    log_trial(tracker, out, {}, suggestions, {"round": 1, "trial": 0})
    log_variants(tracker, "round-1/trial-0", {"status": "ok", "fp32": {"size_mb": 4.0, "exact": 51.5},
                                              "int8": {"size_mb": 1.1, "exact": 50.0, "errors": {"correct": 3}}})
    log_latency(tracker, pd.DataFrame([{"round": 1, "trial": 0, "precision": "int8", "latency_ms": 2.5,
                                        "latency_iqr_ms": 0.1, "reason": ""}]))
    _, runs = _runs(tracker)
    assert {k: v for k, v in runs[0].data.metrics.items() if "/" in k and not k.startswith(CURVE_PREFIX)} == {
        "fp32/size_mb": 4.0, "fp32/exact": 51.5, "int8/size_mb": 1.1, "int8/exact": 50.0,
        "int8/latency_ms": 2.5, "int8/latency_iqr_ms": 0.1}


def test_an_unreachable_server_warns_once_and_fails_nothing(tmp_path, caplog):
    tracker = Tracker("http://127.0.0.1:9", "study")  # nothing listens on the discard port
    out, suggestions = _trial_files(tmp_path)
    with caplog.at_level(logging.WARNING, logger="distilbo.study.tracking"):
        assert log_trial(tracker, out, {}, suggestions, {"round": 1, "trial": 0}) is None
        log_variants(tracker, "round-1/trial-0", {"status": "ok", "fp32": {"exact": 1.0}, "int8": {"exact": 1.0}})
    warnings = [r for r in caplog.records if "tracking to http://127.0.0.1:9 failed" in r.getMessage()]
    assert len(warnings) == 1 and tracker.failed


def test_no_tracker_logs_nothing(tmp_path, monkeypatch):
    """Without a tracker nothing is read or written: the run's files may be missing altogether."""
    monkeypatch.chdir(tmp_path)
    missing = {k: str(tmp_path / "gone" / k) for k in ("metrics", "curve", "model")}
    assert log_training_run(None, "teacher", missing, {}, {}) is None
    assert log_trial(None, missing, {}, str(tmp_path / "gone.parquet"), {"round": 1, "trial": 0}) is None
    log_variants(None, "round-1/trial-0", {"status": "ok"})
    assert list(tmp_path.iterdir()) == []


def test_settings_resolve_a_directory_and_name_the_experiment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert settings({"uri": None}, "results") is None
    s = settings({"uri": "mlruns", "experiment": None}, "results")
    assert s == {"uri": f"file://{tmp_path}/mlruns", "experiment": f"distilbo {tmp_path}/results"}
    assert settings({"uri": "http://host:5000", "experiment": "mine"}, "r") == {"uri": "http://host:5000",
                                                                              "experiment": "mine"}


def test_a_tracked_study_needs_mlflow_where_it_starts(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("mlflow", "alembic")
                        else real(name, *a))
    check_tracking({"uri": None})
    with pytest.raises(ConfigError, match=r"tracking.uri is 'mlruns', but MLflow is not installed: pip install"):
        check_tracking({"uri": "mlruns"})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "alembic" else real(name, *a))
    with pytest.raises(ConfigError, match="SQLite store, which needs the full MLflow package"):
        check_tracking({"uri": "sqlite:///m.db"})
