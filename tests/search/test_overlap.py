"""Rounds that overlap and suggestions that weigh cost (issue 42): pending trials, the cost model,
and where a round's suggestions stand."""
import numpy as np
import pandas as pd
import pytest
from test_search_structure import SPACE, STATED, TEACHER, round_0, size

from distilbo.search import SearchSpace, objectives_from_config, suggest
from distilbo.search.acquisition import greedy_batch
from distilbo.search.cost import FLOOR, fit_cost
from distilbo.study.config import ConfigError, check_fidelity
from distilbo.study.plan import suggestion_basis


class Neighbours:
    """An acquisition of three candidates where 0 and 1 are the same bet (conditioning on either
    leaves the other nothing) and 2 is a smaller, independent one."""

    def __init__(self):
        self.values = np.array([1.0, 0.9, 0.5])

    def __call__(self):
        return self.values.copy()

    def condition(self, pick):
        if pick in (0, 1):
            self.values[[0, 1]] = 0.0
        self.values[pick] = 0.0


def test_a_pending_trial_is_conditioned_on_first_and_never_picked():
    picks, _ = greedy_batch(Neighbours(), 1, fallback=np.zeros(3), pending=np.array([0]))
    # excluded only, the pending trial's twin (0.9) would win; conditioned on, the other bet does
    assert picks == [2]
    assert greedy_batch(Neighbours(), 1, fallback=np.zeros(3))[0] == [0]


def test_a_pick_goes_by_value_per_cost():
    picks, values = greedy_batch(Neighbours(), 1, fallback=np.zeros(3), cost=np.array([4.0, 4.0, 1.0]))
    assert picks == [2] and values == [0.5]  # the value reported is the acquisition's, not per cost
    assert greedy_batch(Neighbours(), 1, fallback=np.zeros(3), cost=np.ones(3))[0] == [0]


def test_the_cost_model_is_affine_and_floored():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 10, (12, 1))
    seconds = 5.0 + 3.0 * x[:, 0]
    model = fit_cost(x, seconds)
    assert model.coef == pytest.approx([5.0, 3.0])
    assert model(np.array([[20.0]]))[0] == pytest.approx(65.0)
    assert model(np.array([[-100.0]]))[0] == pytest.approx(FLOOR * seconds.min())  # never free
    assert fit_cost(x[:2], seconds[:2]) is None  # too few timed trials to fit
    assert fit_cost(x, np.full(12, np.nan)) is None  # none timed (failed before training)


def _pending_round(history):
    return suggest(SearchSpace(SPACE), objectives_from_config(STATED, TEACHER), history, 4, seed=7, n_initial=4,
                   computed={"num_parameters": size})


def test_an_overlapped_round_1_is_a_design_that_avoids_round_0():
    """Round 1 of an overlapped study has no observation yet: a space-filling design again, without
    the baseline or any of round 0's points, which are pending."""
    pending = round_0()[list(SPACE)]
    table = suggest(SearchSpace(SPACE), objectives_from_config(STATED, TEACHER), None, 4, seed=1, n_initial=4,
                    baseline=pending.iloc[0].to_dict(), computed={"num_parameters": size}, pending=pending, replicates=2)
    assert len(table) == 4 and set(table["origin"]) == {"initial"}  # no baseline, no replicates
    keys = {tuple(r) for r in pending.round(12).to_numpy()}
    assert not keys & {tuple(r) for r in table[list(SPACE)].round(12).to_numpy()}


def test_pending_trials_count_towards_the_initial_design():
    history = round_0().iloc[:2]  # two observed ...
    pending = round_0().iloc[2:][list(SPACE)]  # ... and two still training: four, the design's size
    space, objectives = SearchSpace(SPACE), objectives_from_config(STATED, TEACHER)
    alone = suggest(space, objectives, history, 4, seed=1, n_initial=4, computed={"num_parameters": size})
    assert set(alone["origin"]) == {"initial"}
    table = suggest(space, objectives, history, 4, seed=1, n_initial=4, computed={"num_parameters": size},
                    pending=pending)
    assert set(table["origin"]) == {"model"}
    taken = {tuple(r) for r in round_0()[list(SPACE)].round(12).to_numpy()}
    assert not taken & {tuple(r) for r in table[list(SPACE)].round(12).to_numpy()}


