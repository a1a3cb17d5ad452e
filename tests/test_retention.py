"""keep_models: frontier prunes only trials no later round can make a pick (issue 31, WIP)."""

import numpy as np
import pandas as pd
import pytest

from distilbo.frontier import pick_scenarios
from distilbo.retention import kept_trials
from distilbo.search.objectives import Objective

OBJS = [Objective("exact", "maximize", threshold=20.0), Objective("num_parameters", "minimize")]


def _history(seed, rounds=6, q=5):
    rng = np.random.default_rng(seed)
    n = rounds * q
    # coarse values: ties in size and in quality happen, as they do between real trials
    return pd.DataFrame({"round": np.repeat(np.arange(rounds), q), "trial": np.tile(np.arange(q), rounds),
                         "origin": ["baseline"] + ["bo"] * (n - 1),
                         "status": rng.choice(["ok", "ok", "ok", "failed"], n).tolist(),
                         "exact": rng.integers(0, 10, n) * 10.0, "num_parameters": rng.integers(1, 8, n) * 1e6})


@pytest.mark.parametrize("seed", range(20))
def test_no_pruned_trial_is_ever_a_later_pick(seed):
    history = _history(seed)
    history.loc[0, "status"] = "ok"
    pruned = set()
    for r in sorted(history["round"].unique()):
        upto = history[history["round"] <= r]
        kept = kept_trials(upto, OBJS, "exact", "num_parameters")
        every = set(map(tuple, upto[["round", "trial"]].to_numpy()))
        pruned |= every - kept
        picks = pick_scenarios(upto, OBJS, "exact", "num_parameters", 0.0, 1.0)
        picked = {(int(p["round"]), int(p["trial"])) for _, p in picks[picks["found"]].iterrows()}
        assert not picked & pruned, f"round {r}: picks {picked & pruned} were pruned"
    assert pruned, "the histories should give something to prune"
