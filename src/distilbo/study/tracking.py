"""MLflow tracking (the `tracking:` config section; `pip install -e .[tracking]`): the study is an
experiment, the teacher and every trial a run, logged by the job that produced the numbers.

One run per run key ("teacher", "round-R/trial-I"): a job that runs again (a resumed or forced
study) replaces its key's run, so a trial is never logged twice. Tracking never fails a job: the
first failure warns once, and the job goes on without it.

Light on purpose (mlflow is imported only when a study tracks)."""

from __future__ import annotations

import json
import logging
import math
import os
from typing import Mapping

import pandas as pd

from distilbo.atomic import read_json
from distilbo.records import metrics

log = logging.getLogger(__name__)

# The workflow hands its jobs the resolved settings through the environment (distilbo.study.tracking.
# settings): tracking is not a job's input, so turning it on re-runs nothing.
ENV = "DISTILBO_TRACKING"
# The tag that names a run's key in its experiment.
KEY_TAG = "distilbo.key"
# A trial's curve points are metric histories of these names (the final scores keep theirs).
CURVE_PREFIX = "curve/"
# MLflow's UI then opens the experiment on its training runs (not its GenAI traces).
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}
# An unreachable server should cost a job seconds, not MLflow's default minutes of retries.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def settings(tracking_cfg: Mapping, results: str) -> dict | None:
    """The tracking a study's jobs use (None when tracking.uri is unset): a bare path becomes an
    absolute file store, and the experiment is named for the results directory unless named."""
    uri = tracking_cfg.get("uri")
    if not uri:
        return None
    if "://" not in uri and not uri.startswith(("sqlite:", "file:")):
        uri = "file://" + os.path.abspath(uri)
    name = tracking_cfg.get("experiment") or f"distilbo {os.path.abspath(results)}"
    return {"uri": uri, "experiment": name}


def from_env() -> Tracker | None:
    """The job's tracker, from the settings the workflow put in the environment (None: off)."""
    raw = os.environ.get(ENV)
    return Tracker(**json.loads(raw)) if raw else None


