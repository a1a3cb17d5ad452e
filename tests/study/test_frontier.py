import numpy as np
import pandas as pd
import pytest

from distilbo.search.objectives import Objective
from distilbo.study.frontier import pick_scenarios

OBJS = [Objective("exact", "maximize", threshold=50.0), Objective("num_parameters", "minimize")]


def _history(rows):
    h = pd.DataFrame(rows, columns=["round", "trial", "origin", "status", "exact", "num_parameters"])
    return h


def test_scenario_picks_follow_their_definitions():
    h = _history([
        (0, 0, "baseline", "ok", 60.0, 100.0),
        (0, 1, "initial", "ok", 63.0, 100.5),   # same size within 1%: best quality at the baseline's size
        (0, 2, "initial", "ok", 61.0, 90.0),    # smaller and better
        (1, 0, "model", "ok", 59.8, 70.0),      # smaller, within 0.5 of the baseline's quality
        (1, 1, "model", "ok", 59.0, 50.0),      # too far below the baseline
        (1, 2, "model", "failed", np.nan, 10.0),
        (1, 3, "model", "ok", 70.0, 120.0),     # better but larger
        (1, 4, "model", "ok", 49.0, 5.0),       # below the threshold: never picked
    ])
    s = pick_scenarios(h, OBJS, "exact", "num_parameters", size_tolerance=0.01, quality_tolerance=0.5).set_index("scenario")
    assert (s.loc["retain_size_maximize_quality", ["round", "trial"]] == [0, 1]).all()
    assert (s.loc["minimize_size_maximize_quality", ["round", "trial"]] == [0, 2]).all()
    assert (s.loc["minimize_size_retain_quality", ["round", "trial"]] == [1, 0]).all()
    assert s.loc["minimize_size_retain_quality", "size_vs_baseline_pct"] == pytest.approx(-30.0)
    assert s.loc["minimize_size_retain_quality", "quality_vs_baseline"] == pytest.approx(-0.2)


def test_a_scenario_with_no_candidate_is_reported_not_invented():
    h = _history([(0, 0, "baseline", "ok", 60.0, 100.0), (0, 1, "initial", "ok", 55.0, 120.0)])
    s = pick_scenarios(h, OBJS, "exact", "num_parameters", 0.01, 0.5).set_index("scenario")
    assert not s.loc["minimize_size_maximize_quality", "found"]
    assert s.loc["retain_size_maximize_quality", "trial"] == 0  # only the baseline qualifies


def test_without_a_successful_baseline_no_scenario_is_found():
    h = _history([(0, 0, "baseline", "failed", np.nan, 100.0), (0, 1, "initial", "ok", 60.0, 90.0)])
    s = pick_scenarios(h, OBJS, "exact", "num_parameters", 0.01, 0.5)
    assert len(s) == 3 and not s["found"].any()
