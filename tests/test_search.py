import numpy as np
import pandas as pd
import pytest

from distilbo.search import Optimizer, SearchSpace, hypervolume, hypervolume_trace, pareto_front, suggest
from distilbo.search.acquisition import hvi, hvi_2d
from distilbo.search.objectives import Objective
from distilbo.search.pareto import non_dominated
from distilbo.search.space import SpaceError

SPEC = {"lr": {"type": "real", "low": 1e-5, "high": 1e-2, "log": True},
        "alpha": {"type": "real", "low": 0.0, "high": 1.0},
        "layers": {"type": "int", "low": 1, "high": 6},
        "act": {"type": "categorical", "choices": ["gelu", "relu"]}}


def test_space_round_trip_and_snapping():
    space = SearchSpace(SPEC)
    table = pd.DataFrame({"lr": [1e-5, 1e-3], "alpha": [0.25, 1.0], "layers": [1, 4], "act": ["relu", "gelu"]})
    X = space.encode(table)
    assert X.shape == (2, 4) and X[0, 0] == pytest.approx(0.0)  # the low end of the range
    assert X[1, 0] == pytest.approx(2 / 3)  # log scale: 1e-3 is two thirds of the way from 1e-5 to 1e-2
    back = space.decode(X)
    assert back["layers"].tolist() == [1, 4] and back["act"].tolist() == ["relu", "gelu"]
    np.testing.assert_allclose(back["lr"], table["lr"])
    snapped = space.decode(space.round_trip(np.full((1, 4), 0.55)))
    assert snapped["layers"].iat[0] in range(1, 7)


@pytest.mark.parametrize("spec, needle", [
    ({"lr": {"type": "real", "low": 0, "high": 1, "log": True}}, "search.space.lr"),
    ({"n": {"type": "int", "low": 1}}, "search.space.n: missing key 'high'"),
    ({"x": {"type": "float", "low": 0, "high": 1}}, "search.space.x: type must be"),
])
def test_space_errors_name_the_parameter(spec, needle):
    with pytest.raises(SpaceError, match=needle.replace(".", r"\.")):
        SearchSpace(spec)


def test_validate_names_the_parameter():
    with pytest.raises(SpaceError, match="layers=9"):
        SearchSpace(SPEC).validate({"lr": 1e-3, "alpha": 0.5, "layers": 9, "act": "gelu"})


def _brute_front(F):
    return sorted(i for i in range(len(F)) if not any(np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(len(F))))


def test_non_dominated_and_hypervolume_against_hand_results():
    F = np.random.default_rng(0).random((60, 2))
    assert non_dominated(F).tolist() == _brute_front(F)
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


OBJS = [Objective("exact", "maximize", threshold=40.0), Objective("size", "minimize", source="computed")]
COMPUTED = {"size": lambda d: d["layers"].to_numpy(float) * 10}


def _history(n, seed=0, fail=None):
    space = SearchSpace(SPEC)
    h = space.sample(n, seed)
    h["exact"] = 30 + 40 * h["alpha"] + 3 * h["layers"] - 5 * np.abs(np.log10(h["lr"]) + 3.5)
    h["size"] = h["layers"] * 10.0
    h["status"] = "ok"
    if fail is not None:
        h.loc[fail(h), "status"] = "failed"
        h.loc[fail(h), "exact"] = np.nan
    h["round"] = np.arange(n) // 4
    return h


def test_pareto_front_applies_thresholds_and_status():
    h = _history(30)
    h.loc[0, ["exact", "size", "status"]] = 100.0, 0.0, "failed"  # it would dominate every other
    front = pareto_front(h, OBJS)
    assert (front["exact"] >= 40).all() and len(front) > 1 and 0 not in front.index
    F = np.column_stack([-front["exact"], front["size"]])
    assert len(non_dominated(F)) == len(front)
    trace = hypervolume_trace(h, OBJS)
    assert trace["hypervolume"].is_monotonic_increasing and trace["trials"].iloc[-1] == 30


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
    h = _history(16)
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
    h = _history(24, fail=lambda d: d["lr"] > 1e-3)  # large learning rates diverge
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