class Tracker:
    """Runs of one experiment, keyed: `log_run` (re)places a key's run, `add_metrics` adds to it."""

    def __init__(self, uri: str, experiment: str):
        self.uri, self.experiment = uri, experiment
        self._client, self._experiment_id, self.failed = None, None, False

    def log_run(self, key: str, params: Mapping, scores: Mapping, curve: pd.DataFrame | None, tags: Mapping,
                step: int = 0, failed: bool = False) -> str | None:
        """Replace `key`'s run by one with these params, final scores (at `step`), curve (a metric
        history per column, at each point's step) and tags; returns its id (None: not tracked)."""
        def log():
            from mlflow.entities import Param

            client, experiment = self._connect()
            for old in self._runs(key):
                client.delete_run(old.info.run_id)
            run = client.create_run(experiment, run_name=key.replace("/", "-"),
                                    tags={KEY_TAG: key, **{k: _tag(v) for k, v in tags.items()}})
            client.log_batch(run.info.run_id, metrics=_metrics(scores, curve, step),
                             params=[Param(k, _tag(v)) for k, v in sorted(params.items())])
            client.set_terminated(run.info.run_id, status="FAILED" if failed else "FINISHED")
            return run.info.run_id

        return self._guard(log)

    def add_metrics(self, key: str, scores: Mapping, step: int = 0) -> None:
        """Add final scores to `key`'s run (a later job's numbers: a deployment variant's)."""
        def add():
            runs = self._runs(key)
            if runs:
                self._client.log_batch(runs[0].info.run_id, metrics=_metrics(scores, None, step))
            else:
                log.warning("tracking: no run of %s to add %s to", key, sorted(scores))

        self._guard(add)

    def _runs(self, key: str) -> list:
        client, experiment = self._connect()
        return client.search_runs([experiment], filter_string=f"tags.`{KEY_TAG}` = '{key}'")

    def _connect(self):
        if self._client is None:
            if self.uri.startswith("file:"):  # MLflow 3 refuses its file store unless asked
                os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            for k, v in HTTP_DEFAULTS.items():
                os.environ.setdefault(k, v)
            from mlflow.tracking import MlflowClient

            client = MlflowClient(tracking_uri=self.uri)
            found = client.get_experiment_by_name(self.experiment)
            if found is None:
                try:
                    self._experiment_id = client.create_experiment(self.experiment, tags=EXPERIMENT_TAGS)
                except Exception:  # another job created it meanwhile
                    self._experiment_id = client.get_experiment_by_name(self.experiment).experiment_id
            else:
                self._experiment_id = found.experiment_id
            self._client = client
        return self._client, self._experiment_id

    def _guard(self, fn):
        if self.failed:
            return None
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 (tracking must never fail the job)
            self.failed = True
            log.warning("tracking to %s failed, so this job logs nothing more to it (the study goes on): %s: %s",
                        self.uri, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            return None


def _metrics(scores: Mapping, curve: pd.DataFrame | None, step: int) -> list:
    from mlflow.entities import Metric

    now = _now_ms()
    out = [Metric(k, float(v), now, step) for k, v in scores.items() if _number(v)]
    if curve is not None and len(curve):
        for col in curve.columns.drop("step", errors="ignore"):
            out += [Metric(CURVE_PREFIX + col, float(v), now, int(s)) for s, v in zip(curve["step"], curve[col])
                    if _number(v)]
    return out


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _tag(v) -> str:
    return str(v)[:5000]  # MLflow's limit on a tag's or param's value


def trial_scores(m: Mapping) -> dict:
    """The final scores of a run's metrics.json that MLflow records (metrics.TRIAL's numbers)."""
    return {k: m[k] for k in metrics.TRIAL if k in m and _number(m[k])}


def log_training_run(tracker: Tracker | None, key: str, out: Mapping[str, str], params: Mapping,
                     tags: Mapping) -> str | None:
    """Log a finished training job (the teacher's or a trial's: `out` holds its metrics, curve and
    model paths) as `key`'s run: its params, final scores, curve per step, status and reason."""
    if tracker is None:
        return None
    m = read_json(out["metrics"], what="a run's metrics")
    curve = pd.read_parquet(out["curve"]) if os.path.exists(out.get("curve", "")) else None
    steps = int(curve["step"].max()) if curve is not None and len(curve) else int(m.get("steps", 0) or 0)
    status = m.get("status", "")
    tags = {**tags, "status": status, "reason": m.get("reason", ""), "steps": steps,
            "model": os.path.abspath(out["model"]) if status == metrics.STATUS_OK else ""}
    return tracker.log_run(key, params, trial_scores(m), curve, tags, step=steps,
                           failed=status == metrics.STATUS_FAILED)


def log_trial(tracker: Tracker | None, out: Mapping[str, str], params: Mapping | None, suggestions: str,
              where: Mapping) -> str | None:
    """A distill job's trial as its run: tagged with its round, trial and origin (a promotion slot's:
    "promotion"), and in a multi-fidelity study its rung and parent (`where`). A slot that promoted
    nothing (`params` None) trained no trial: no run, as it has no history row."""
    if tracker is None or params is None:
        return None
    from distilbo.records.labels import ORIGIN_PROMOTION
    from distilbo.records.layout import trial_key

    r, i = int(where["round"]), int(where["trial"])
    table = pd.read_parquet(suggestions, columns=["origin"])
    origin = str(table["origin"].iat[i]) if i < len(table) else ORIGIN_PROMOTION
    tags = {"role": "student", "round": r, "trial": i, "origin": origin,
            **{k: v for k, v in where.items() if k not in ("round", "trial", "steps")}}
    return log_training_run(tracker, trial_key(r, i), out, params, tags)


def log_variants(tracker: Tracker | None, key: str, record: Mapping) -> None:
    """A variants job's scores and sizes, as "<precision>/<metric>" of `key`'s run."""
    if tracker is None or record.get("status") != metrics.STATUS_OK:
        return
    tracker.add_metrics(key, {f"{p}/{k}": v for p in metrics.PRECISIONS for k, v in record[p].items()
                              if k != "errors"})


def log_latency(tracker: Tracker | None, table: pd.DataFrame) -> None:
    """A latency job's timings (one row per model and precision), to each model's run."""
    if tracker is None:
        return
    from distilbo.records.layout import trial_key

    by_key: dict[str, dict] = {}  # one call per model: each looks its run up
    for _, row in table[table["reason"].eq("")].iterrows():
        key = trial_key(int(row["round"]), int(row["trial"])) if "round" in row else str(row["model"])
        p = row[metrics.PRECISION]
        by_key.setdefault(key, {}).update({f"{p}/latency_ms": row["latency_ms"], f"{p}/latency_iqr_ms": row["latency_iqr_ms"]})
    for key, scores in by_key.items():
        tracker.add_metrics(key, scores)


def teacher_params(teacher_cfg: Mapping) -> dict:
    """The teacher section as flat MLflow params ("train.learning_rate")."""
    out = {}
    for k, v in teacher_cfg.items():
        if isinstance(v, Mapping):
            out.update({f"{k}.{kk}": vv for kk, vv in teacher_params(v).items()})
        else:
            out[k] = v
    return out
