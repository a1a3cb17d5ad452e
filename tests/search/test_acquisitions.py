"""The acquisitions: what a round chooses, constraints and thresholds, the refined pool."""

import numpy as np
import pandas as pd
import pytest
from problems import lucky_history, schema_enum

from distilbo.search import SearchSpace, pareto_front, suggest
from distilbo.search.objectives import Objective
from distilbo.search.pareto import non_dominated


def test_the_acquisition_prefers_a_certain_improvement_to_one_against_a_lucky_observation():
    from distilbo.search.acquisition import Draws, ExpectedHVI, greedy_batch
    from distilbo.search.surrogate import Observed, Surrogate

    space = SearchSpace({"a": {"type": "real", "low": 0.0, "high": 1.0}, "b": {"type": "real", "low": 0.0, "high": 1.0}})
    objectives = [Objective("f1", "minimize", 1.1), Objective("f2", "minimize", 1.1)]
    history = lucky_history()
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

