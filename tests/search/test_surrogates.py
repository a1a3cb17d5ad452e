"""The GP surrogates: the noise they learn or are told, replicated configurations."""

import numpy as np
import pytest
from problems import lucky_history

from distilbo.search import SearchSpace, suggest
from distilbo.search.objectives import Objective


def test_the_gp_learns_the_noise_level_from_replicates():
    from distilbo.search.surrogate import fit_gp, noise_sd

    rng = np.random.default_rng(0)
    X = np.repeat(rng.random((30, 2)), 3, axis=0)  # each configuration run three times
    for true_sd in (0.02, 0.1):
        y = np.sin(3 * X[:, 0]) + X[:, 1] + rng.normal(0, true_sd, len(X))
        assert noise_sd(fit_gp(X, y)) == pytest.approx(true_sd, rel=0.3)


def test_a_replicated_configuration_is_two_observations_not_an_error():
    space = SearchSpace({"a": {"type": "real", "low": 0.0, "high": 1.0}, "b": {"type": "real", "low": 0.0, "high": 1.0}})
    objectives = [Objective("f1", "minimize", 1.1), Objective("f2", "minimize", 1.1)]
    table = suggest(space, objectives, lucky_history(), 4, seed=0, n_initial=4)
    assert len(table) == 4 and not table[["a", "b"]].duplicated().any()
    assert table["origin"].eq("model").all()


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

