"""A job's settings are resolved once (distilbo.stages.settings): its rule's params carry the
sections as the study states them, JobSettings completes each one, and nothing below fills in a
default again."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import load

from distilbo.records.schema import SEARCH_LEFT_OUT, WINDOW_SETTINGS, search_parts, stated
from distilbo.stages.settings import SECTIONS, JobSettings

STAGES = Path(__file__).resolve().parents[2] / "src" / "distilbo" / "stages"


def stated_params(cfg, names):
    """A job's params as workflow/rules/common.smk builds them (stated_config, stated_search,
    stated_windows), for the params `names`."""
    search = cfg["search"]
    out = {}
    for name in names:
        keys = SECTIONS[name]
        if name in ("search", "rungs"):
            out[name] = stated({k: v for k, v in search.items() if k in search_parts(name)}, "search")
        elif name == "windows":
            out[name] = {k: v for k, v in stated(cfg["data"], "data").items() if k in WINDOW_SETTINGS}
        else:
            value = cfg
            for key in keys:
                value = value[key]
            out[name] = stated(value, *keys)
    return SimpleNamespace(**out)


def test_every_section_comes_back_as_the_config_holds_it():
    """Stated by the rule, completed by the job: each section equals the validated config's."""
    cfg = load("config.yaml")
    names = [n for n in SECTIONS if n not in ("search", "rungs", "windows")]
    s = JobSettings.of(stated_params(cfg, names))
    for name in names:
        value = cfg
        for key in SECTIONS[name]:
            value = value[key]
        assert getattr(s, name) == value, name
    # the default study states only some of student.train: the rest arrives filled in, once
    assert s.student["train"]["weight_decay"] == cfg["student"]["train"]["weight_decay"]


def test_windows_and_search_hold_only_what_their_params_carry():
    cfg = load("config.yaml")
    s = JobSettings.of(stated_params(cfg, ["windows", "search", "rungs", "fixed"]))
    assert s.windows == {k: cfg["data"][k] for k in WINDOW_SETTINGS}
    # a suggestion never reads rounds or keep_models: filled in here, they would read as defaults
    assert not set(SEARCH_LEFT_OUT) & set(s.search)
    assert s.search["acquisition"] == cfg["search"]["acquisition"] and s.search["seed"] == cfg["search"]["seed"]
    assert set(s.rungs.search) == {"batch_size", "fidelity", "fixed"}
    assert s.rungs.search["fixed"] == cfg["search"]["fixed"]  # from the one param that carries it
    assert [s.rungs.steps(k) for k in range(2)] == cfg["search"]["fidelity"]["steps"]


def test_the_kind_of_study_is_a_field():
    one_budget = load("config.yaml", search__fidelity=None)
    assert JobSettings.of(stated_params(one_budget, ["fixed"])).rungs is None
    rungs = load("config.yaml")
    assert JobSettings.of(stated_params(rungs, ["rungs"])).rungs.steps(1) == 160


def test_no_stage_fills_in_a_default():
    """The stages take their settings from JobSettings: none completes a section or reads a default
    itself (the regression: each stage refilling its own, as ten did)."""
    refills = {"completed", "defaults", "window_defaults", "stated"}
    found = []
    for path in sorted(STAGES.glob("*.py")):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in refills:
                    found.append(f"{path.name}:{node.lineno} {name}")
    assert not found


def test_the_library_takes_complete_settings_only():
    """Below the stages, a section that lacks a setting is refused by name, not filled in."""
    from distilbo.data.squad import WindowConfig
    from distilbo.training.loop import TrainConfig

    complete = load("config.yaml")["student"]["train"]
    assert TrainConfig.from_dict(complete).batch_size == complete["batch_size"]
    with pytest.raises(ValueError, match=r"lack \['weight_decay'\]"):
        TrainConfig.from_dict({k: v for k, v in complete.items() if k != "weight_decay"})
    assert TrainConfig.with_defaults({"max_steps": 3}).max_steps == 3
    with pytest.raises(ValueError, match="doc_stride"):
        WindowConfig.from_dict({"max_seq_length": 256, "max_query_length": 64})
