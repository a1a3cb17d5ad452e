"""The workflow run by Snakemake itself, on the smoke config (a tiny random BERT, a few hundred questions)."""
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SNAKEMAKE, snakemake, tracked_runs, tracking_store

pytestmark = pytest.mark.slow



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


def test_each_trial_enters_the_history_as_both_variants_sized_and_timed(smoke):
    obs = pd.read_parquet(smoke / "search" / "round-1" / "observations.parquet")
    ok = obs[obs["status"].eq("ok")]
    assert len(ok)
    for (r, t), rows in ok.groupby(["round", "trial"]):
        assert sorted(rows["precision"]) == ["fp32", "int8"] and rows["origin"].eq("variant").sum() == 1
        variants = json.loads((smoke / "search" / f"round-{r}" / f"trial-{t}" / "deploy" / "variants.json").read_text())
        assert variants["int8"]["size_mb"] < 0.5 * variants["fp32"]["size_mb"]  # embeddings quantized too
        timed = pd.read_parquet(smoke / "search" / f"round-{r}" / "latency.parquet")
        mine = timed[timed["trial"].eq(t)].set_index("precision")
        assert set(mine.index) == {"fp32", "int8"} and (mine["latency_threads"] == 1).all()
        for _, row in rows.iterrows():
            shipped = variants[row["precision"]]
            assert row["size_mb"] == shipped["size_mb"] and row["span_f1"] == shipped["span_f1"]
            assert row["latency_ms"] == mine.loc[row["precision"], "latency_ms"] > 0


def test_the_teachers_variants_are_made_and_timed_for_reference(smoke):
    variants = json.loads((smoke / "teacher" / "deploy" / "variants.json").read_text())
    assert variants["status"] == "ok" and variants["int8"]["size_mb"] < variants["fp32"]["size_mb"]
    # both scored anew, the same way (the teacher's own scores had its verifier)
    assert "errors" in variants["fp32"] and "errors" in variants["int8"]
    timed = pd.read_parquet(smoke / "teacher" / "latency.parquet")
    assert timed["precision"].tolist() == ["fp32", "int8"] and timed["model"].eq("teacher").all()
    assert (timed["latency_ms"] > 0).all()
    assert "The teacher's variants" in (smoke / "report" / "index.html").read_text()


