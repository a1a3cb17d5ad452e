"""Pareto sets, hypervolume and thresholds against hand results and pymoo."""

import numpy as np
import pytest
from problems import OBJS, brute_front, toy_history

from distilbo.search import hypervolume, hypervolume_trace, pareto_front
from distilbo.search.acquisition import hvi, hvi_2d
from distilbo.search.pareto import non_dominated


def test_non_dominated_and_hypervolume_against_hand_results():
    F = np.random.default_rng(0).random((60, 2))
    assert non_dominated(F).tolist() == brute_front(F)
    assert hypervolume(np.array([[0.2, 0.6], [0.5, 0.3]]), np.array([1.0, 1.0])) == pytest.approx(0.8 * 0.4 + 0.5 * 0.3)
    assert hypervolume(np.array([[1.5, 0.1]]), np.array([1.0, 1.0])) == 0.0


def test_hypervolume_improvement_matches_pymoo_in_two_objectives():
    rng = np.random.default_rng(2)
    front = rng.random((8, 2))
    front = front[non_dominated(front)]
    ref = np.full(2, 1.1)
    Y = rng.random((20, 2)) * 1.2
    expected = [hypervolume(np.vstack([front, y]), ref) - hypervolume(front, ref) for y in Y]
    np.testing.assert_allclose(hvi(front, ref, Y), expected, atol=1e-12)
    np.testing.assert_allclose(hvi_2d(front, ref, Y), expected, atol=1e-12)


def test_hypervolume_improvement_in_three_objectives_against_hand_results():
    """Boxes of the unit cube: what a point adds is its own box less what the front already covers."""
    front, ref = np.array([[0.5, 0.5, 0.5], [0.0, 0.75, 0.75]]), np.ones(3)
    # the front's boxes: 0.125 and 0.0625, overlapping in 0.5 * 0.25 * 0.25 = 0.03125
    Y = np.array([[0.25, 0.5, 0.5],  # 0.1875, less the first box, 0.75 * 0.25 * 0.25 of the second, their overlap
                  [0.5, 0.25, 0.0],  # 0.375 less the first box (which holds the second's part of it)
                  [0.6, 0.6, 0.6],  # dominated
                  [0.1, 0.1, 1.5]])  # outside the reference box
    np.testing.assert_allclose(hvi(front, ref, Y), [0.1875 - (0.125 + 0.046875 - 0.03125), 0.375 - 0.125, 0.0, 0.0], atol=1e-12)


def test_pareto_front_applies_thresholds_and_status():
    h = toy_history(30)
    h.loc[0, ["exact", "size", "status"]] = 100.0, 0.0, "failed"  # it would dominate every other
    front = pareto_front(h, OBJS)
    assert (front["exact"] >= 40).all() and len(front) > 1 and 0 not in front.index
    F = np.column_stack([-front["exact"], front["size"]])
    assert len(non_dominated(F)) == len(front)
    trace = hypervolume_trace(h, OBJS)
    assert trace["hypervolume"].is_monotonic_increasing and trace["trials"].iloc[-1] == 30


def test_a_relative_threshold_is_resolved_against_the_teacher():
    from distilbo.search import objectives_from_config

    spec = {"span_f1": {"threshold": {"teacher_fraction": 0.5}}, "num_parameters": {"direction": "minimize"}}
    objs = objectives_from_config(spec, {"span_f1": 60.0})
    assert objs[0].threshold == 30.0 and objs[1].threshold is None
    with pytest.raises(ValueError, match=r"span_f1: a threshold relative to the teacher needs"):
        objectives_from_config(spec)
    with pytest.raises(ValueError, match=r"span_f1: the teacher's metrics record no 'span_f1'"):
        objectives_from_config(spec, {"exact": 50.0})

