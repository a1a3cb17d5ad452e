"""envs/*.yaml: one conda environment per rule group, each pin as pyproject.toml / requirements/
state it (conda channels are not reachable here, so the files are checked, not solved)."""
import re

import pytest
import tomllib
import yaml
from conftest import ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge package name -> PyPI name


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower(), version.replace(" ", "")


def _pypi_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # the tracking extra too: the jobs that log (training, deployment) carry it in their envs
    pins = dict(_split(d) for d in project["dependencies"] + project["optional-dependencies"]["tracking"])
    pins["python"] = project["requires-python"]
    for line in (ROOT / "requirements" / "cpu.txt").read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            name, version = _split(line)
            pins[name] = version  # the CPU install's exact pin wins over pyproject's range
    return pins


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_pins_agree_with_the_python_package(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"][0] == "conda-forge" and all(isinstance(d, str) for d in env["dependencies"])
    pins = _pypi_pins()
    for dep in env["dependencies"]:
        name, version = _split(dep)
        name = CONDA_NAMES.get(name, name)
        assert name in pins, f"{path.name}: {name} is not a dependency of pyproject.toml"
        assert version == pins[name], f"{path.name}: {name}{version} but the package says {name}{pins[name]}"


def test_every_rule_names_an_env_that_exists():
    rules = set()
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = smk.read_text()
        for block in re.split(r"^rule ", text, flags=re.M)[1:]:
            rules.add(block.split(":")[0])
            env = re.search(r'conda:\n\s+"([^"]+)"', block)
            assert env, f"{smk.name}: rule {block.split(':')[0]} has no conda: directive"
            assert (smk.parent / env.group(1)).resolve() in [p.resolve() for p in ENVS]
    assert rules == {"prepare_data", "vocabulary", "finetune_teacher", "teacher_logits", "head_importance", "suggest",
                     "distill", "promote",
                     "variants", "latency", "observe", "retain", "progress", "frontier", "computed_importance", "report"}
