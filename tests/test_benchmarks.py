"""The synthetic inputs the scale benchmark measures on (benchmarks/scale.py) are valid study inputs."""
import importlib.util

import numpy as np
from conftest import ROOT

from distilbo.data import squad


def _scale():
    spec = importlib.util.spec_from_file_location("scale", ROOT / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
