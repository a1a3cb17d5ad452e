"""The config contract: the schema's defaults are the library's, and what a schema cannot express
is refused at start-up with the key at fault."""
import copy
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, load
from snakemake.utils import validate

from distilbo.records import metrics, schema
from distilbo.study import plan
from distilbo.study.config import ConfigError, check_config

SHIPPED = ["config.yaml", "config/smoke.yaml", "config/paper.yaml", "config/paper-roberta.yaml", "config/deploy.yaml"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_pass_the_checks(name):
    check_config(load(name))


def test_an_objective_no_trial_records_is_refused_naming_it():
    cfg = load()
    cfg["search"]["objectives"]["NoAns_f1"] = {"direction": "maximize"}
    with pytest.raises(ConfigError, match=r"search\.objectives\.NoAns_f1.*NoAns_exact.*span_f1"):
        check_config(cfg)


def test_only_registered_metrics_may_be_computed():
    cfg = load()
    cfg["search"]["objectives"]["latency_ms"] = {"direction": "minimize", "source": "computed"}
    with pytest.raises(ConfigError, match=r"search\.objectives\.latency_ms: source computed.*num_parameters"):
        check_config(cfg)


@pytest.mark.parametrize("key,value", [("quality", "f1"), ("size", "latency_ms")])
def test_frontier_metrics_must_be_objectives(key, value):
    cfg = load(**{f"frontier__{key}": value})
    with pytest.raises(ConfigError, match=rf"frontier\.{key}: '{value}' is not an objective.*exact, num_parameters"):
        check_config(cfg)


def test_a_constraint_only_metric_cannot_be_the_frontier_quality():
    cfg = load()
    cfg["search"]["objectives"]["exact"]["role"] = "constraint"
    cfg["search"]["objectives"]["exact"]["threshold"] = 10
    cfg["search"]["objectives"]["f1"] = {"direction": "maximize"}
    with pytest.raises(ConfigError, match=r"frontier\.quality: 'exact' is not an objective"):
        check_config(cfg)


def test_windows_without_room_for_context_are_refused():
    with pytest.raises(ConfigError, match=r"data\.max_query_length \(120\)"):
        check_config(load(data__max_seq_length=120, data__max_query_length=120))
    with pytest.raises(ConfigError, match=r"data\.doc_stride \(100\).*= 93"):
        check_config(load(data__max_seq_length=128, data__max_query_length=32, data__doc_stride=100))


def test_bad_space_baseline_and_fixed_overlap_are_refused():
    cfg = load()
    cfg["search"]["space"]["n_layers"] = {"type": "int", "low": 1}
    with pytest.raises(ConfigError, match=r"search\.space\.n_layers: missing key 'high'"):
        check_config(cfg)
    cfg = load()
    cfg["search"]["baseline"]["n_layers"] = 9
    with pytest.raises(ConfigError, match=r"search\.baseline: n_layers=9 is outside"):
        check_config(cfg)
    cfg = load()
    cfg["search"]["fixed"]["n_heads"] = 2
    with pytest.raises(ConfigError, match=r"search\.fixed and search\.space both set \['n_heads'\]"):
        check_config(cfg)


def test_replicates_need_a_baseline_and_room_in_round_0():
    cfg = load()
    cfg["search"]["replicates"] = cfg["search"]["batch_size"]
    with pytest.raises(ConfigError, match=r"search\.replicates \(\d+\) takes trials of round 0"):
        check_config(cfg)
    cfg = load()
    cfg["search"]["replicates"], cfg["search"]["baseline"] = 1, None
    with pytest.raises(ConfigError, match=r"search\.replicates repeats the baseline; set search\.baseline"):
        check_config(cfg)


@pytest.mark.parametrize("param, needle", [("layer_choice", "is categorical, which has no order"),
                                           ("dropout", "is not searched")])
def test_a_monotone_structure_names_ordered_searched_parameters(param, needle):
    cfg = load("config.yaml")
    cfg["search"]["space"]["layer_choice"] = {"type": "categorical", "choices": ["bottom", "even"]}
    cfg["search"]["baseline"]["layer_choice"] = "bottom"
    del cfg["search"]["fixed"]["layer_choice"]
    cfg["search"]["objectives"]["span_f1"]["monotone"] = {param: "increasing"}
    with pytest.raises(ConfigError, match=rf"search\.objectives\.span_f1\.monotone\.{param}: '{param}' {needle}"):
        check_config(cfg)


def test_a_study_without_a_search_space_is_refused_by_the_schema():
    cfg = yaml.safe_load((ROOT / "config/smoke.yaml").read_text())
    del cfg["search"]["space"]
    with pytest.raises(Exception, match="'space' is a required property"):
        validate(copy.deepcopy(cfg), str(schema.SCHEMA))


def test_library_defaults_are_the_schemas():
    from distilbo.data.squad import WindowConfig
    from distilbo.deploy.answer import default_settings
    from distilbo.training.loop import TrainConfig

    train = schema.defaults("$defs", "train")
    assert TrainConfig.with_defaults({}).__dict__ == train and train["alpha_ce"] == 0.5
    assert WindowConfig.defaults().__dict__ == schema.window_defaults() == {
        k: schema.defaults("data")[k] for k in ("max_seq_length", "doc_stride", "max_query_length")}
    assert default_settings() == {**schema.window_defaults(), **schema.defaults("scoring")}
    assert TrainConfig.with_defaults({"alpha_ce": 0.1}).alpha_ce == 0.1


def test_the_objective_default_is_a_recorded_metric():
    objectives = schema.schema()["properties"]["search"]["properties"]["objectives"]["default"]
    assert set(objectives) <= set(metrics.TRIAL)


def test_the_workflow_refuses_a_bad_objective_at_start_up(tmp_path):
    (tmp_path / "bad.yaml").write_text("search:\n  objectives:\n    NoAns_f1: {direction: maximize}\n"
                                       "    num_parameters: {direction: minimize, source: computed}\n")
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", "config/smoke.yaml",
                          str(tmp_path / "bad.yaml"), "--config", f"results={tmp_path}/r"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "search.objectives.NoAns_f1" in res.stdout + res.stderr
    assert not (tmp_path / "r").exists()


def _loaded(modules, heavy):
    code = (f"import sys, importlib; [importlib.import_module(m) for m in {list(modules)}]; "
            f"print(sorted(m for m in {list(heavy)} if m in sys.modules))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_study_layer_imports_neither_torch_nor_transformers():
    """The bookkeeping jobs (observe, retain, frontier, report, progress) run on the study layer; all
    of it but `suggest`, which sizes students with transformers, and `export`, which checks the
    frontier's picks load before it ships them."""
    study = sorted(f"distilbo.study.{p.stem}" for p in (ROOT / "src" / "distilbo" / "study").glob("[a-z]*.py")
                   if p.stem not in ("suggest", "export"))
    assert len(study) >= 8 and _loaded(study, ("torch", "transformers")) == "[]"


HEAVY = ("torch", "transformers", "skopt", "pymoo", "sklearn")


def test_parsing_the_workflow_loads_no_model_or_optimizer_code(tmp_path):
    """The Snakefile is parsed at every call and again by every job a cluster runs: the parse itself
    (a dry run, run here) imports none of the heavy packages."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "snakemake", "-n", "--configfile",
                          "config/smoke.yaml", "--config", f"results={tmp_path}/r"], cwd=ROOT, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")}
    assert "distilbo.study.config" in imported and "snakemake.workflow" in imported  # the parse ran
    assert sorted(set(HEAVY) & imported) == []


def test_a_jobs_parse_leaves_the_models_to_the_studys_start(tmp_path):
    """A model's files are read once, where the study starts: a job's parse (subprocess mode) does
    not read them again."""
    (tmp_path / "gpt").mkdir()
    (tmp_path / "gpt" / "config.json").write_text('{"model_type": "gpt2"}')
    args = ["-n", "--configfile", "config/smoke.yaml", "--config", f"results={tmp_path}/r",
            f"teacher={{'init': '{tmp_path / 'gpt'}'}}"]
    start = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=ROOT, capture_output=True, text=True)
    assert start.returncode != 0 and "model_type 'gpt2'" in start.stdout + start.stderr
    job = subprocess.run([sys.executable, "-m", "snakemake", "--mode", "subprocess", *args], cwd=ROOT,
                         capture_output=True, text=True)
    assert job.returncode == 0, job.stderr[-2000:]


def test_make_clean_removes_nothing_git_tracks():
    import re

    rule = re.search(r"^clean:\n\trm -rf (.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert rule, "Makefile has no `clean: rm -rf ...` rule"
    tracked = subprocess.run(["git", "ls-files", "--", *rule.group(1).split()], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert tracked == ""


def test_the_configuration_reference_is_current():
    assert (ROOT / "config" / "README.md").read_text() == schema.reference_markdown()


@pytest.mark.parametrize("name", SHIPPED)
def test_stated_sections_leave_out_defaults_and_complete_back(name):
    cfg = yaml.safe_load((ROOT / name).read_text())
    validate(cfg, str(schema.SCHEMA))
    for section in ("data", "teacher", "student", "search", "scoring", "frontier"):
        assert schema.completed(schema.stated(cfg[section], section), section) == cfg[section]
    teacher = schema.stated(cfg["teacher"], "teacher")
    assert "finetune" not in teacher or teacher["finetune"] is False  # true is the default
    assert "hidden_layers" not in teacher["train"] and "alpha_hidden" not in teacher["train"]


def test_a_default_added_by_an_upgrade_leaves_rule_params_unchanged():
    """A study configured before the schema had `hidden_layers` (a default added later) states the
    same sections, so Snakemake's params trigger does not re-run its finished teacher or trials."""
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    validate(cfg, str(schema.SCHEMA))
    older = copy.deepcopy(cfg)
    for section in ("teacher", "student"):
        del older[section]["train"]["hidden_layers"]
        assert schema.stated(older[section], section) == schema.stated(cfg[section], section)
    changed = copy.deepcopy(cfg)
    changed["student"]["train"]["hidden_layers"] = "last"  # a setting the study states does count
    assert schema.stated(changed["student"], "student") != schema.stated(cfg["student"], "student")


def test_head_importance_is_used_when_searched_or_fixed_to_it():
    from distilbo.study.plan import uses_head_importance

    space = {"n_layers": {"type": "int", "low": 1, "high": 6}}
    assert not uses_head_importance({"space": space, "fixed": {}})
    assert not uses_head_importance({"space": space, "fixed": {"head_choice": "random"}})
    assert uses_head_importance({"space": space, "fixed": {"head_choice": "importance"}})
    assert uses_head_importance({"space": {**space, "head_choice": {"type": "categorical",
                                                                      "choices": ["random", "importance"]}}})


@pytest.mark.parametrize("changes, measured", [
    ({}, False),
    ({"frontier__size": "size_mb"}, True),
    ({"deploy__measure": True}, True),
])
def test_deployment_variants_are_measured_when_a_setting_reads_them(changes, measured):
    cfg = load("config.yaml", **changes)
    if changes.get("frontier__size") == "size_mb":
        cfg["search"]["objectives"]["size_mb"] = {"direction": "minimize"}
        del cfg["search"]["objectives"]["num_parameters"]
    check_config(cfg)
    assert plan.measures_variants(cfg) == measured


def test_a_deployment_metric_the_study_does_not_measure_is_refused():
    cfg = load("config.yaml", deploy__measure=False)
    del cfg["search"]["objectives"]["num_parameters"]
    cfg["search"]["objectives"]["latency_ms"] = {"direction": "minimize"}
    cfg["frontier"]["size"] = "latency_ms"
    with pytest.raises(ConfigError, match="search.objectives.latency_ms.*deploy.measure"):
        check_config(cfg)
    cfg = load("config.yaml", search__fixed__precision="int4")
    with pytest.raises(ConfigError, match="int4"):
        check_config(cfg)
