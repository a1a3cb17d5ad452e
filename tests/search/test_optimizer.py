"""The optimizer: its initial design, deterministic suggestions, ask/tell, learning from failures."""

import numpy as np
import pandas as pd
import pytest
from problems import COMPUTED, OBJS, SPEC, toy_history

from distilbo.search import Optimizer, SearchSpace, suggest
from distilbo.search.objectives import Objective


def test_initial_design_starts_with_the_baseline_and_continues_without_repeats():
    space = SearchSpace(SPEC)
    base = {"lr": 1e-4, "alpha": 0.5, "layers": 6, "act": "gelu"}
    first = suggest(space, OBJS, None, q=3, seed=1, n_initial=8, baseline=base, computed=COMPUTED)
    assert first.loc[0, space.names].to_dict() == base and first["origin"].tolist() == ["baseline", "initial", "initial"]
    hist = first[space.names].assign(exact=50.0, size=first["layers"] * 10.0, status="ok")
    second = suggest(space, OBJS, hist, q=3, seed=1, n_initial=8, baseline=base, computed=COMPUTED)
    both = space.encode(pd.concat([first[space.names], second[space.names]]))
    assert len(np.unique(both.round(9), axis=0)) == 6
    assert (second["pred_mean_size"] == second["layers"] * 10).all()


def test_model_based_suggestions_are_deterministic_distinct_and_annotated():
    space = SearchSpace(SPEC)
    h = toy_history(16)
    a = suggest(space, OBJS, h, q=4, seed=7, n_initial=8, computed=COMPUTED)
    b = suggest(space, OBJS, h, q=4, seed=7, n_initial=8, computed=COMPUTED)
    pd.testing.assert_frame_equal(a, b)
    assert (a["origin"] == "model").all() and len(a) == 4
    X = space.encode(pd.concat([h[space.names], a[space.names]]))
    assert len(np.unique(X.round(9), axis=0)) == len(X)
    assert {"pred_mean_exact", "pred_std_exact", "pred_mean_size", "pred_std_size", "acquisition", "p_success"} <= set(a)
    assert (a["pred_std_size"] == 0).all() and (a["pred_std_exact"] > 0).all()
    np.testing.assert_allclose(a["pred_mean_size"], a["layers"] * 10.0)


def test_the_optimizer_learns_to_avoid_failing_regions():
    space = SearchSpace(SPEC)
    h = toy_history(24, fail=lambda d: d["lr"] > 1e-3)  # large learning rates diverge
    assert (h["status"] == "failed").sum() >= 4
    s = suggest(space, OBJS, h, q=6, seed=0, n_initial=8, computed=COMPUTED)
    assert (s["lr"] <= 1e-3).mean() >= 5 / 6
    # the feasibility model behind p_success tells the failing region from the rest
    from distilbo.search.surrogate import FeasibilityModel

    X, ok = space.encode(h[space.names]), h["status"].eq("ok").to_numpy()
    p = FeasibilityModel(X, ok)(X)
    assert p[ok].mean() > p[~ok].mean() + 0.3


def test_optimizer_ask_tell_improves_a_toy_problem():
    spec = {"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}}
    x_of = {"f1": lambda d: d["x"].to_numpy(float)}
    objs = [Objective("f1", "minimize", source="computed"),
            Objective("f2", "minimize")]
    opt = Optimizer(spec, objs, seed=0, n_initial=6, computed=x_of)
    for _ in range(5):
        batch = opt.ask(3)
        f2 = (1 + batch["y"]) * (1 - np.sqrt(batch["x"] / (1 + batch["y"])))
        opt.tell(batch[["x", "y"]], pd.DataFrame({"f2": f2}))
    trace = opt.trace()
    assert len(opt.history) == 15 and trace["hypervolume"].iloc[-1] > trace["hypervolume"].iloc[1]
    assert (opt.frontier()["y"] < 0.3).mean() > 0.5  # the front lies at y = 0


def test_tell_takes_one_row_or_columns_of_a_batch():
    spec = {"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}}
    opt = Optimizer(spec, [Objective("f1", "minimize"), Objective("f2", "minimize")], seed=0, n_initial=4)
    batch = opt.ask(3)
    opt.tell(batch[["x", "y"]], {"f1": list(batch["x"]), "f2": list(1 - batch["x"])})
    opt.tell({"x": 0.5, "y": 0.5}, {"f1": 0.5, "f2": 0.5})
    assert len(opt.history) == 4 and opt.history["f2"].tolist()[:3] == list(1 - batch["x"])
    with pytest.raises(ValueError, match="3 parameter set"):
        opt.tell(batch[["x", "y"]], {"f1": [0.1], "f2": [0.2]})


def test_the_optimizer_ranks_by_the_acquisition_it_is_given(monkeypatch):
    from distilbo.search import optimizer

    with pytest.raises(ValueError, match="'ucb' is not one of auto, ehvi, threshold_distance"):
        optimizer.Optimizer({"x": {"type": "real", "low": 0, "high": 1}}, [Objective("y", "minimize")],
                            acquisition="ucb")
    asked = []
    real = optimizer.suggest
    monkeypatch.setattr(optimizer, "suggest", lambda *a, **k: asked.append(k["acquisition"]) or real(*a, **k))
    opt = optimizer.Optimizer({"x": {"type": "real", "low": 0, "high": 1}},
                              [Objective("y", "minimize"), Objective("z", "minimize")], acquisition="threshold_distance")
    opt.ask(2)
    assert asked == ["threshold_distance"]

