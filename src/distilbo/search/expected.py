"""What the surrogates expect of the configurations a study ran: the GP posterior mean of each
observed objective at a row's parameters, and the noise the GP fitted.

A frontier point is a saved model whose scores were measured, so the frontier keeps observed values;
the posterior mean says what training that configuration again would give on average. The report
shows the frontier by posterior means too, when its members differ."""

from __future__ import annotations

import numpy as np
import pandas as pd

from distilbo.records.labels import STATUS_OK
from distilbo.search.objectives import Objective
from distilbo.search.pareto import pareto_front
from distilbo.search.space import SearchSpace
from distilbo.search.steps import StepScale
from distilbo.search.surrogate import fit_gp, noise_sd, posterior, trend_of

EXPECTED_PREFIX = "expected_"


def expected_scores(space: SearchSpace, objectives: list[Objective], history: pd.DataFrame,
                    rows: pd.DataFrame, steps: StepScale | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """`rows` with an expected_<name> column per observed objective, and the fitted noise sd of each.
    With `steps` (a rung study's scale) the GPs also take each row's steps, and a row is expected at its own."""
    ok = history[history["status"].eq(STATUS_OK)]
    X, at = space.encode(ok[space.names]), space.encode(rows[space.names])
    if steps is not None:
        X = np.column_stack([X, steps.encode(ok["steps"])])
        at = np.column_stack([at, steps.encode(rows["steps"])])
    out, noise = rows.copy(), {}
    for o in objectives:
        if o.source != "observed":
            continue
        y = o.to_min(ok[o.name])
        finite = np.isfinite(y)
        if finite.sum() < 3:
            continue
        gp = fit_gp(X[finite], y[finite], noise=o.noise_sd, trend=trend_of(space, o))
        out[f"{EXPECTED_PREFIX}{o.name}"] = o.sign * posterior(gp, at)[0] if len(at) else []
        noise[o.name] = noise_sd(gp)
    return out, noise


def expected_front(expected: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """The Pareto set of `expected` (rows of expected_scores) judged by their posterior means."""
    by_mean = expected.assign(**{o.name: expected[f"{EXPECTED_PREFIX}{o.name}"] for o in objectives
                                 if f"{EXPECTED_PREFIX}{o.name}" in expected})
    return expected.loc[pareto_front(by_mean, objectives).index]
