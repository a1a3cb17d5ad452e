"""The report on realistic synthetic study tables (no model, no workflow)."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from distilbo.records.metrics import ERROR_KINDS
from distilbo.report.build import build_report, error_tables
from distilbo.search.objectives import Objective
from distilbo.study.frontier import pick_scenarios

SPACE = {"n_layers": {"type": "int", "low": 1, "high": 6}, "n_heads": {"type": "int", "low": 1, "high": 12},
         "alpha_ce": {"type": "real", "low": 0.0, "high": 1.0},
         "learning_rate": {"type": "real", "low": 1e-5, "high": 1e-3, "log": True}}
OBJS = [Objective("exact", "maximize", threshold=50.0), Objective("num_parameters", "minimize")]
FRONTIER = {"quality": "exact", "size": "num_parameters", "quality_tolerance": 1.0}


def synthetic_study(tmp_path, n_rounds=4, q=5, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_rounds):
        for t in range(q):
            layers, heads = int(rng.integers(1, 7)), int(rng.integers(1, 13))
            params = dict(n_layers=layers, n_heads=heads, alpha_ce=float(rng.random()),
                          learning_rate=float(10 ** rng.uniform(-5, -3)))
            if r == 0 and t == 0:
                params = dict(n_layers=6, n_heads=12, alpha_ce=0.5, learning_rate=1e-4)
            size = 12e6 + params["n_layers"] * (1.2e6 + params["n_heads"] * 0.05e6)
            exact = 45 + 2.5 * params["n_layers"] + 3 * params["alpha_ce"] + rng.normal(0, 1)
            failed = r == 2 and t == 1
            rows.append(dict(round=r, trial=t, origin="baseline" if (r, t) == (0, 0) else "model",
                             status="failed" if failed else "ok", reason="loss became nan" if failed else "",
                             exact=np.nan if failed else exact, f1=np.nan if failed else exact + 2,
                             num_parameters=size, **params))
    history = pd.DataFrame(rows)
    paths = {"history": tmp_path / "obs.parquet", "scenarios": tmp_path / "scen.parquet",
             "teacher_metrics": tmp_path / "teacher.json", "eval_questions": tmp_path / "eval.parquet",
             "curves": {}, "predictions": {}}
    history.to_parquet(paths["history"])
    pick_scenarios(history, OBJS, "exact", "num_parameters", 0.01, 0.5).to_parquet(paths["scenarios"])
    paths["teacher_metrics"].write_text(json.dumps({"init": "minilm", "exact": 62.0, "f1": 65.0, "num_parameters": 22.6e6}))
    ids = [f"q{i}" for i in range(60)]
    pd.DataFrame({"id": ids, "question": [f"question {i}?" for i in ids]}).to_parquet(paths["eval_questions"])
    for r, t in history[["round", "trial"]].itertuples(index=False):
        key = f"round-{r}/trial-{t}"
        curve = pd.DataFrame({"step": [50, 100, 150], "loss": [3.0, 2.0, 1.5], "exact": [50, 55, 58],
                              "HasAns_exact": [0, 20, 30], "NoAns_exact": [100, 90, 85]})
        cats = rng.choice(ERROR_KINDS, size=60, p=[0.55, 0.1, 0.15, 0.1, 0.1])
        preds = pd.DataFrame({"id": ids, "title": rng.choice(["Force", "Warsaw", "Normans"], 60),
                              "prediction": np.where(cats == "label_has_answer", "", "some answer"),
                              "gold_answers": [["gold"] if c != "label_has_no_answer" else [] for c in cats],
                              "category": cats})
        paths["curves"][key] = tmp_path / f"curve-{r}-{t}.parquet"
        paths["predictions"][key] = tmp_path / f"pred-{r}-{t}.parquet"
        curve.to_parquet(paths["curves"][key])
        preds.to_parquet(paths["predictions"][key])
    return history, paths


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    history, paths = synthetic_study(tmp)
    page = build_report(paths, {"space": SPACE}, FRONTIER, OBJS, tmp / "report")
    return history, page


def test_page_has_every_section_with_content(built):
    _, page = built
    text = page.read_text()
    titles = re.findall(r"<h2>(.*?)</h2>", text)
    assert titles == ["Summary", "The frontier", "Scenarios against the baseline", "Hypervolume per round",
                      "Parameter importance", "Parallel coordinates", "Every trial", "Training curves",
                      "Error analysis of the best model"]
    assert text.count('<img src="data:image/png;base64,') == 6  # self-contained: figures embedded
    assert not re.search(r"<script[^>]*\bsrc=", text) and text.count("* plotly.js v") == 1  # plotly once, inline
    assert "round 2, trial 1: loss became nan" in text  # failed trials listed
    for name in ["frontier", "hypervolume", "importance", "parallel", "curves", "errors"]:
        assert (page.parent / "figures" / f"{name}.png").stat().st_size > 5000


def test_frontier_table_is_the_pareto_set(built):
    history, page = built
    front = pd.read_csv(page.parent / "tables" / "frontier.csv")
    ok = history[history["status"].eq("ok") & (history["exact"] >= 50)]
    brute = {(r, t) for r, t, e, s in ok[["round", "trial", "exact", "num_parameters"]].itertuples(index=False)
             if not ((ok["exact"] >= e) & (ok["num_parameters"] <= s) & ((ok["exact"] > e) | (ok["num_parameters"] < s))).any()}
    assert set(map(tuple, front[["round", "trial"]].to_numpy())) == brute


def test_summary_counts(built):
    history, page = built
    text = page.read_text()
    below = int((history["status"].eq("ok") & (history["exact"] < 50)).sum())
    assert "<dt>failed</dt><dd>1</dd>" in text and f"<dt>below threshold</dt><dd>{below}</dd>" in text


def test_the_baseline_counts_are_of_students_a_reader_can_use(built):
    history, page = built
    text = page.read_text()
    base = history.iloc[0]
    others = history[history["status"].eq("ok")].iloc[1:]
    smaller = others["num_parameters"] < base["num_parameters"]
    near, better = others["exact"] >= base["exact"] - 1.0, others["exact"] > base["exact"]
    assert 0 < (smaller & near).sum() < smaller.sum()  # the synthetic study has both kinds
    assert f"<dt>smaller, within 1 of its exact</dt><dd>{(smaller & near).sum()} of {len(others)}</dd>" in text
    assert f"<dt>smaller and better</dt><dd>{(smaller & better).sum()} of {len(others)}</dd>" in text
    assert "smaller or better" not in text  # true of nearly every trial where the space tops out at the baseline


def _size(table):
    return 12e6 + table["n_layers"].to_numpy(float) * (1.2e6 + table["n_heads"].to_numpy(float) * 0.05e6)


def test_a_computed_metric_is_important_by_its_formula_only():
    from distilbo.report.importance import formula_importance
    from distilbo.search import SearchSpace

    table = formula_importance(SearchSpace(SPACE), _size, "num_parameters").set_index("parameter")
    assert table.loc[["alpha_ce", "learning_rate"], "importance"].eq(0).all()  # not read by the formula
    assert table["importance"].sum() == pytest.approx(1.0)
    # layers move the size more than heads (1.2M + 0.05M x heads a layer, against 0.05M x layers a head)
    assert table.at["n_layers", "importance"] > 3 * table.at["n_heads", "importance"] > 0


def test_the_report_takes_a_computed_metrics_importance_from_its_table(tmp_path):
    from distilbo.report.importance import formula_importance
    from distilbo.search import SearchSpace

    history, paths = synthetic_study(tmp_path)
    exact = formula_importance(SearchSpace(SPACE), _size, "num_parameters")
    exact.to_parquet(tmp_path / "computed.parquet")
    objectives = [OBJS[0], Objective("num_parameters", "minimize", source="computed")]
    page = build_report({**paths, "computed_importance": tmp_path / "computed.parquet"}, {"space": SPACE}, FRONTIER,
                        objectives, tmp_path / "report")
    shown = pd.read_csv(page.parent / "tables" / "importance.csv")
    np.testing.assert_allclose(shown[shown["metric"].eq("num_parameters")]["importance"], exact["importance"])
    forest = shown[shown["metric"].eq("exact")].set_index("parameter")["importance"]
    assert len(forest) == len(SPACE) and forest.gt(0).all()  # the observed metric keeps the forest's


def test_error_kinds_add_up_to_the_wrong_answers():
    rng = np.random.default_rng(3)
    cats = rng.choice(ERROR_KINDS, size=200)
    preds = pd.DataFrame({"id": range(200), "title": rng.choice(list("ABCD"), 200), "category": cats,
                          "prediction": "x", "gold_answers": [["x"]] * 200})
    shares, examples = error_tables(preds)
    counts = preds.groupby("title").size()
    wrong_shares = shares[list(ERROR_KINDS[1:])].sum(axis=1)
    expected = preds[preds["category"] != "correct"].groupby("title").size() / counts
    pd.testing.assert_series_equal(wrong_shares, expected, check_names=False)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert set(examples["category"]) == set(ERROR_KINDS[1:]) and examples.groupby("category").size().max() <= 3


def test_the_deployment_table_pairs_each_trials_variants(tmp_path):
    from distilbo.report.deployment import variant_table

    # trial 0 entered the history as both variants, trial 1 as its int8 one only
    history = pd.DataFrame({"round": [0, 0, 0, 1], "trial": [0, 0, 1, 0], "status": ["ok", "ok", "ok", "failed"],
                            "precision": ["fp32", "int8", "int8", "fp32"],
                            "origin": ["baseline", "variant", "initial", "model"]})
    dirs = {}
    for r, i, f32, i8 in [(0, 0, 60.0, 59.5), (0, 1, 40.0, 41.0)]:
        d = tmp_path / f"round-{r}" / f"trial-{i}" / "deploy"
        d.mkdir(parents=True)
        (d / "variants.json").write_text(json.dumps({"status": "ok", "fp32": {"size_mb": 90.0, "span_f1": f32},
                                                     "int8": {"size_mb": 23.0, "span_f1": i8}}))
        dirs[f"round-{r}/trial-{i}"] = str(d)
    timed = pd.DataFrame({"round": [0] * 4, "trial": [0, 0, 1, 1], "precision": ["fp32", "int8"] * 2,
                          "latency_ms": [70.0, 45.0, 50.0, 30.0], "latency_iqr_ms": [5.0] * 4})
    table = variant_table(history, dirs, timed, "span_f1").set_index(["round", "trial", "precision"])
    assert len(table) == 4  # the failed trial has no variants
    assert table.loc[(0, 0, "fp32"), "candidate"] and table.loc[(0, 0, "int8"), "candidate"]
    assert table.loc[(0, 1, "int8"), "candidate"] and not table.loc[(0, 1, "fp32"), "candidate"]
    assert table.loc[(0, 1, "int8"), "latency_ms"] == 30.0 and table.loc[(0, 1, "int8"), "size_mb"] == 23.0
    assert table.loc[(0, 0, "int8"), "int8_loss"] == pytest.approx(0.5)
    assert table.loc[(0, 1, "fp32"), "int8_loss"] == pytest.approx(-1.0)


def test_the_frontier_shows_what_its_configurations_are_expected_to_score(built):
    from distilbo.search import SearchSpace
    from distilbo.search.expected import expected_front, expected_scores

    history, page = built
    front = pd.read_csv(page.parent / "tables" / "frontier.csv")
    text = page.read_text()
    assert "expected_exact" in front and "Measured and expected" in text
    ok = history[history["status"].eq("ok")]
    by_mean = expected_front(expected_scores(SearchSpace(SPACE), OBJS, history, ok)[0], OBJS)
    differ = set(by_mean["trial"] + 100 * by_mean["round"]) != set(front["trial"] + 100 * front["round"])
    assert ("By posterior means the frontier differs" in text) == differ


def test_a_lucky_run_is_expected_lower_than_it_measured(tmp_path):
    from distilbo.search import SearchSpace
    from distilbo.search.expected import expected_scores

    history, _ = synthetic_study(tmp_path, n_rounds=12)  # exact has noise of sd 1
    i = history.index[history["status"].eq("ok")][5]
    history.loc[i, "exact"] += 8
    rows, noise = expected_scores(SearchSpace(SPACE), OBJS, history, history.loc[[i]])
    assert 0.5 < noise["exact"] < 2.0
    assert rows["exact"].iat[0] - rows["expected_exact"].iat[0] > noise["exact"]


def test_each_point_says_what_the_trial_is_and_the_picks_link_their_cards(tmp_path):
    history, paths = synthetic_study(tmp_path)
    page = build_report(paths, {"space": SPACE}, FRONTIER, OBJS, tmp_path / "report",
                        card_link="../frontier/models/{scenario}/README.md").read_text()
    # the baseline's point: its round and trial, every searched parameter, its scores, size and steps
    hover = re.search(r"round 0, trial 0[^\"]*", page).group(0)
    for needle in ("n_layers: 6", "n_heads: 12", "alpha_ce: 0.5", "learning_rate: 0.0001", "exact: ",
                   "num_parameters: ", "steps: 150", "status: ok"):
        assert needle in hover, (needle, hover)
    assert '<a href="../frontier/models/baseline/README.md">baseline</a>' in page
    assert "plotly_click" in page  # a click on a pick's point opens its card
    # the trial table: every trial, the failed one with its reason
    table = page.split('id="trials"')[1] if 'id="trials"' in page else page.split("id='trials'")[1]
    assert table.count("<tr><td>") == len(history) and "loss became nan" in table
    without = build_report(paths, {"space": SPACE}, {**FRONTIER, "export": False}, OBJS, tmp_path / "r2",
                           card_link="../frontier/models/{scenario}/README.md").read_text()
    assert "README.md" not in without  # no exported picks, no links to them


def test_a_cheap_look_is_drawn_apart_and_says_how_many_questions_it_scored():
    from distilbo.report.interactive import frontier_plot
    from distilbo.search.pareto import pareto_front
    from distilbo.study.history import frontier_rows

    history = pd.DataFrame({"round": 0, "trial": range(3), "status": "ok", "span_f1": [80.0, 50, 40],
                            "num_parameters": [5.0, 20, 10], "steps": [40, 160, 160],
                            "eval_questions": [200, 1629, 1629], "n_layers": [2, 6, 4]})
    objectives = [Objective("span_f1", "maximize"), Objective("num_parameters", "minimize")]
    front = pareto_front(frontier_rows(history), objectives)
    page = frontier_plot(history, front, "span_f1", "num_parameters", None, ["n_layers"], {})
    assert set(front["trial"]) == {1, 2}  # the look would dominate both
    assert "cheap looks (rungs below the top, 200 questions)" in page
    assert re.search(r"round 0, trial 0[^\"]*eval_questions: 200", page)
