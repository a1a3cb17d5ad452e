"""Multi-fidelity studies (search.fidelity): promotions between rungs, the rows they add to the
history, the config's checks and the surrogates' budget input."""
import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from conftest import trial_metrics

from distilbo.records.labels import ORIGIN_NO_PROMOTION
from distilbo.search.objectives import Objective
from distilbo.study.config import ConfigError, check_fidelity
from distilbo.study.history import frontier_rows, observe_round
from distilbo.study.plan import round_size, rung_training, slot_rungs, trial_rung
from distilbo.study.rungs import choose, plan_trial, promote, ranked, slot_params

OBJECTIVES = [Objective("span_f1", "maximize", threshold=20.0), Objective("num_parameters", "minimize")]


def _rung(rows):
    """A hand-made rung table: (round, trial, span_f1, num_parameters[, status])."""
    return pd.DataFrame([{"round": r, "trial": i, "span_f1": f, "num_parameters": n,
                          "status": rest[0] if rest else "ok"} for r, i, f, n, *rest in rows])


def test_non_dominated_trials_are_promoted_first_then_by_hypervolume_share():
    table = _rung([(0, 0, 50, 20), (0, 1, 40, 10), (0, 2, 45, 22),  # (0, 2) is dominated by (0, 0)
                   (0, 3, 49, 19.9),  # on the first front, but crowding (0, 0): a small share of it
                   (1, 0, 30, 5)])
    order = list(zip(ranked(table, OBJECTIVES)["round"], ranked(table, OBJECTIVES)["trial"]))
    first_front = {(0, 0), (0, 1), (0, 3), (1, 0)}
    assert set(order[:4]) == first_front and order[4] == (0, 2)
    assert set(order[2:4]) == {(0, 0), (0, 3)}  # the crowded pair last: each adds little to the other


def test_failed_trials_never_and_those_below_a_threshold_last():
    table = _rung([(0, 0, 60, 30, "failed"), (0, 1, 10, 5), (0, 2, 35, 25), (0, 3, 9, 50)])
    # (0, 1) and (0, 3) are below span_f1 20 (the top rung's target): after (0, 2); (0, 3) is dominated
    assert list(choose(table, OBJECTIVES, 4, set())["trial"]) == [2, 1, 3]
    with_constraint = OBJECTIVES + [Objective("latency_ms", "minimize", threshold=10.0, optimize=False)]
    table["latency_ms"] = [1.0, 1.0, 1.0, 20.0]  # (0, 3) misses a constraint: never
    assert list(choose(table, with_constraint, 4, set())["trial"]) == [2, 1]


def test_a_trial_is_promoted_from_a_rung_once():
    table = _rung([(0, 0, 50, 20), (0, 1, 40, 10), (0, 2, 30, 30)])
    picks = choose(table, OBJECTIVES, 2, promoted={(0, 0)})
    assert list(picks["trial"]) == [1, 2]


