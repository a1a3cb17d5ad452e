"""Parameter importance: for an observed metric, random-forest impurity importance over bootstrap
resamples of the trial history (mean and standard deviation across resamples); for a computed one,
variance-based importance from its formula (total-effect Sobol indices over the search space)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from distilbo.records.metrics import STATUS_OK
from distilbo.search.objectives import ComputedFn
from distilbo.search.space import SearchSpace


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


def formula_importance(space: SearchSpace, fn: ComputedFn, metric: str, n: int = 1024, seed: int = 0) -> pd.DataFrame:
    """One row per parameter: its share of the total-effect Sobol indices of `fn` (a computed metric's
    function of the parameters) over the space as searched (uniform on the encoded cube), by Jansen's
    pick-freeze estimator on a scrambled Sobol design. A parameter the formula does not read scores
    exactly 0, whatever a forest over a dozen trials would credit it with; `std` is the spread of
    the shares over 20 bootstrap resamples of the design."""
    from scipy.stats import qmc

    d = space.dim
    AB = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(int(np.ceil(np.log2(max(n, 2)))))
    A, B = AB[:, :d], AB[:, d:]
    f_A = np.asarray(fn(space.decode(A)), dtype=float)
    squared = np.empty((d, len(A)))
    for i in range(d):
        A_Bi = A.copy()
        A_Bi[:, i] = B[:, i]
        squared[i] = (f_A - np.asarray(fn(space.decode(A_Bi)), dtype=float)) ** 2
    rng = np.random.default_rng(seed)
    boots = [_shares(squared[:, idx]) for idx in (rng.integers(0, len(A), len(A)) for _ in range(20))]
    return pd.DataFrame({"parameter": space.names, "importance": _shares(squared), "std": np.std(boots, axis=0),
                         "metric": metric})


def _shares(squared: np.ndarray) -> np.ndarray:
    """Total-effect indices (up to the common variance factor) as shares of their sum."""
    total = squared.mean(axis=1)
    return total / total.sum() if total.sum() > 0 else np.zeros(len(total))