def test_search_rounds_and_frontier(smoke):
    from distilbo.study.history import trials

    obs = pd.read_parquet(smoke / "search" / "round-1" / "observations.parquet")
    assert trials(obs)[["round", "trial"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert obs.loc[0, "origin"] == "baseline" and obs.loc[0, "n_layers"] == 2 and obs.loc[0, "n_heads"] == 4
    assert {"status", "exact", "f1", "num_parameters", "latency_ms", "alpha_ce", "learning_rate"} <= set(obs)
    r0 = pd.read_parquet(smoke / "search" / "round-0" / "observations.parquet")
    pd.testing.assert_frame_equal(obs.iloc[:len(r0)], r0)
    curve = pd.read_parquet(smoke / "search" / "round-0" / "trial-0" / "curve.parquet")
    assert curve["step"].tolist() == [3, 6] and curve["eval_questions"].tolist() == [30, 60]
    front = pd.read_parquet(smoke / "frontier" / "frontier.parquet")
    assert 1 <= len(front) <= 4
    scenarios = pd.read_parquet(smoke / "frontier" / "scenarios.parquet")
    assert scenarios["scenario"].tolist()[0] == "baseline" and len(scenarios) == 4


LOAD_WITHOUT_DISTILBO = """
import sys
sys.modules["distilbo"] = None  # as if distilbo were not installed
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
path = sys.argv[1]
tokenizer = AutoTokenizer.from_pretrained(path)
model = AutoModelForQuestionAnswering.from_pretrained(path, trust_remote_code=True).eval()
inputs = tokenizer("Who?", "Someone did it.", return_tensors="pt")
print(model(**inputs).start_logits.shape[-1])
"""


def test_exported_models_load_without_distilbo(smoke):
    exported = sorted(d for d in (smoke / "frontier" / "models").iterdir() if d.is_dir())
    assert exported, "no model exported"
    for d in exported:
        card = (d / "README.md").read_text()
        assert "AutoModelForQuestionAnswering" in card and "| exact |" in card
        res = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_DISTILBO, str(d)], capture_output=True, text=True,
                             env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr[-2000:]


def test_exported_onnx_files_answer_with_the_cards_code_alone(smoke):
    import re

    for d in sorted(d for d in (smoke / "frontier" / "models").iterdir() if d.is_dir()):
        card = (d / "README.md").read_text()
        assert (d / "onnx" / "model.onnx").is_file() and (d / "onnx" / "model-int8.onnx").is_file()
        assert "| onnx/model-int8.onnx | int8 |" in card and "Latency measured by the study" in card
        assert "| the teacher, for reference | int8 |" in card
        code = re.search(r"## ONNX.*?```python\n(.*?)```", card, re.S).group(1).replace("path/to/this/directory", str(d))
        # no torch, no transformers, no distilbo: onnxruntime and tokenizers only
        guard = "import sys\nfor m in ('torch', 'transformers', 'distilbo'):\n    sys.modules[m] = None\n"
        res = subprocess.run([sys.executable, "-c", guard + code], capture_output=True, text=True,
                             env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)
        assert res.returncode == 0 and res.stdout.strip(), res.stderr[-2000:]


def test_distilbo_answer_runs_the_onnx_files_as_the_study_scored(smoke):
    from distilbo.deploy.answer import answer_many

    d = next(d for d in sorted((smoke / "frontier" / "models").iterdir()) if d.is_dir())
    ev = pd.read_parquet(smoke / "data" / "eval.parquet").head(8)
    torch_answers = answer_many(str(d), ev["question"].tolist(), ev["context"].tolist())
    onnx_answers = answer_many(str(d), ev["question"].tolist(), ev["context"].tolist(), onnx="fp32")
    assert onnx_answers["prediction"].tolist() == torch_answers["prediction"].tolist()
    assert len(answer_many(str(d), ev["question"].tolist(), ev["context"].tolist(), onnx="int8")) == 8
    res = subprocess.run([sys.executable, "-m", "distilbo.deploy.cli", str(d), "-q", "Who?", "-c", "Someone.",
                          "--onnx", "int4"], capture_output=True, text=True)
    assert res.returncode != 0 and "int4" in res.stderr


def test_raising_rounds_runs_exactly_one_more_round(smoke, tmp_path):
    (tmp_path / "more.yaml").write_text("search:\n  rounds: 3\n")
    res = snakemake("-n", results=smoke, extra_configfile=tmp_path / "more.yaml")
    counts = _job_counts(res.stdout + res.stderr)
    assert counts.get("suggest") == 1 and counts.get("distill") == 2 and counts.get("observe") == 1
    assert counts.get("retain") == 1  # the new round's: the weights earlier rounds removed are not needed
    assert counts.get("progress") == 3  # the new round's page, and the earlier ones: they count 3 rounds now
    assert "finetune_teacher" not in counts and "prepare_data" not in counts


def test_trimming_the_vocabulary_in_a_finished_study_reruns_the_students_not_the_teacher(smoke, tmp_path):
    (tmp_path / "trim.yaml").write_text("student:\n  vocabulary: trimmed\n")
    counts = _job_counts(snakemake("-n", results=smoke, extra_configfile=tmp_path / "trim.yaml").stdout)
    assert counts.get("vocabulary") == 1 and counts.get("distill") == 4 and counts.get("suggest") == 2
    assert not {"prepare_data", "finetune_teacher", "teacher_logits", "head_importance",
                "teacher_variants"} & set(counts)


@pytest.mark.parametrize("head_choice, runs_importance", [("importance", True), ("random", False)])
def test_the_head_importance_stage_runs_only_for_studies_that_read_it(tmp_path, head_choice, runs_importance):
    fixed = f"search={{'fixed': {{'pruning_seed': 1, 'head_choice': '{head_choice}'}}}}"
    counts = _job_counts(snakemake("-n", results=tmp_path, config=[fixed]).stdout)
    assert counts["distill"] > 0 and ("head_importance" in counts) == runs_importance


def _job_counts(text):
    counts, inside = {}, False
    for line in text.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            inside = True
        elif inside and parts and parts[0] == "total":
            break
        elif inside and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def _touch(path):
    """Make a file (or a directory output, through the timestamp Snakemake keeps in it) newer."""
    import os
    import time

    target = path / ".snakemake_timestamp" if path.is_dir() else path
    later = time.time() + 5
    os.utime(target, (later, later))


@pytest.mark.parametrize("changed, expected", [
    # an exported pick is copied from here; its ONNX variants are made from it, and round 1 builds on them
    # (the teacher is timed after the last round's observations, so that nothing trains meanwhile)
    ("search/round-0/trial-1/model", {"variants", "latency", "observe", "suggest", "distill", "frontier", "report",
                                      "teacher_latency", "retain", "progress"}),
    ("search/round-1/trial-1/metrics.json", {"variants", "latency", "observe", "frontier", "report", "teacher_latency",
                                             "retain", "progress"}),
    ("search/round-1/trial-0/deploy", {"latency", "observe", "frontier", "report", "teacher_latency", "retain",
                                       "progress"}),
    ("search/round-1/trial-0/curve.parquet", {"report"}),  # the training-curve figure
    ("search/round-1/trial-0/predictions.parquet", {"report"}),  # the error analysis
    # relative thresholds are resolved against the teacher's scores: the rounds are suggested anew
    ("teacher/metrics.json", {"suggest", "distill", "variants", "latency", "observe", "frontier", "report",
                              "teacher_variants", "teacher_latency", "retain", "progress"}),
])
def test_a_changed_input_reruns_what_reads_it(smoke, changed, expected):
    import shutil

    results = smoke.parent / f"{smoke.name}-inputs-{changed.replace('/', '-')}"
    shutil.copytree(smoke, results, symlinks=True)
    _touch(results / changed)
    counts = _job_counts(snakemake("-n", results=results).stdout)
    assert set(counts) - {"all"} == expected
    shutil.rmtree(results)


def test_keep_models_frontier_removes_the_weights_only_of_trials_no_pick_can_need(smoke):
    from distilbo.records.layout import WEIGHT_FILES
    from distilbo.search.objectives import Objective
    from distilbo.study.retention import kept_trials

    record = json.loads((smoke / "search" / "round-1" / "retained.json").read_text())
    history = pd.read_parquet(smoke / "search" / "round-1" / "observations.parquet")
    objectives = [Objective("exact", "maximize"), Objective("num_parameters", "minimize")]  # config/smoke.yaml's
    kept = {f"round-{r}/trial-{i}" for r, i in kept_trials(history, objectives, "exact", "num_parameters")}
    every = {f"round-{r}/trial-{i}" for r, i in history[["round", "trial"]].drop_duplicates().to_numpy()}
    assert record["keep_models"] == "frontier" and set(record["kept"]) == kept
    assert set(record["pruned"]) == every - kept and record["pruned"]
    ok = history[history["status"].eq("ok")]
    for key in {f"round-{r}/trial-{i}" for r, i in ok[["round", "trial"]].to_numpy()}:
        model, deploy = smoke / "search" / key / "model", smoke / "search" / key / "deploy"
        assert any((model / f).exists() for f in WEIGHT_FILES) == (key in kept)
        assert bool(list(deploy.glob("*.onnx"))) == (key in kept)
        # what a pruned trial keeps, Snakemake's dates of its outputs among them
        assert (model / "config.json").exists() and (model / ".snakemake_timestamp").exists()
    picks = pd.read_parquet(smoke / "frontier" / "scenarios.parquet").query("found")
    assert {f"round-{r}/trial-{i}" for r, i in picks[["round", "trial"]].to_numpy()} <= kept


def _declared_inputs(text, rule):
    """The input files of `rule`'s job in a dry run's listing."""
    block = re.search(rf"rule {rule}:\n(.*?)\n\n", text, re.S).group(1)
    line = next(ln for ln in block.splitlines() if ln.strip().startswith("input:"))
    return [p.strip() for p in line.split("input:", 1)[1].split(",")]


def test_the_report_reads_tables_only_and_no_model(smoke):
    res = snakemake("-n", "--forcerun", "report", results=smoke)
    assert set(_job_counts(res.stdout)) == {"report", "all"}
    inputs = _declared_inputs(res.stdout, "report")
    assert str(smoke / "teacher" / "metrics.json") in inputs and len(inputs) > 10
    models = [p for p in inputs if "/model" in p or p.endswith((".onnx", ".safetensors", ".bin"))]
    assert models == []  # no model directory: re-rendering the report takes seconds


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
    from distilbo.deploy.answer import answer, answer_many

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
    res = subprocess.run([sys.executable, "-m", "distilbo.deploy.cli", str(smoke / "teacher" / "model"), "--json",
                          "-q", "What is force?", "-c", "A force is any interaction that changes motion."],
                         capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    assert set(out) == {"answer", "best_span", "na_score"}
    assert out["best_span"] in "A force is any interaction that changes motion."


def _without_deployment(**search) -> str:
    """config/smoke.yaml as a whole study whose trials have no precision (so no deployment stage,
    which the smoke study itself tests), with `search` settings added."""
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    del cfg["search"]["space"]["precision"], cfg["search"]["baseline"]["precision"]
    for key, value in search.items():  # merged as Snakemake merges config files
        cfg["search"][key] = {**cfg["search"][key], **value} if isinstance(value, dict) and key in cfg["search"] else value
    return yaml.safe_dump(cfg)


FAILING = {"baseline": {"learning_rate": 1.0e+6},
           "space": {"learning_rate": {"type": "real", "low": 1.0e-4, "high": 1.0e+6, "log": True}}}


def test_killed_run_resumes_and_failed_trials_are_recorded(smoke, tmp_path):
    """SIGKILL mid-trial, then a plain re-run finishes the study and recomputes only what was
    unfinished; a diverging trial (learning rate 1e6: NaN loss) is recorded as failed. (The smoke
    study's data and teacher are copied in, and its trials have no deployment variants.)"""
    import os
    import shutil
    import signal
    import time

    (tmp_path / "failing.yaml").write_text(_without_deployment(**FAILING))
    # tracked to a server nobody runs: every job warns once, and the study goes on
    cmd = SNAKEMAKE[:-1] + [str(tmp_path / "failing.yaml"), "--config", f"results={tmp_path}/study",
                            "tracking={'uri': 'http://127.0.0.1:9'}"]
    tmp_path = tmp_path / "study"
    for part in ("data", "teacher"):
        shutil.copytree(smoke / part, tmp_path / part)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not list((tmp_path / "logs" / "distill").glob("*.log")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    assert proc.poll() is None, "the study ended before a trial started"
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # The killed run left its lock: Snakemake refuses a second run until it is lifted.
    locked = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    subprocess.run(cmd + ["--unlock"], cwd=ROOT, capture_output=True, check=True)
    done_before = {p: p.stat().st_mtime_ns for p in tmp_path.glob("data/*.parquet")}
    for done in ("teacher/metrics.json", "search/round-0/suggestions.parquet"):  # the latter made by the killed run
        done_before[tmp_path / done] = (tmp_path / done).stat().st_mtime_ns
    assert not (tmp_path / "frontier" / "frontier.parquet").exists()

    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in done_before} == done_before
    assert "prepare_data" not in _job_counts(res.stdout + res.stderr)
    obs = pd.read_parquet(tmp_path / "search" / "round-1" / "observations.parquet")
    baseline = obs[obs["origin"] == "baseline"].iloc[0]
    assert baseline["status"] == "failed" and "nan" in baseline["reason"]
    assert (tmp_path / "frontier" / "scenarios.parquet").exists()
    for log in (tmp_path / "logs" / "distill").glob("*.log"):
        assert log.read_text().count("tracking to http://127.0.0.1:9 failed") == 1, log


FIDELITY = {"fidelity": {"steps": [6, 12, 18], "promotions": [2, 1]}}


@pytest.fixture(scope="module")
def fidelity(smoke, tmp_path_factory):
    """The smoke study with rungs (its data and teacher copied in): killed while the first
    promotion trains, then run again to the end. Returns (results, jobs of the dry-run, config)."""
    import os
    import shutil
    import signal
    import time

    root = tmp_path_factory.mktemp("fidelity")
    (root / "fidelity.yaml").write_text(_without_deployment(**FIDELITY))
    study = root / "study"
    for part in ("data", "teacher"):
        shutil.copytree(smoke / part, study / part)
    planned = _job_counts(snakemake("-n", results=study, base=root / "fidelity.yaml").stdout)
    cmd = SNAKEMAKE[:-1] + [str(root / "fidelity.yaml"), "--config", f"results={study}",
                            f"tracking={{'uri': '{tracking_store(study)}'}}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    slot_log = study / "logs" / "distill" / "round-0-trial-2.log"
    deadline = time.time() + 600
    while not slot_log.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (study / "search" / "round-0" / "trial-2" / "metrics.json").exists(), "killed too late"
    parent = pd.read_parquet(study / "search" / "round-0" / "promotions-rung-1.parquet").iloc[0]
    assert os.path.exists(parent["resume"])  # a killed promotion leaves its parent's state
    subprocess.run(cmd + ["--unlock"], cwd=ROOT, capture_output=True, check=True)
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    assert not os.path.exists(parent["resume"])  # continued, then removed
    return study, planned, root / "fidelity.yaml"


def test_a_rung_study_plans_every_slot_and_records_each_measurement(fidelity):
    study, planned, _ = fidelity
    assert planned["distill"] == 2 * (2 + 3) and planned["promote"] == 2 * 2  # 2 rounds: q=2, slots [2, 1]
    obs = pd.read_parquet(study / "search" / "round-1" / "observations.parquet")
    trained = obs[obs["origin"].ne("variant")]
    # round 0's baseline trains straight to the top rung, so its first rung-1 slot finds one candidate
    assert trained.groupby("round")["rung"].apply(list).tolist() == [[2, 0, 1, 2], [0, 0, 1, 1, 2]]
    assert set(trained["steps"]) == {6, 12, 18}
    # below the top rung a trial scores the fixed sample (student.train.eval_subsample), the top all
    assert (trained["eval_questions"] == trained["rung"].map({0: 30, 1: 30, 2: 60})).all()
    # ... the same 30 questions for every trial, so that two cheap looks compare paired
    looks = trained[trained["rung"].lt(2)]
    scored = {frozenset(pd.read_parquet(study / "search" / f"round-{r}" / f"trial-{i}" / "predictions.parquet")["id"])
              for r, i in zip(looks["round"], looks["trial"])}
    assert len(looks) >= 4 and len(scored) == 1 and len(next(iter(scored))) == 30
    front = pd.read_parquet(study / "frontier" / "frontier.parquet")
    assert len(front) and front["eval_questions"].eq(60).all() and front["rung"].eq(2).all()
    promoted = trained[trained["parent_trial"] >= 0]  # the baseline is at the top rung, with no parent
    for _, row in promoted.iterrows():  # a promotion has its parent's parameters and one rung more
        parent = trained[trained["round"].eq(row["parent_round"]) & trained["trial"].eq(row["parent_trial"])].iloc[0]
        assert parent["rung"] == row["rung"] - 1 and parent["n_layers"] == row["n_layers"]
        assert parent["learning_rate"] == row["learning_rate"]
    curve = pd.read_parquet(study / "search" / "round-0" / "trial-4" / "curve.parquet")
    assert curve["step"].tolist() == [12, 15, 18]  # continued from step 10, where rung 1's decay started
    # states are kept only for measurements a later promotion may still continue
    states = {p.parent.name for p in (study / "search" / "round-0").glob("trial-*/state.pt")}
    kept = trained[trained["round"].eq(0) & trained["rung"].lt(2)]
    continued = set(zip(promoted["parent_round"], promoted["parent_trial"]))
    assert states == {f"trial-{i}" for r, i in zip(kept["round"], kept["trial"]) if (r, i) not in continued}


def test_a_killed_and_resumed_study_has_one_run_per_trial_at_its_rung(fidelity):
    study, _, _ = fidelity
    _, runs = tracked_runs(study)  # fails on a key logged twice
    obs = pd.read_parquet(study / "search" / "round-1" / "observations.parquet")
    trained = obs[obs["origin"].ne("variant")]
    # every trial that trained (slots that promoted nothing have no row and no run); the teacher was copied in
    assert set(runs) == {f"round-{r}/trial-{i}" for r, i in trained[["round", "trial"]].to_numpy()}
    for _, row in trained.iterrows():
        tags = runs[f"round-{row['round']}/trial-{row['trial']}"].data.tags
        assert (tags["rung"], tags["steps"], tags["origin"]) == (str(row["rung"]), str(row["steps"]), row["origin"])
        if row["parent_trial"] >= 0:  # a promotion (the baseline starts at the top rung)
            assert (tags["parent_round"], tags["parent_trial"]) == (str(row["parent_round"]), str(row["parent_trial"]))


def test_the_report_shows_each_trials_path_and_the_steps_it_saved(fidelity):
    study, _, _ = fidelity
    page = (study / "report" / "index.html").read_text()
    assert "<h2>Rungs</h2>" in page and (study / "report" / "figures" / "rungs.png").stat().st_size > 10_000
    paths = pd.read_csv(study / "report" / "tables" / "rungs.csv")
    # a promotion trains from where its parent's decay started: 12 - (6 - 1) and 18 - (12 - 2) steps
    assert paths[paths["round"].eq(1)].groupby("rung")["trained_steps"].first().tolist() == [6, 7, 8]
    assert paths[paths["round"].eq(0) & paths["trial"].eq(0)]["trained_steps"].tolist() == [18]  # the baseline
    assert paths.groupby("path")["rung"].max().max() == 2 and paths["promoted"].any()
    saved = 1 - paths["trained_steps"].sum() / (paths["path"].nunique() * 18)
    assert f"({saved:.0%} saved)" in page


def test_extending_a_rung_study_runs_exactly_one_more_round(fidelity, tmp_path):
    study, _, base = fidelity
    (tmp_path / "more.yaml").write_text("search: {rounds: 3}\n")
    counts = _job_counts(snakemake("-n", results=study, base=base, extra_configfile=tmp_path / "more.yaml").stdout)
    assert counts["suggest"] == 1 and counts["distill"] == 5 and counts["promote"] == 2 and counts["observe"] == 1
    assert "finetune_teacher" not in counts


@pytest.mark.parametrize("name, profile", [("config/paper.yaml", []), ("config/paper-roberta.yaml", []),
                                           ("config/paper.yaml", ["--profile", "profiles/workstation", "--cores", "8",
                                                                  "--resources", "gpu=2"])])
def test_paper_config_validates_and_builds_the_whole_dag(name, profile):
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", *profile, "--configfile", name], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    counts = _job_counts(res.stdout + res.stderr)
    assert counts["distill"] == 480 and counts["suggest"] == 24 and counts["observe"] == 24
    assert counts["finetune_teacher"] == 1 and counts["frontier"] == 1


def test_snakemake_report_registers_the_figures(smoke, tmp_path):
    snakemake("--report", str(tmp_path / "report.html"), results=smoke)
    page = (tmp_path / "report.html").read_text(errors="ignore")
    assert "frontier.png" in page and "parallel.png" in page and "importance.csv" in page


def test_forcerun_report_retrains_nothing(smoke):
    res = snakemake("--forcerun", "report", results=smoke)
    counts = _job_counts(res.stdout + res.stderr)
    assert counts.get("report") == 1 and not {"distill", "finetune_teacher", "teacher_logits"} & set(counts)


def test_a_progress_page_follows_each_round(smoke):
    pages = [smoke / "progress" / f"round-{r}" / "index.html" for r in (0, 1)]
    assert "1 of 2 rounds observed" in pages[0].read_text() and "2 of 2 rounds observed" in pages[1].read_text()
    # the page kept open is the last round's, reloading itself
    latest = (smoke / "progress" / "index.html").read_text()
    assert latest.replace("<meta http-equiv='refresh' content='60'>", "") == pages[1].read_text()
    # each page is made as soon as its round is observed, before the next round trains
    assert pages[0].stat().st_mtime < (smoke / "search" / "round-1" / "suggestions.parquet").stat().st_mtime
    history = pd.read_parquet(smoke / "search" / "round-0" / "observations.parquet")
    assert len(re.findall(r"<tr>\s*<td>0</td>", pages[0].read_text().split("Every trial")[1])) == len(history)


def test_mlflow_runs_equal_the_history_and_the_curves(smoke):
    """The smoke study, tracked to a file store: the teacher and each trial one run, whose
    params, scores (each variant's, from the deployment jobs) and curves are the study's."""
    client, runs = tracked_runs(smoke)
    history = pd.read_parquet(smoke / "search" / "round-1" / "observations.parquet")
    keys = {f"round-{r}/trial-{i}" for r, i in history[["round", "trial"]].to_numpy()}
    assert set(runs) == keys | {"teacher"}
    teacher = json.loads((smoke / "teacher" / "metrics.json").read_text())
    assert runs["teacher"].data.metrics["exact"] == pytest.approx(teacher["exact"])
    params = ["n_layers", "n_heads", "alpha_ce", "temperature", "learning_rate"]  # config/smoke.yaml's space
    for _, row in history.iterrows():
        run = runs[f"round-{row['round']}/trial-{row['trial']}"]
        p = row["precision"]
        for name in ("exact", "f1", "span_f1", "size_mb", "latency_ms"):
            assert run.data.metrics[f"{p}/{name}"] == pytest.approx(row[name]), (row["round"], row["trial"], p, name)
        assert run.data.metrics["num_parameters"] == row["num_parameters"]
        assert {n: float(run.data.params[n]) for n in params} == pytest.approx({n: row[n] for n in params})
        if row["origin"] != "variant":
            assert run.data.tags["origin"] == row["origin"] and run.data.tags["status"] == row["status"]
            assert run.data.tags["round"] == str(row["round"]) and run.info.status == "FINISHED"
    for key, run in runs.items():
        curve = pd.read_parquet(smoke / ("teacher" if key == "teacher" else f"search/{key}") / "curve.parquet")
        logged = client.get_metric_history(run.info.run_id, "curve/exact")
        assert [(m.step, m.value) for m in logged] == list(zip(curve["step"], curve["exact"]))


# search.overlap: three rounds, so that round 2 stands on round 0's observations with round 1 pending
OVERLAP = {"overlap": 1, "rounds": 3}
# one timing column of a trial is measured, not computed: it differs from run to run
TIMING = ["train_seconds", "latency_ms", "latency_iqr_ms"]


@pytest.fixture(scope="module")
def overlapped(smoke, tmp_path_factory):
    """The smoke study overlapped (its data and teacher copied in), twice: run to the end through
    profiles/workstation with 4 device slots, and killed while round 1 trains, then resumed.
    Returns ({"straight", "killed"}: results, the command of each)."""
    import os
    import shutil
    import signal
    import time

    root = tmp_path_factory.mktemp("overlap")
    (root / "overlap.yaml").write_text(_without_deployment(**OVERLAP))
    env = {**os.environ, "DISTILBO_GPUS": "0,1,2,3", "DISTILBO_GPU_LOCKS": str(root / "locks")}
    env.pop("SLURM_JOB_ID", None)
    studies, cmds = {}, {}
    for name in ("straight", "killed"):
        studies[name] = root / name
        for part in ("data", "teacher"):
            shutil.copytree(smoke / part, studies[name] / part)
        cmds[name] = [sys.executable, "-m", "snakemake", "--profile", "profiles/workstation", "--cores", "16",
                      "--resources", "gpu=4", "--configfile", str(root / "overlap.yaml"),
                      "--config", f"results={studies[name]}"]
    res = subprocess.run(cmds["straight"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    study = studies["killed"]
    proc = subprocess.Popen(cmds["killed"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=env)
    started = study / "logs" / "distill" / "round-1-trial-0.log"
    deadline = time.time() + 300
    while not started.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (study / "search" / "round-1" / "observations.parquet").exists(), "killed too late"
    subprocess.run(cmds["killed"] + ["--unlock"], cwd=ROOT, capture_output=True, check=True, env=env)
    res = subprocess.run(cmds["killed"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    return studies, cmds


def _trial_times(study):
    """(round, trial) -> (start, end) of every trial's job, from its Snakemake benchmark record
    (written as the job ends: its mtime is the end, its seconds the duration)."""
    times = {}
    for record in (study / "benchmarks" / "distill").glob("round-*-trial-*.tsv"):
        r, i = map(int, re.findall(r"\d+", record.stem))
        end = record.stat().st_mtime
        times[r, i] = (end - float(pd.read_csv(record, sep="\t")["s"].iloc[0]), end)
    return times


def test_an_overlapped_round_trains_before_the_round_before_ends(overlapped):
    studies, _ = overlapped
    times = _trial_times(studies["straight"])
    assert len(times) == 6
    first_of_1 = min(start for (r, _), (start, _) in times.items() if r == 1)
    last_of_0 = max(end for (r, _), (_, end) in times.items() if r == 0)
    assert first_of_1 < last_of_0, times
    suggested = [pd.read_parquet(studies["straight"] / "search" / f"round-{r}" / "suggestions.parquet") for r in range(3)]
    # round 1 saw no observation: a design again, none of round 0's students; round 2 the model's
    assert set(suggested[1]["origin"]) == {"initial"} and set(suggested[2]["origin"]) == {"model"}
    keys = [set(map(tuple, s[["n_layers", "n_heads", "learning_rate"]].round(12).to_numpy())) for s in suggested]
    assert not keys[0] & keys[1] and not keys[1] & keys[2]
    log = (studies["straight"] / "logs" / "suggest" / "round-2.log").read_text()
    assert "round 2: 2 suggestions" in log


def test_a_killed_overlapped_study_resumes_to_the_history_of_one_never_killed(overlapped):
    studies, _ = overlapped
    histories = [pd.read_parquet(s / "search" / "round-2" / "observations.parquet").drop(columns=TIMING, errors="ignore")
                 for s in (studies["straight"], studies["killed"])]
    pd.testing.assert_frame_equal(*histories)
    assert len(histories[0]) == 6


def test_a_finished_overlapped_study_has_nothing_to_do(overlapped):
    studies, cmds = overlapped
    res = subprocess.run(cmds["straight"] + ["-n"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr, res.stdout[-2000:]
    # the progress page follows the rounds as they are observed, and settles on the last
    page = (studies["straight"] / "progress" / "index.html").read_text()
    assert "3 of 3 rounds" in page and (studies["straight"] / "report" / "index.html").exists()


def test_the_slurm_profile_plans_an_overlapped_study_as_the_workstation_runs_it(overlapped, tmp_path):
    """profiles/slurm takes the overlapped DAG unchanged (a dry run: tests/workflow/test_slurm.py runs a cluster)."""
    studies, cmds = overlapped
    config = cmds["straight"][cmds["straight"].index("--configfile") + 1]
    res = subprocess.run([sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "-n", "--configfile", config,
                          "--config", f"results={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    counts = _job_counts(res.stdout + res.stderr)
    assert counts["suggest"] == 3 and counts["distill"] == 6 and counts["observe"] == 3


def test_an_overlapped_rounds_suggest_job_reads_the_rounds_it_stands_on(tmp_path):
    """search.overlap 2: round 3 learns from round 0's observations, rounds 1 and 2 pending."""
    (tmp_path / "overlap.yaml").write_text("search:\n  overlap: 2\n  rounds: 4\n")
    out = snakemake("-n", results=tmp_path / "study", extra_configfile=tmp_path / "overlap.yaml").stdout
    inputs = {}
    for block in out.split("rule suggest:")[1:]:
        r = int(re.search(r"wildcards: r=(\d+)", block).group(1))
        inputs[r] = {re.sub(r".*/search/", "", p) for p in re.search(r"input: (.*)", block).group(1).split(", ")
                     if "/search/" in p}
    assert inputs == {0: set(), 1: {"round-0/suggestions.parquet"},
                      2: {"round-0/suggestions.parquet", "round-1/suggestions.parquet"},
                      3: {"round-0/observations.parquet", "round-1/suggestions.parquet", "round-2/suggestions.parquet"}}