def _metrics(path, round_, trial, span_f1, params, status="ok", rung=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(trial_metrics(status, round=round_, trial=trial, rung=rung, span_f1=span_f1,
                                  num_parameters=params["n_layers"] * 10, params=params))
    return str(path)


def test_promotions_table_names_parents_and_records_empty_slots(tmp_path):
    a = _metrics(tmp_path / "round-0/trial-0/metrics.json", 0, 0, 50, {"n_layers": 2, "learning_rate": 1e-4})
    b = _metrics(tmp_path / "round-0/trial-1/metrics.json", 0, 1, 5, {"n_layers": 1, "learning_rate": 3e-4})
    out = tmp_path / "promotions.parquet"
    table = promote(OBJECTIVES, [a, b], [], 0, 1, 120, slots=[2, 3], out=str(out))
    assert table["origin"].tolist() == ["promotion", "promotion"]
    assert table["parent_trial"].tolist() == [0, 1]  # (0, 1) is below the threshold: second
    first = table.iloc[0]
    assert (first["parent_round"], first["parent_trial"], first["steps"]) == (0, 0, 120)
    assert first["n_layers"] == 2 and first["resume"] == str(tmp_path / "round-0/trial-0/state.pt")
    # the next round's promotions skip what this one promoted
    again = promote(OBJECTIVES, [a, b], [str(out)], 1, 1, 120, slots=[2], out=str(tmp_path / "p1.parquet"))
    assert again["origin"].tolist() == [ORIGIN_NO_PROMOTION]



def _curves():
    """Two learning paths measured to the top rung (steps 10 -> 40; size x, error e) and two fresh
    rung-0 candidates: A beside the first path, B beside the second, a slow learner."""
    rows = [(0, 0, 0.20, 10, 0.60), (0, 2, 0.20, 40, 0.55),  # a path that gains little
            (0, 1, 0.75, 10, 0.90), (0, 3, 0.75, 40, 0.30),  # a slow learner: far better at the top
            (1, 0, 0.22, 10, 0.60), (1, 1, 0.65, 10, 0.95)]  # A, B: smaller than the slow learner
    return pd.DataFrame([{"round": r, "trial": i, "x": x, "size": x, "steps": s, "error": e, "status": "ok"}
                         for r, i, x, s, e in rows])


def test_promotions_by_top_rung_gain_follow_the_learning_curves():
    """At their rung A dominates B; at the top, A would land on a point the front holds, B beside the
    slow learner that its path predicts: the gain rule promotes B, the rung rule A."""
    from distilbo.search import SearchSpace
    from distilbo.search.steps import StepScale
    from distilbo.study.rungs import GainInputs

    history = _curves()
    objectives = [Objective("size", "minimize", source="computed"), Objective("error", "minimize")]
    candidates = history[history["round"].eq(1)]
    gains = GainInputs(SearchSpace({"x": {"type": "real", "low": 0, "high": 1}}), history, StepScale(10, 40))
    assert choose(candidates, objectives, 1, set())["trial"].tolist() == [0]
    assert choose(candidates, objectives, 2, set(), gains)["trial"].tolist() == [1, 0]


@pytest.mark.parametrize("name,threshold,expected", [
    ("threshold_distance", None, "ThresholdDistance"), ("ehvi", 0.001, "ExpectedHVI"),
    ("auto", None, "ExpectedHVI"), ("auto", 0.001, "ThresholdDistance"),  # auto: by whether a trial meets them
])
def test_promotions_rank_by_the_rounds_acquisition(monkeypatch, name, threshold, expected):
    """Promotions rank by the acquisition the round's suggestions use (search.acquisition, or for
    auto the one distilbo.search.acquisition.choose picks from the history), never by another."""
    from distilbo.search import SearchSpace
    from distilbo.search.steps import StepScale
    from distilbo.study import rungs

    used = []
    real = rungs.promotion_gains
    monkeypatch.setattr(rungs, "promotion_gains", lambda *a, **k: used.append(a[6].__name__) or real(*a, **k))
    history = _curves()
    objectives = [Objective("size", "minimize", source="computed"), Objective("error", "minimize", threshold=threshold)]
    gains = rungs.GainInputs(SearchSpace({"x": {"type": "real", "low": 0, "high": 1}}), history, StepScale(10, 40),
                             acquisition=name)
    choose(history[history["round"].eq(1)], objectives, 1, set(), gains)
    assert used == [expected]


def test_the_gain_rule_reads_its_history_from_metrics_files(tmp_path):
    from distilbo.search import SearchSpace
    from distilbo.study.rungs import measurements

    space = SearchSpace({"n_layers": {"type": "int", "low": 1, "high": 6}})
    paths = [_metrics(tmp_path / f"round-0/trial-{i}/metrics.json", 0, i, 40 + i, {"n_layers": i + 1, "seed": 3},
                      status="failed" if i == 2 else "ok", rung=min(i, 1)) for i in range(3)]
    table = measurements(paths, space)
    assert table["n_layers"].tolist() == [1, 2, 3] and table["status"].tolist() == ["ok", "ok", "failed"]
    assert table["rung"].tolist() == [0, 1, 1] and "seed" not in table  # the space's parameters only

SEARCH = {"batch_size": 2, "fixed": {"head_choice": "importance"},
          "fidelity": {"steps": [40, 120, 360], "promotions": [2, 1], "decay_fraction": 0.2}}


def test_slots_follow_the_new_trials_rung_by_rung():
    assert slot_rungs(SEARCH) == [1, 1, 2] and round_size(SEARCH) == 5
    assert rung_training(SEARCH, 1) == {"max_steps": 120, "decay_steps": 24}


def test_a_slot_continues_its_parent_and_the_top_rung_keeps_no_state(tmp_path):
    a = _metrics(tmp_path / "round-0/trial-1/metrics.json", 0, 1, 50, {"n_layers": 2, "learning_rate": 1e-4}, rung=1)
    table = tmp_path / "round-0/promotions-rung-2.parquet"
    promote(OBJECTIVES, [a], [], 0, 2, 360, slots=[4], out=str(table))
    params, rung = plan_trial(SEARCH, 0, 4, str(tmp_path / "round-0/trial-4/metrics.json"), "unused", str(table))
    assert params == {"head_choice": "importance", "n_layers": 2, "learning_rate": 1e-4}
    assert rung.resume == str(tmp_path / "round-0/trial-1/state.pt") and rung.state is None
    assert rung.budget == {"max_steps": 360, "decay_steps": 72}
    assert rung.where == {"round": 0, "trial": 4, "rung": 2, "steps": 360, "parent_round": 0, "parent_trial": 1}


@pytest.mark.parametrize("fidelity, key", [
    ({"steps": [120, 40], "promotions": [1]}, "steps must increase"),
    ({"steps": [40, 120, 360], "promotions": [1]}, "one entry per rung but the last"),
    ({"steps": [4, 12], "promotions": [1]}, "do not fit the first rung"),
])
def test_bad_fidelity_settings_are_refused(fidelity, key):
    with pytest.raises(ConfigError, match=key):
        check_fidelity({"space": {}, "fixed": {}, "fidelity": fidelity}, {"warmup_steps": 4})


def test_fidelity_refuses_a_searched_budget():
    with pytest.raises(ConfigError, match="max_steps"):
        check_fidelity({"space": {"max_steps": {}}, "fixed": {}, "fidelity": {"steps": [4, 8], "promotions": [1]}}, {})


def test_each_trained_slot_is_a_history_row_with_its_rung_and_parent(tmp_path):
    pd.DataFrame({"round": [0, 0], "trial": [0, 1], "origin": ["baseline", "initial"], "n_layers": [2, 1]}).to_parquet(
        tmp_path / "s.parquet")
    pd.DataFrame({"round": [0, 0], "trial": [2, 3], "rung": [1, 1], "steps": [120, 120], "origin": ["promotion", "none"],
                  "parent_round": [0, -1], "parent_trial": [0, -1], "resume": ["x", ""], "n_layers": [2, np.nan]}
                 ).to_parquet(tmp_path / "p.parquet")
    paths = [_metrics(tmp_path / f"m{i}.json", 0, i, 40 + i, {"n_layers": 2}, rung=i // 2) for i in range(3)]
    paths.append(str(tmp_path / "m3.json"))
    (tmp_path / "m3.json").write_text(json.dumps({"status": "skipped", "reason": "nothing"}))
    history = observe_round(str(tmp_path / "s.parquet"), paths, None, str(tmp_path / "o.parquet"), ["n_layers"],
                            promotions=[str(tmp_path / "p.parquet")], first_steps=40)
    assert history["trial"].tolist() == [0, 1, 2]  # the empty slot adds no row
    assert history["steps"].tolist() == [40, 40, 120] and history["rung"].tolist() == [0, 0, 1]
    assert history["parent_trial"].tolist() == [-1, -1, 0] and history["span_f1"].tolist() == [40, 41, 42]


def test_the_surrogates_expect_more_of_a_trial_at_the_top_rung():
    """Quality rises with steps: a configuration measured at the first rung is predicted higher at
    the top one, and suggestions are made for the top rung."""
    from distilbo.search import SearchSpace, suggest
    from distilbo.search.steps import StepScale
    from distilbo.search.surrogate import Surrogate

    space = SearchSpace({"x": {"type": "real", "low": 0, "high": 1}, "y": {"type": "real", "low": 0, "high": 1}})
    rng = np.random.default_rng(0)
    h = space.sample(24, 0)
    h["steps"] = rng.choice([40, 120, 360], len(h))
    z = StepScale(40, 360).encode(h["steps"])
    h["f1"] = h["x"] + 0.5 * z  # maximized: better with more steps
    h["f2"], h["status"] = h["y"] + 0.2, "ok"
    objs = [Objective("f1", "maximize"), Objective("f2", "minimize")]
    surrogate = Surrogate(space, objs, h, 0, {}, StepScale(40, 360))
    low = h["steps"].eq(40).to_numpy()
    at_top = -surrogate.means(space.encode(h[space.names]))[:, 0]
    assert np.all(at_top[low] > h.loc[low, "f1"] + 0.3)
    table = suggest(space, objs, h, 3, seed=1, n_initial=4, steps=StepScale(40, 360))
    assert len(table) == 3 and table["origin"].eq("model").all()
    assert (table["pred_mean_f1"] > 0.5).all()  # predicted for the top rung (0.5 above rung 0)


def test_warm_start_imports_the_trials_that_fit_and_reports_the_rest(tmp_path, caplog):
    from distilbo.search import SearchSpace
    from distilbo.study.suggest import warm_start_rows

    space = SearchSpace({"n_layers": {"type": "int", "low": 2, "high": 6},
                         "learning_rate": {"type": "real", "low": 1e-5, "high": 1e-3, "log": True}})
    pd.DataFrame({"round": [0, 0, 1], "trial": [0, 1, 0], "origin": ["baseline", "initial", "model"],
                  "n_layers": [6, 1, 4], "learning_rate": [1e-4, 1e-4, 3e-4], "span_f1": [60.0, 8.0, 50.0],
                  "status": "ok"}).to_parquet(tmp_path / "old.parquet")
    search = {"warm_start": [str(tmp_path / "old.parquet")]}
    with caplog.at_level("WARNING"):
        rows = warm_start_rows(search, space, student_steps=40)
    assert rows["n_layers"].tolist() == [6, 4] and rows["origin"].eq("warm_start").all()
    assert "row 1 (round 0, trial 1): n_layers=1 is outside" in caplog.text
    # a rung study compares trials trained within its rungs only
    rung_search = {**search, "fidelity": {"steps": [120, 360], "promotions": [1]}}
    assert len(warm_start_rows(rung_search, space, student_steps=40)) == 0
    assert len(warm_start_rows(rung_search, space, student_steps=120)) == 2


def _suggestions(path, origins):
    pd.DataFrame({"round": 0, "trial": range(len(origins)), "origin": origins, "n_layers": 2}).to_parquet(path)
    return str(path)


@pytest.mark.parametrize("low_rungs, sample", [(None, True), ("sample", True), ("all", False)])
def test_a_new_trial_is_a_cheap_look_and_the_baseline_trains_to_the_top(tmp_path, low_rungs, sample):
    fidelity = {**SEARCH["fidelity"], **({"low_rungs": low_rungs} if low_rungs else {})}
    search = {**SEARCH, "fidelity": fidelity}
    suggestions = _suggestions(tmp_path / "s.parquet", ["baseline", "initial"])
    _, new = plan_trial(search, 0, 1, str(tmp_path / "trial-1/metrics.json"), suggestions, None)
    assert new.where["rung"] == 0 and new.score_sample is sample and new.state == str(tmp_path / "trial-1/state.pt")
    _, base = plan_trial(search, 0, 0, str(tmp_path / "trial-0/metrics.json"), suggestions, None)
    assert base.where == {"round": 0, "trial": 0, "rung": 2, "steps": 360}
    assert base.budget == rung_training(SEARCH, 2) and base.state is None and not base.score_sample


def test_a_baseline_at_the_top_rung_is_no_candidate_below_it(tmp_path):
    base = _metrics(tmp_path / "round-0/trial-0/metrics.json", 0, 0, 60, {"n_layers": 6}, rung=2)
    new = _metrics(tmp_path / "round-0/trial-1/metrics.json", 0, 1, 30, {"n_layers": 2}, rung=0)
    table = promote(OBJECTIVES, [base, new], [], 0, 1, 120, slots=[2, 3], out=str(tmp_path / "p.parquet"))
    assert table["parent_trial"].tolist() == [1, -1]
    params = slot_params(str(tmp_path / "p.parquet"), 2, {})  # beside an empty slot, an integer stays one
    assert params["n_layers"] == 2 and isinstance(params["n_layers"], int)


def test_the_history_takes_each_trials_rung_from_its_metrics(tmp_path):
    suggestions = _suggestions(tmp_path / "s.parquet", ["baseline", "initial"])
    pd.DataFrame({"round": [0], "trial": [2], "rung": [1], "steps": [120], "origin": ["none"], "parent_round": [-1],
                  "parent_trial": [-1], "resume": [""]}).to_parquet(tmp_path / "p.parquet")
    paths = [_metrics(tmp_path / "m0.json", 0, 0, 60, {"n_layers": 6}, rung=2),
             _metrics(tmp_path / "m1.json", 0, 1, 30, {"n_layers": 2})]
    (tmp_path / "m2.json").write_text(json.dumps({"status": "skipped", "reason": "nothing"}))
    m0 = json.loads(pathlib.Path(paths[0]).read_text())
    pathlib.Path(paths[0]).write_text(json.dumps({**m0, "steps": 360}))
    history = observe_round(suggestions, [*paths, str(tmp_path / "m2.json")], None, str(tmp_path / "o.parquet"),
                            ["n_layers"], promotions=[str(tmp_path / "p.parquet")], first_steps=40)
    assert history["rung"].tolist() == [2, 0] and history["steps"].tolist() == [360, 40]


def test_the_frontier_holds_only_students_scored_on_every_question():
    history = pd.DataFrame({"round": 0, "trial": range(4), "status": "ok", "span_f1": [70.0, 60, 40, 50],
                            "num_parameters": [30, 10, 20, 25], "eval_questions": [200, 200, 1629, 1629]})
    rows = frontier_rows(history)
    assert rows["trial"].tolist() == [2, 3]
    assert frontier_rows(history.drop(columns="eval_questions"))["trial"].tolist() == [0, 1, 2, 3]
    assert frontier_rows(history.assign(eval_questions=np.nan))["trial"].tolist() == [0, 1, 2, 3]


def test_the_baseline_is_round_0s_first_trial_at_the_top_rung_and_no_candidate():
    search = {**SEARCH, "baseline": {"n_layers": 6}}
    assert [trial_rung(search, 0, i) for i in range(5)] == [2, 0, 1, 1, 2]
    assert [trial_rung(search, 1, i) for i in range(5)] == [0, 0, 1, 1, 2]
    assert [trial_rung(SEARCH, 0, i) for i in range(5)] == [0, 0, 1, 1, 2]  # no baseline stated
