"""The synthetic inputs the scale benchmark measures on (benchmarks/scale.py) are valid study inputs;
the study-like problem (benchmarks/study_problem.py) is built on whatever space a study states."""
import importlib.util

import numpy as np
import pytest
from conftest import ROOT

from distilbo.data import squad


def _benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scale():
    return _benchmark("scale")


def test_a_synthetic_train_file_is_k_renamed_copies_that_the_data_stage_reads(tmp_path):
    scale = _scale()
    n = scale.synthetic_squad(2, tmp_path / "x2.json")
    one = squad.load_questions(str(scale.LABELED), None)
    two = squad.load_questions(str(tmp_path / "x2.json"), None)
    assert n == len(two) == 2 * len(one) and two["id"].is_unique
    assert two["title"].nunique() == 2 * one["title"].nunique()
    assert sorted(two["question"]) == sorted(list(one["question"]) * 2)
    in_order = [f"{t}_{c}" for c in range(2) for t in one["title"].drop_duplicates()]
    assert sorted(two["title"].unique()) == sorted(in_order) and list(two["title"].drop_duplicates()) != in_order


def test_the_growth_exponent_is_the_log_log_slope():
    scale = _scale()
    sizes = np.array([1.0, 4.0, 22.0])
    assert abs(scale.exponent(sizes, 3 * sizes) - 1) < 1e-9
    assert abs(scale.exponent(sizes, sizes ** 2) - 2) < 1e-9


@pytest.mark.parametrize("search", ["config.yaml", "benchmarks/study_problem_wide.yaml"])
def test_the_study_problem_takes_the_space_a_study_states_and_its_fixed_values(search):
    """The default study fixes alpha_ce, the temperature and the layer rule (0.15.0); the wide space
    searches them. Either way a round of the problem scores, and its best front is inside the space."""
    sp = _benchmark("study_problem")
    problem = sp.StudyProblem(sp.load_study(ROOT / search))
    start = sp.initial_design(problem, seed=0)
    assert list(start.columns) == problem.space.names
    truth = problem.truth(start)
    assert np.isfinite(truth).all() and np.isfinite(problem.observe(start, np.random.default_rng(0))).all()
    front = problem.true_front
    layers = problem.search["space"]["n_layers"]
    assert front["n_layers"].between(layers["low"], layers["high"]).all() and problem.hv_star > 0
    if "alpha_ce" not in problem.space.names:  # a fixed value is the one the response reads
        fixed = problem.search["fixed"]
        moved = problem.truth(start.assign(alpha_ce=fixed["alpha_ce"] - 0.5))
        assert np.allclose(truth, problem.truth(start.assign(alpha_ce=fixed["alpha_ce"])))
        assert not np.allclose(truth, moved)
