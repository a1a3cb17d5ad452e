"""Surrogates: one GP per observed objective (scikit-optimize's GaussianProcessRegressor, Matern
kernel with noise) and a feasibility model that learns where trials fail."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm
from skopt.learning import GaussianProcessRegressor
from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel


GP_RESTARTS = 0  # restarts cost a full fit each and rarely beat the default start (benchmarks/mobo.py)
# The ARD length scales start at this times sqrt(d) on the unit cube: a model as smooth in 12
# dimensions as in 6 (Hvarfner et al. 2024, "Vanilla Bayesian optimization performs great in high
# dimensions"); at 0.5 flat, 10-12 dimensional problems fitted rough models (benchmarks/README.md).
LENGTH_SCALE = 0.5


def fit_gp(X: np.ndarray, y: np.ndarray, seed: int = 0, noise: float | None = None) -> GaussianProcessRegressor:
    """A GP on the unit cube: ARD Matern 5/2 times a constant, plus white noise (fitted, or fixed to
    `noise`, an sd in the units of y); y standardized; length scales fitted from LENGTH_SCALE * sqrt(d)."""
    d = X.shape[1]
    white = (WhiteKernel(1e-2, (1e-6, 1e0)) if noise is None
             else WhiteKernel(max((noise / max(float(np.std(y)), 1e-12)) ** 2, 1e-6), "fixed"))
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(length_scale=np.full(d, LENGTH_SCALE * np.sqrt(d)), length_scale_bounds=(1e-2, 1e2), nu=2.5) + white
    # noise="gaussian": skopt zeroes the fitted white noise after fitting, so predictions are of the
    # latent function (what a trial's true value would be), not of one more noisy observation.
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=GP_RESTARTS, random_state=seed,
                                  noise="gaussian")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at the bounds are expected with few points
        gp.fit(X, y)
    return gp


def noise_sd(gp: GaussianProcessRegressor) -> float:
    """The observation noise the GP fitted (its white kernel), in the units of y: a study's
    replicates and its scatter teach it how far one trial's score is from the configuration's."""
    return float(np.sqrt(gp.noise_ or 0.0) * gp.y_train_std_)


def posterior(gp: GaussianProcessRegressor, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skopt warns when round-off makes a variance negative; clipped below
        mean, std = gp.predict(X, return_std=True)
    return mean, np.maximum(std, 1e-12)


def joint_samples(gp: GaussianProcessRegressor, X: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of the GP's latent function (noise excluded) jointly at the rows of X: [n, len(X)]."""
    mean, cov = gp.predict(X, return_cov=True)
    cov = 0.5 * (cov + cov.T) + 1e-9 * np.eye(len(X)) * max(1.0, float(np.mean(np.diag(cov))))
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        L = v * np.sqrt(np.clip(w, 0, None))
    return mean[None, :] + rng.standard_normal((n, len(X))) @ L.T


class FeasibilityModel:
    """P(trial succeeds) at x: a GP regression on +1 (ok) / -1 (failed) labels squashed through
    the normal CDF; 1 everywhere until a failure has been seen."""

    def __init__(self, X: np.ndarray, ok: np.ndarray, seed: int = 0):
        self.gp = None
        if len(X) and not ok.all():
            self.gp = fit_gp(X, np.where(ok, 1.0, -1.0), seed)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.gp is None:
            return np.ones(len(X))
        mean, std = posterior(self.gp, X)
        return norm.cdf(mean / np.sqrt(1.0 + std**2))
