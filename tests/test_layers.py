"""The package's layers stand on each other one way (README, "The code by layer"): a module imports
only its own layer and those below it, and no import circle joins two modules. Every import
counts, the ones inside functions and under TYPE_CHECKING too: a circle that only runs late is
still a circle to a reader."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "distilbo"
# Lowest first. Layers on one line may use each other, but never in a circle.
LAYERS = (("atomic", "logs"), ("records",), ("data",), ("models",), ("qa",), ("training", "deploy"),
          ("search",), ("study",), ("report",), ("stages",), ("__init__",))
RANK = {layer: rank for rank, names in enumerate(LAYERS) for layer in names}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The package's modules that a file imports (a name imported from a package counts as its
    module when it is one, else as the package)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    return {m for m in found if m in modules and m != name}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    files = sorted(root.rglob("*.py"))
    modules = {module_name(f, root) for f in files}
    return {module_name(f, root): imported(f, root, modules) for f in files}


def climbs(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets if RANK[layer(b)] > RANK[layer(a)])


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def layer_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, targets in edges.items():
        out.setdefault(layer(a), set()).update(layer(b) for b in targets if layer(b) != layer(a))
    return out


def test_every_layer_is_placed():
    assert {layer(m) for m in graph()} == set(RANK)


def test_no_module_imports_a_layer_above_its_own():
    assert climbs(graph()) == []


def test_no_import_circle_between_modules_or_layers():
    edges = graph()
    assert circles(edges) == []
    assert circles(layer_edges(edges)) == []


@pytest.fixture
def bad_package(tmp_path):
    """A package with a climb (data -> study) and a circle (search.a <-> search.b, one import late)."""
    root = tmp_path / "distilbo"
    files = {"__init__.py": "", "data/__init__.py": "", "data/squad.py": "from distilbo.study.config import x\n",
             "study/__init__.py": "", "study/config.py": "x = 1\n", "search/__init__.py": "",
             "search/a.py": "from distilbo.search import b\n",
             "search/b.py": "def f():\n    from .a import g\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_find_a_climb_and_a_circle(bad_package):
    edges = graph(bad_package)
    assert climbs(edges) == ["distilbo.data.squad -> distilbo.study.config"]
    assert circles(edges) == [["distilbo.search.a", "distilbo.search.b"]]


def test_the_supported_model_types_are_the_families_described():
    from distilbo.models.families import SUPPORTED
    from distilbo.records.families import MODEL_TYPES

    assert MODEL_TYPES == SUPPORTED


def test_the_training_settings_are_one_table():
    """The schema's $defs/train is the one table of training settings: TrainConfig has exactly its
    fields, and what a trial may set is among them with the schema's ranges."""
    from distilbo.records.params import PARAM_RANGES, TRAIN_PARAMS, Range, StudentShape
    from distilbo.records.schema import section
    from distilbo.training.loop import TrainConfig

    table = section("$defs", "train")["properties"]
    assert set(TrainConfig.__dataclass_fields__) == set(table)
    assert set(TRAIN_PARAMS) < set(table)
    assert set(PARAM_RANGES) <= set(TRAIN_PARAMS) | set(StudentShape.__dataclass_fields__)
    assert PARAM_RANGES["learning_rate"] == Range(0, None, low_ok=False)
    assert PARAM_RANGES["alpha_ce"] == Range(0, 1, low_ok=True, high_ok=True)
    assert "hidden_layers" not in PARAM_RANGES  # an enum has no numeric range


def test_stages_read_the_study_through_one_helper(tmp_path):
    from types import SimpleNamespace

    from distilbo.stages.job import objectives, student_source

    (tmp_path / "teacher.json").write_text('{"exact": 60.0}')
    spec = {"exact": {"direction": "maximize", "threshold": {"teacher_fraction": 0.5}},
            "num_parameters": {"direction": "minimize"}}
    job = SimpleNamespace(input=SimpleNamespace(teacher_metrics=str(tmp_path / "teacher.json"), teacher="t"),
                          params=SimpleNamespace())
    assert [o.threshold for o in objectives(job, spec)] == [30.0, None]  # half the teacher's 60
    assert student_source(job) == "t"
