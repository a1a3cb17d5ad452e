"""The search space: encoding, snapping, and mistakes refused by name."""

import numpy as np
import pandas as pd
import pytest
from problems import SPEC

from distilbo.search import SearchSpace, suggest
from distilbo.search.objectives import Objective
from distilbo.search.space import SpaceError


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

