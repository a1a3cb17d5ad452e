"""The package's version and its changelog agree."""
import re

import tomllib
from conftest import ROOT

import distilbo


def test_the_version_is_the_changelogs_latest():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    headings = re.findall(r"^## (\d+\.\d+\.\d+) ", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert version == distilbo.__version__ == headings[0]
    assert headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_upgrading_names_versions_that_the_changelog_has():
    named = set(re.findall(r"\b(\d+\.\d+\.\d+)\b", (ROOT / "docs" / "upgrading.md").read_text()))
    changelog = set(re.findall(r"^## (\d+\.\d+\.\d+) ", (ROOT / "CHANGELOG.md").read_text(), re.M))
    assert named and named <= changelog


def test_the_readmes_module_map_names_every_module():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| layer | modules |"):]
    table = table[:table.index("\n\n")]
    rows = {}
    for line in table.splitlines()[2:]:
        layer, modules = [c.strip() for c in line.strip("|").split("|")]
        rows[layer.strip("`").rstrip("/")] = set(re.findall(r"(?:^|, )`(\w+)`", modules))
    src = ROOT / "src" / "distilbo"
    actual = {p.parent.name if p.parent != src else "top level": set() for p in src.rglob("*.py")}
    for p in src.rglob("[a-z]*.py"):
        actual[p.parent.name if p.parent != src else "top level"].add(p.stem)
    assert rows == actual
