"""Parameter importance: random-forest impurity importance over bootstrap resamples of the trial
history (mean and standard deviation across resamples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from distilbo.search.space import SearchSpace
from distilbo.study.metrics import STATUS_OK


def importance(history: pd.DataFrame, space: SearchSpace, metric: str, n_boot: int = 20, seed: int = 0) -> pd.DataFrame:
    """One row per parameter: mean and std of its share of the forest's variance reduction.
    Uses successful trials; parameters are encoded to [0, 1] (log scales as searched)."""
    ok = history[history["status"].eq(STATUS_OK) & history[metric].notna()]
    if len(ok) < 4:
        return pd.DataFrame({"parameter": space.names, "importance": np.nan, "std": np.nan, "metric": metric})
    X, y = space.encode(ok[space.names]), ok[metric].to_numpy(float)
    rng = np.random.default_rng(seed)
    shares = []
    for b in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=2, random_state=b).fit(X[idx], y[idx])
        shares.append(forest.feature_importances_)
    shares = np.array(shares)
    return pd.DataFrame({"parameter": space.names, "importance": shares.mean(0), "std": shares.std(0), "metric": metric})