def test_pending_trials_change_the_batch_the_model_picks():
    """Round 2 of an overlapped study: round 1's picks pending, the model picks elsewhere, and never
    the same students again."""
    history = round_0()
    first = _pending_round(history)
    space, objectives = SearchSpace(SPACE), objectives_from_config(STATED, TEACHER)
    second = suggest(space, objectives, history, 4, seed=7, n_initial=4, computed={"num_parameters": size},
                     pending=first[list(SPACE)])
    assert set(second["origin"]) == {"model"}
    a, b = ({tuple(r) for r in t[list(SPACE)].round(12).to_numpy()} for t in (first, second))
    assert not a & b


def test_cost_aware_suggestions_prefer_cheaper_students_once_trials_are_timed():
    """Training time grows steeply with size: picked per predicted second, the batch is smaller. The
    monotone structure is not stated: with it, round 0's cliff sends both batches to the same
    students (4 layers, most heads), and the cost has nothing left to choose between."""
    history = round_0()
    unstated = {name: {k: v for k, v in spec.items() if k != "monotone"} for name, spec in STATED.items()}
    space, objectives = SearchSpace(SPACE), objectives_from_config(unstated, TEACHER)
    timed = history.assign(train_seconds=1e-5 * (history["num_parameters"] - 15e6) ** 1.0)
    sizes = {}
    for cost_aware in (False, True):
        t = suggest(space, objectives, timed, 4, seed=3, n_initial=4, computed={"num_parameters": size},
                    cost_aware=cost_aware)
        sizes[cost_aware] = size(t).mean()
    assert sizes[True] < sizes[False]
    untimed = suggest(space, objectives, history, 4, seed=3, n_initial=4, computed={"num_parameters": size},
                      cost_aware=True)  # no train_seconds: nothing to fit, the same picks as without
    plain = suggest(space, objectives, history, 4, seed=3, n_initial=4, computed={"num_parameters": size})
    pd.testing.assert_frame_equal(untimed, plain)


@pytest.mark.parametrize("overlap, expected", [
    (0, [(None, []), (0, []), (1, []), (2, []), (3, [])]),
    (1, [(None, []), (None, [0]), (0, [1]), (1, [2]), (2, [3])]),
    (3, [(None, []), (None, [0]), (None, [0, 1]), (None, [0, 1, 2]), (0, [1, 2, 3])]),
])
def test_what_a_rounds_suggestions_stand_on(overlap, expected):
    assert [suggestion_basis({"overlap": overlap}, r) for r in range(5)] == expected


def test_overlap_and_rungs_do_not_combine_yet():
    search = {"overlap": 1, "fidelity": {"steps": [6, 12], "promotions": [1]}, "space": {}, "fixed": {}}
    with pytest.raises(ConfigError, match="search.overlap and search.fidelity"):
        check_fidelity(search, {"warmup_steps": 0})


def test_ask_without_tell_leaves_trials_pending_until_told():
    """Workers that ask as they free up: a second ask before the first batch is told suggests none
    of it again; telling a batch clears it from the pending ones."""
    from distilbo.search import Optimizer

    opt = Optimizer(SPACE, objectives_from_config(STATED, TEACHER), seed=0, n_initial=4,
                    computed={"num_parameters": size})
    first = opt.ask(4)
    opt.tell(first[list(SPACE)], {"span_f1": [60.0, 50.0, 40.0, 30.0]})
    second, third = opt.ask(2), opt.ask(2)
    assert len(opt.pending) == 4
    keys = [{tuple(r) for r in t[list(SPACE)].round(12).to_numpy()} for t in (first, second, third)]
    assert not keys[1] & keys[2] and not keys[0] & keys[2]
    opt.tell(second[list(SPACE)], {"span_f1": [55.0, 45.0]})
    assert len(opt.pending) == 2
    pd.testing.assert_frame_equal(opt.pending, third[list(SPACE)].reset_index(drop=True))
