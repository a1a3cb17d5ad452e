"""What a trial costs to run: its training seconds, predicted by an affine model of what they grow
with (as BoTorch's MOMF weighs its acquisition by an affine cost model). A student's training time
grows with its non-embedding size, which the computed objectives (its exact size) carry: the model
is affine in them, or in the encoded parameters when a study computes none."""

from __future__ import annotations

import numpy as np

# the trials with a recorded time a model needs, more than the features it fits
MIN_TRIALS = 3
# a prediction never falls below this share of the cheapest trial seen: an extrapolated affine
# model can reach zero, and a trial that costs nothing would win any ratio
FLOOR = 0.5


class CostModel:
    """seconds = a + features @ b, fitted by least squares to the recorded trials."""

    def __init__(self, features: np.ndarray, seconds: np.ndarray):
        A = np.column_stack([np.ones(len(features)), features])
        self.coef = np.linalg.lstsq(A, seconds, rcond=None)[0]
        self.floor = FLOOR * float(np.min(seconds))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """[N] predicted seconds of the trials of `features` [N, k]."""
        return np.maximum(self.coef[0] + features @ self.coef[1:], self.floor)


def fit_cost(features: np.ndarray, seconds: np.ndarray) -> CostModel | None:
    """The cost model of the trials with a recorded time (None when too few have one to fit it)."""
    seconds = np.asarray(seconds, dtype=float)
    timed = np.isfinite(seconds) & (seconds > 0)
    if timed.sum() < max(MIN_TRIALS, features.shape[1] + 2):
        return None
    return CostModel(features[timed], seconds[timed])
