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


_RUN_LOG = """Select jobs to execute...
[Mon Dec  7 05:00:00 2026]
localrule prepare_data:
    output: results/data/train.parquet
    jobid: 2
[Mon Dec  7 05:00:30 2026]
Finished jobid: 2 (Rule: prepare_data)
[Mon Dec  7 05:01:00 2026]
rule distill:
    jobid: 7
    wildcards: r=0, i=0
[Mon Dec  7 05:02:00 2026]
rule distill:
    jobid: 8
[Mon Dec  7 05:03:00 2026]
localrule progress:
    jobid: 9
[Mon Dec  7 05:04:00 2026]
Finished jobid: 7 (Rule: distill)
[Mon Dec  7 05:04:00 2026]
Finished jobid: 9 (Rule: progress)
[Mon Dec  7 05:06:00 2026]
Finished jobid: 8 (Rule: distill)
[Mon Dec  7 05:08:00 2026]
rule distill:
    jobid: 10
[Mon Dec  7 05:09:00 2026]
Finished jobid: 10 (Rule: distill)
[Mon Dec  7 05:09:00 2026]
localrule all:
    jobid: 0
[Mon Dec  7 05:09:00 2026]
Finished jobid: 0 (Rule: all)
"""


def test_the_study_time_table_counts_a_stage_only_while_its_jobs_run():
    study_time = _benchmark("study_time")
    jobs = study_time.job_times(_RUN_LOG)
    assert list(jobs["rule"]) == ["prepare_data", "distill", "progress", "distill", "distill", "all"]
    assert list(jobs["seconds"]) == [30, 180, 60, 240, 60, 0]
    stages = {"prepare_data": "data", "distill": "search", "progress": "report"}
    table = study_time.stage_table(jobs, stages).set_index("stage")
    # distill ran 05:01-05:06 (two jobs overlapping) and 05:08-05:09: 6 busy minutes of a 8-minute span
    assert table.loc["search", "wall min"] == 6.0 and table.loc["search", "job min"] == 8.0
    assert table.loc["report", "wall min"] == 1.0 and table.loc["data", "jobs"] == 1
    assert list(table.index) == ["data", "search", "report", "all"]  # in the order stages began; `all` not a job
    assert table.loc["all", "wall min"] == 9.0 and table.loc["all", "jobs"] == 5


def test_the_study_time_stages_are_the_rule_files_of_a_checkout(tmp_path):
    study_time = _benchmark("study_time")
    (tmp_path / "search.smk").write_text("rule suggest:\n    input: x\n\n\nrule distill:\n    output: y\n")
    (tmp_path / "data.smk").write_text("# rule not_a_rule: in a comment\nrule prepare_data:\n")
    assert study_time.rule_stages(tmp_path) == {"suggest": "search", "distill": "search", "prepare_data": "data"}