def test_a_constraint_keeps_suggestions_in_its_feasible_region():
    spec = {"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}}
    x_of = {"f1": lambda d: d["x"].to_numpy(float)}
    objs = [Objective("f1", "minimize", source="computed"),
            Objective("f2", "minimize"), Objective("g", "minimize", threshold=0.0, optimize=False)]
    space = SearchSpace(spec)
    h = space.sample(16, 0)
    h["f1"] = h["x"]
    h["f2"] = 1 - h["x"] + h["y"]
    h["g"] = 0.6 - h["x"]  # feasible only where x >= 0.6
    h["status"] = "ok"
    s = suggest(space, objs, h, q=4, seed=0, n_initial=8, computed=x_of)
    assert (s["x"] >= 0.55).all()
    # each suggestion is expected to meet the constraint, and is picked as likely to
    assert (s["pred_mean_g"] <= 0.05).all() and (s["p_success"] > 0.5).all(), s
    front = pareto_front(h, objs)
    assert (front["g"] <= 0).all() and len(front) >= 1
    with pytest.raises(ValueError, match="constraint needs a threshold"):
        Objective("g", "minimize", optimize=False)



def test_refinement_centres_on_the_best_candidates_of_the_rounds_acquisition():
    """The pool is refined by the acquisition the round chose, built from draws at the pool."""
    from distilbo.search.candidates import REFINE_CENTRES, refine
    from distilbo.search.surrogate import Observed, Surrogate

    space = SearchSpace({"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}})
    objs = [Objective("f1", "minimize"), Objective("f2", "minimize")]
    h = space.sample(12, 0)
    h["f1"], h["f2"], h["status"] = h["x"], 1 - h["x"] + h["y"], "ok"
    surrogate = Surrogate(space, objs, h, 0, {})
    taken = space.encode(h[space.names])
    grid = np.linspace(0.1, 0.9, 4)
    pool = np.array([[x, y] for x in grid for y in grid])  # 16 points 0.27 apart
    built = []

    class LeftHalf:  # values the candidates with x < 0.5 (the first 8), whatever the draws say
        def __init__(self, draws):
            built.append(draws.samples.shape[1])

        def __call__(self):
            return (pool[:, 0] < 0.5).astype(float)

        def condition(self, pick):
            pass

    observed = Observed(taken, np.column_stack([h["f1"], h["f2"]]), np.ones(len(taken), bool))
    refined = refine(space, surrogate, pool, observed, np.array([1.1, 2.1]), taken, np.random.default_rng(0), LeftHalf)
    assert built == [len(pool)] and REFINE_CENTRES == 8
    assert np.all(refined[len(pool):, 0] < 0.5)  # local points only around the kind's best


def test_while_no_trial_meets_the_thresholds_picks_reduce_the_violation():
    """No draw of any candidate meets the thresholds (hypervolume improvement is 0 everywhere): the
    first pick is the one sure to come nearest (violation 0.3 against the least observed, 0.5);
    conditioned on it, the next reduces nothing more, so the fallback ranking chooses."""
    from distilbo.search.acquisition import Draws, ThresholdDistance, greedy_batch

    objs = [Objective("f1", "minimize", threshold=1.0), Objective("f2", "minimize", threshold=1.0)]
    F_obs = np.array([[1.3, 1.2], [1.6, 1.1]])  # violations 0.5 and 0.7
    rng = np.random.default_rng(0)
    centre = np.array([[1.1, 1.2], [1.4, 1.3], [1.2, 1.25]])  # violations 0.3, 0.7, 0.45
    samples = centre[None] + rng.normal(0, 0.01, (64, 3, 2))
    draws = Draws(samples, [F_obs] * 64, F_obs, np.array([1.0, 1.0]), np.ones(3), objs)
    picks, values = greedy_batch(ThresholdDistance(draws), 2,
                                 fallback=np.array([0.0, 1.0, 0.5]))
    assert picks == [0, 1] and values[0] == pytest.approx(0.2, abs=0.01) and values[1] == 0.0


def test_while_no_trial_meets_the_thresholds_suggestions_close_in_on_them():
    spec = {"x": {"type": "real", "low": 0.0, "high": 1.0}, "y": {"type": "real", "low": 0.0, "high": 1.0}}
    space = SearchSpace(spec)
    h = space.sample(12, 0)
    dist = (h["x"] - 0.3) ** 2 + (h["y"] - 0.6) ** 2
    h = h.assign(f1=1.05 + dist + 0.1 * h["x"], f2=1.05 + dist + 0.1 * (1 - h["x"]), status="ok")
    objs = [Objective("f1", "minimize", threshold=1.0), Objective("f2", "minimize", threshold=1.0)]
    table = suggest(space, objs, h, q=2, seed=0, n_initial=6)
    picked = (table["x"] - 0.3) ** 2 + (table["y"] - 0.6) ** 2
    assert picked.iloc[0] < dist.min()  # nearer the bowl's centre than any trial so far


def test_refinement_adds_new_points_close_to_the_best_candidates():
    from distilbo.search.acquisition import ExpectedHVI
    from distilbo.search.candidates import REFINE_SCALES, refine
    from distilbo.search.surrogate import Observed, Surrogate

    spec = {"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}}
    objs = [Objective("f1", "minimize"), Objective("f2", "minimize")]
    space = SearchSpace(spec)
    h = space.sample(12, 0)
    h["f1"], h["f2"], h["status"] = h["x"], 1 - h["x"] + h["y"], "ok"
    surrogate = Surrogate(space, objs, h, 0, {})
    taken = space.encode(h[space.names])
    pool = np.random.default_rng(0).random((64, 2))
    observed = Observed(taken, np.column_stack([h["f1"], h["f2"]]), np.ones(len(taken), bool))
    refined = refine(space, surrogate, pool, observed, np.array([1.1, 2.1]), taken, np.random.default_rng(0),
                     ExpectedHVI)
    added = refined[len(pool):]
    assert len(added) > 0
    assert not any(np.all(np.isclose(t, refined), axis=1).any() for t in taken)
    # every added point lies within a few of the largest refinement scale of some pool point
    dist = np.min(np.linalg.norm(added[:, None, :] - pool[None, :, :], axis=2), axis=1)
    assert np.all(dist < 5 * REFINE_SCALES.max())


def test_a_relative_threshold_is_resolved_against_the_teacher():
    from distilbo.search import objectives_from_config

    spec = {"span_f1": {"threshold": {"teacher_fraction": 0.5}}, "num_parameters": {"direction": "minimize"}}
    objs = objectives_from_config(spec, {"span_f1": 60.0})
    assert objs[0].threshold == 30.0 and objs[1].threshold is None
    with pytest.raises(ValueError, match=r"span_f1: a threshold relative to the teacher needs"):
        objectives_from_config(spec)
    with pytest.raises(ValueError, match=r"span_f1: the teacher's metrics record no 'span_f1'"):
        objectives_from_config(spec, {"exact": 50.0})


def test_tell_takes_one_row_or_columns_of_a_batch():
    spec = {"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}}
    opt = Optimizer(spec, [Objective("f1", "minimize"), Objective("f2", "minimize")], seed=0, n_initial=4)
    batch = opt.ask(3)
    opt.tell(batch[["x", "y"]], {"f1": list(batch["x"]), "f2": list(1 - batch["x"])})
    opt.tell({"x": 0.5, "y": 0.5}, {"f1": 0.5, "f2": 0.5})
    assert len(opt.history) == 4 and opt.history["f2"].tolist()[:3] == list(1 - batch["x"])
    with pytest.raises(ValueError, match="3 parameter set"):
        opt.tell(batch[["x", "y"]], {"f1": [0.1], "f2": [0.2]})


def test_the_gp_learns_the_noise_level_from_replicates():
    from distilbo.search.surrogate import fit_gp, noise_sd

    rng = np.random.default_rng(0)
    X = np.repeat(rng.random((30, 2)), 3, axis=0)  # each configuration run three times
    for true_sd in (0.02, 0.1):
        y = np.sin(3 * X[:, 0]) + X[:, 1] + rng.normal(0, true_sd, len(X))
        assert noise_sd(fit_gp(X, y)) == pytest.approx(true_sd, rel=0.3)


def _lucky_history():
    """Two flat objectives at 0.5 observed with noise (sd 0.05) at 16 configurations three times
    each, and one configuration observed once with a lucky (0.3, 0.3)."""
    rng = np.random.default_rng(1)
    grid = np.array([[a, b] for a in np.linspace(0.05, 0.95, 4) for b in np.linspace(0.05, 0.95, 4)])
    X = np.vstack([np.repeat(grid, 3, axis=0), [[0.5, 0.5]]])
    F = np.vstack([0.5 + rng.normal(0, 0.05, (48, 2)), [[0.3, 0.3]]])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "f1": F[:, 0], "f2": F[:, 1], "status": "ok"})


def test_the_acquisition_prefers_a_certain_improvement_to_one_against_a_lucky_observation():
    from distilbo.search.acquisition import Draws, ExpectedHVI, greedy_batch
    from distilbo.search.surrogate import Observed, Surrogate

    space = SearchSpace({"a": {"type": "real", "low": 0.0, "high": 1.0}, "b": {"type": "real", "low": 0.0, "high": 1.0}})
    objectives = [Objective("f1", "minimize", 1.1), Objective("f2", "minimize", 1.1)]
    history = _lucky_history()
    surrogate = Surrogate(space, objectives, history, 0, {})
    X, F = space.encode(history[space.names]), history[["f1", "f2"]].to_numpy()
    assert surrogate.replicated  # configurations run three times: their scatter is the noise
    ref = np.array([1.1, 1.1])
    fronts = surrogate.draws(X[:2], np.random.default_rng(0), Observed(X, F, np.ones(len(X), bool)), ref, n=32).fronts
    # the front the GP believes in sits near 0.5, not at the lucky observation
    assert np.median([f.min() for f in fronts]) > 0.4
    # two candidates, both certain: A truly beats every configuration seen; B only looks new against
    # the lucky observation, as a thin sliver where f1 is small and f2 large
    samples = np.tile(np.array([[0.42, 0.42], [0.2, 0.9]]), (32, 1, 1))
    weight = np.ones(2)
    assert greedy_batch(ExpectedHVI(Draws(samples, fronts, F, ref, weight, objectives)), 1, np.zeros(2))[0] == [0]
    plain = [F[non_dominated(F)]] * 32  # the noisy observations taken as exact
    assert greedy_batch(ExpectedHVI(Draws(samples, plain, F, ref, weight, objectives)), 1, np.zeros(2))[0] == [1]


def test_a_replicated_configuration_is_two_observations_not_an_error():
    space = SearchSpace({"a": {"type": "real", "low": 0.0, "high": 1.0}, "b": {"type": "real", "low": 0.0, "high": 1.0}})
    objectives = [Objective("f1", "minimize", 1.1), Objective("f2", "minimize", 1.1)]
    table = suggest(space, objectives, _lucky_history(), 4, seed=0, n_initial=4)
    assert len(table) == 4 and not table[["a", "b"]].duplicated().any()
    assert table["origin"].eq("model").all()


def test_a_20_dimensional_mixed_space_suggests_q_distinct_valid_points():
    spec = {f"r{i}": {"type": "real", "low": 0.0, "high": 1.0} for i in range(12)}
    spec.update({f"n{i}": {"type": "int", "low": 1, "high": 8} for i in range(6)})
    spec.update({"act": {"type": "categorical", "choices": ["gelu", "relu", "silu"]},
                 "lr": {"type": "real", "low": 1e-5, "high": 1e-2, "log": True}})
    space = SearchSpace(spec)
    history = space.sample(60, 0)
    X = space.encode(history)
    history = history.assign(f1=X[:, 0] + 0.1 * X[:, 12], f2=1 - X[:, 0] + ((X[:, 1:6] - 0.5) ** 2).sum(axis=1),
                             status="ok")
    objectives = [Objective("f1", "minimize"), Objective("f2", "minimize")]
    table = suggest(space, objectives, history, 4, seed=0, n_initial=10)
    assert len(table) == 4 and table["origin"].eq("model").all()
    assert not table[space.names].duplicated().any()
    for _, row in table.iterrows():
        space.validate(row.to_dict(), "suggestion")
    assert not pd.concat([history[space.names], table[space.names]]).duplicated().any()


def test_a_declared_noise_is_the_gps_and_comes_from_the_config():
    from distilbo.search import objectives_from_config
    from distilbo.search.surrogate import fit_gp, noise_sd

    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    y = 10 * np.sin(3 * X[:, 0]) + rng.normal(0, 1.0, 40)
    assert noise_sd(fit_gp(X, y, noise=2.0)) == pytest.approx(2.0)
    objectives = objectives_from_config({"span_f1": {"direction": "maximize", "noise_sd": 2.0},
                                         "num_parameters": {"direction": "minimize", "source": "computed"}})
    assert [o.noise_sd for o in objectives] == [2.0, None]


def test_a_round_chooses_its_acquisition_once_by_name_or_by_the_thresholds():
    from distilbo.search.acquisition import ACQUISITIONS, ExpectedHVI, ThresholdDistance, choose

    objs = [Objective("f1", "minimize", threshold=1.0), Objective("f2", "minimize", threshold=1.0)]
    outside = pd.DataFrame({"f1": [1.3, 0.5], "f2": [0.5, 1.2], "status": ["ok", "ok"]})
    inside = pd.concat([outside, pd.DataFrame({"f1": [0.9], "f2": [0.9], "status": ["ok"]})], ignore_index=True)
    assert choose("auto", outside, objs) is ThresholdDistance
    assert choose("auto", inside, objs) is ExpectedHVI
    assert choose("threshold_distance", inside, objs) is ThresholdDistance
    assert choose("ehvi", outside, objs) is ExpectedHVI
    assert set(ACQUISITIONS) == set(schema_enum("acquisition")) - {"auto"}
    with pytest.raises(ValueError, match="search.acquisition: 'ucb'"):
        choose("ucb", inside, objs)


def schema_enum(key: str) -> list:
    from distilbo.records.schema import schema

    return schema()["properties"]["search"]["properties"][key]["enum"]


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
