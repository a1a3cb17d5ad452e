"""Surrogates: one GP per observed objective (scikit-optimize's GaussianProcessRegressor, Matern
kernel with noise), a feasibility model that learns where trials fail, and the Surrogate of a
study's objectives that the acquisitions draw from."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.stats import norm
from skopt.learning import GaussianProcessRegressor
from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from distilbo.records.labels import STATUS_OK
from distilbo.search.acquisition import Draws
from distilbo.search.objectives import ComputedFn, Objective, meets_constraints, optimized
from distilbo.search.pareto import non_dominated
from distilbo.search.space import SearchSpace
from distilbo.search.steps import StepScale

GP_RESTARTS = 0  # restarts cost a full fit each and rarely beat the default start (benchmarks/mobo.py)
# The ARD length scales start at this times sqrt(d) on the unit cube: a model as smooth in 12
# dimensions as in 6 (Hvarfner et al. 2024, "Vanilla Bayesian optimization performs great in high
# dimensions"); at 0.5 flat, 10-12 dimensional problems fitted rough models (benchmarks/README.md).
LENGTH_SCALE = 0.5
# An objective whose GP infers a noise sd above this share of its spread is noisy (noisy EHVI): at
# 0.1 it pays on the study-like problem and on noisy DTLZ2, and leaves noise-free problems, whose
# misfit the GP fits as a few percent of noise, exact (at 0.05 DTLZ2-int lost 0.11; benchmarks/README.md).
NOISY_SHARE = 0.1


def fit_gp(X: np.ndarray, y: np.ndarray, seed: int = 0, noise: float | None = None,
           trend: Trend | None = None) -> GaussianProcessRegressor | TrendedGP:
    """A GP on the unit cube: ARD Matern 5/2 times a constant, plus white noise (fitted, or fixed to
    `noise`, an sd in the units of y); y standardized; length scales fitted from LENGTH_SCALE * sqrt(d).
    With a `trend` (a monotone structure the study states), the GP models what the trend leaves."""
    if trend is not None and trend.dims:
        return TrendedGP(X, y, trend, seed, noise)
    d = X.shape[1]
    white = (WhiteKernel(1e-2, (1e-6, 1e0)) if noise is None
             else WhiteKernel(max((noise / max(float(np.std(y)), 1e-12)) ** 2, 1e-6), "fixed"))
    matern = Matern(length_scale=np.full(d, LENGTH_SCALE * np.sqrt(d)), length_scale_bounds=(1e-2, 1e2), nu=2.5)
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * matern + white
    # noise="gaussian": skopt zeroes the fitted white noise after fitting, so predictions are of the
    # latent function (what a trial's true value would be), not of one more noisy observation.
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=GP_RESTARTS, random_state=seed,
                                  noise="gaussian")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at the bounds are expected with few points
        gp.fit(X, y)
    return gp


@dataclass(frozen=True)
class Trend:
    """A structure the study states: the modelled values do not increase (sign -1) or do not
    decrease (+1) along some encoded dimensions. `dims`: their columns; `signs`: one per column."""

    dims: tuple[int, ...] = ()
    signs: tuple[int, ...] = ()


# The monotone warps a trend chooses from, per stated dimension: Kumaraswamy CDFs 1 - (1 - x^a)^b of
# the encoded value, (a, b) from this grid (identity at 1, 1). Concave, convex and S shapes let one
# slope be steep across a cliff and flat beside it.
WARP_SHAPES = (0.5, 1.0, 2.0, 4.0)
IDENTITY = (1.0, 1.0)
# Warps are chosen while a trend has at most this many points (four rounds of four), and the slope
# is linear after: early, the trend's reach to levels not yet tried is what steers the search, and a
# warp that holds the cliff keeps it off students below it and on those above; later the GP has seen
# the shape, and a warp kept on trusts its plateau (with warps at any size the hypervolume at 48
# trials was worse on every cliff; up to 16 it was better at 12, 24 and 48 trials; the GP itself
# sees the unwarped inputs, which kept more hypervolume: benchmarks/README.md, "Trends for a cliff").
WARP_MAX_POINTS = 16


def warp(x: np.ndarray, shape: tuple[float, float]) -> np.ndarray:
    if shape == IDENTITY:
        return x  # exactly: an unwarped trend is the linear one
    a, b = shape
    return 1.0 - (1.0 - np.clip(x, 0.0, 1.0) ** a) ** b


def signed_slopes(A: np.ndarray, y: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Least squares slopes of centred columns A with each slope's sign fixed (scipy's nnls)."""
    return nnls(A * signs, y)[0] * signs


def loo_error(A: np.ndarray, y: np.ndarray, signs: np.ndarray) -> float:
    """The trend's leave-one-out squared error: how well a warp predicts a student it has not seen."""
    err = 0.0
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        centre, level = A[keep].mean(axis=0), y[keep].mean()
        slopes = signed_slopes(A[keep] - centre, y[keep] - level, signs)
        err += float(level + (A[i] - centre) @ slopes - y[i]) ** 2
    return err


def choose_warps(X: np.ndarray, y: np.ndarray, dims: list[int], signs: np.ndarray) -> list[tuple[float, float]]:
    """Per stated dimension (one pass, in order), the warp whose trend predicts left-out points best
    (ties: the identity); the identity until a dimension has been seen at three values."""
    grid = [IDENTITY] + [(a, b) for a in WARP_SHAPES for b in WARP_SHAPES if (a, b) != IDENTITY]
    shapes = [IDENTITY] * len(dims)
    for j, d in enumerate(dims):
        if len(np.unique(X[:, d])) < 3:
            continue
        errors = [loo_error(warped_columns(X, dims, shapes[:j] + [shape] + shapes[j + 1:]), y, signs)
                  for shape in grid]
        shapes[j] = grid[int(np.argmin(errors))]
    return shapes


def warped_columns(X: np.ndarray, dims: list[int], shapes: list[tuple[float, float]]) -> np.ndarray:
    return np.column_stack([warp(X[:, d], shape) for d, shape in zip(dims, shapes)])


class TrendedGP:
    """A monotone trend plus a GP of what it leaves. The trend is linear in monotone warps of the
    stated dimensions (`warp`, chosen by leave-one-out error), least squares with each slope's sign
    fixed by the stated structure (scipy's nnls), so that away from the data the prediction follows
    the structure, not the mean of the data: a student with fewer layers than one that failed is not
    expected to pass. Predicts as the GP does (sklearn's predict)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, trend: Trend, seed: int = 0, noise: float | None = None):
        self.dims, self.signs = list(trend.dims), np.asarray(trend.signs, float)
        self.shapes = (choose_warps(X, y, self.dims, self.signs) if 3 < len(y) <= WARP_MAX_POINTS
                       else [IDENTITY] * len(self.dims))
        W = warped_columns(X, self.dims, self.shapes)
        self.centre, self.level = W.mean(axis=0), float(np.mean(y))
        self.slopes = (signed_slopes(W - self.centre, y - self.level, self.signs) if len(y) > 1
                       else np.zeros(len(self.dims)))
        self.gp = fit_gp(X, y - self.trend(X), seed, noise)
        self.noise_, self.y_train_std_ = self.gp.noise_, self.gp.y_train_std_

    def trend(self, X: np.ndarray) -> np.ndarray:
        return self.level + (warped_columns(X, self.dims, self.shapes) - self.centre) @ self.slopes

    def predict(self, X: np.ndarray, return_std: bool = False, return_cov: bool = False):
        out = self.gp.predict(X, return_std=return_std, return_cov=return_cov)
        if return_std or return_cov:
            return out[0] + self.trend(X), out[1]
        return out + self.trend(X)


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


def trend_of(space: SearchSpace, o: Objective) -> Trend | None:
    """The trend of `o`'s minimization values that its stated monotone structure implies."""
    if not o.monotone:
        return None
    dims = tuple(space.names.index(p) for p, _ in o.monotone)
    return Trend(dims, tuple(int(o.sign) * (1 if way == "increasing" else -1) for _, way in o.monotone))


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


@dataclass(frozen=True)
class Observed:
    """The successful observed points a front is drawn at: their encoded X, their minimization values
    [k, m] (every objective, constraints last) and whether each was measured at the top rung."""

    X: np.ndarray
    F: np.ndarray
    top: np.ndarray


class Surrogate:
    """What the search knows of a study's objectives at any point of the space: a GP per observed
    objective (on the encoded parameters, plus the encoded steps of a rung study), the computed
    objectives' exact functions, and the feasibility model.

    means(X): the minimization means at the top rung; draws(...): joint posterior draws at candidates
    with the front each draw implies; feasibility(X): P(trial succeeds)."""

    def __init__(self, space: SearchSpace, objectives: list[Objective], history: pd.DataFrame, seed: int,
                 computed: Mapping[str, ComputedFn], steps: StepScale | None = None):
        self.space, self.objectives, self.functions, self.steps = space, objectives, computed, steps
        self.dim, self.n_obj = space.dim, len(optimized(objectives))
        X = space.encode(history[space.names])
        ok = history["status"].eq(STATUS_OK).to_numpy()
        self.top = steps.encode(history["steps"]) >= 1 - 1e-9 if steps else np.ones(len(history), bool)
        inputs = self.inputs(X, steps.encode(history["steps"]) if steps else None)
        self.gps, self.spread = {}, {}
        for o in objectives:
            if o.source == "observed":
                y = o.to_min(history.loc[ok, o.name])
                finite = np.isfinite(y)
                self.gps[o.name] = fit_gp(inputs[ok][finite], y[finite], seed, o.noise_sd, trend_of(space, o))
                self.spread[o.name] = float(np.std(y[finite]))
        self.feasibility = FeasibilityModel(X, ok, seed)
        # replicated configurations tell the noise apart from the function (see noisy)
        self.replicated = bool(pd.DataFrame(inputs[ok]).duplicated().any())

    def inputs(self, X: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """The GP inputs of points of the space: in a rung study, their encoded steps appended (the
        top rung unless `z` says otherwise)."""
        if self.steps is None:
            return X
        return np.column_stack([X, np.ones(len(X)) if z is None else z])

    def noisy(self, o: Objective) -> bool:
        """Whether draws of `o` at observed points may differ from the observations (noisy EHVI): its
        noise is declared, shown by replicates, or inferred by its GP above NOISY_SHARE of its spread."""
        if o.source != "observed":
            return False
        return o.noise_sd is not None or self.replicated or noise_sd(self.gps[o.name]) > NOISY_SHARE * self.spread[o.name]

    def computed(self, o: Objective, X: np.ndarray) -> np.ndarray:
        return o.to_min(self.functions[o.name](self.space.decode(X)))

    def means(self, X: np.ndarray) -> np.ndarray:
        X = self.space.round_trip(X)
        return np.column_stack([posterior(self.gps[o.name], self.inputs(X))[0] if o.source == "observed"
                                else self.computed(o, X)
                                for o in optimized(self.objectives)])

    def draws(self, pool: np.ndarray, rng: np.random.Generator, observed: Observed, ref: np.ndarray,
              weight: np.ndarray | None = None, n: int = 64) -> Draws:
        """The posterior at the pool, as an acquisition takes it: [S, N, m] minimization draws, per
        candidate means and stds, per draw the front of the observed points; `ref` the reference
        point, `weight` each candidate's probability of succeeding (by default the surrogate's
        feasibility).

        Noisy EHVI (Daulton et al. 2021): for a noisy objective the front is drawn jointly with the
        candidates, at the observed points, so that improvement is measured against the front the GP
        believes in and not against observations that flatter the lucky trials; any other objective
        keeps its observed values there, where they were measured at the top rung (a point measured
        below it enters as the GP's draw of its top-rung value)."""
        k = len(observed.X)
        X = np.vstack([observed.X, pool])
        m = len(self.objectives)
        draws = np.empty((n, len(X), m))
        means, stds = np.empty((len(pool), m)), np.zeros((len(pool), m))
        for j, o in enumerate(self.objectives):
            exact = np.ones(k, bool)  # computed objectives: exact everywhere
            if o.source == "computed":
                means[:, j] = self.computed(o, pool)
                draws[:, k:, j] = means[None, :, j]
            else:
                gp = self.gps[o.name]
                means[:, j], stds[:, j] = posterior(gp, self.inputs(pool))
                exact = np.zeros(k, bool) if self.noisy(o) else observed.top
                at = pool if exact.all() else X  # the front is drawn with the candidates where it is not exact
                draws[:, len(X) - len(at):, j] = joint_samples(gp, self.inputs(at), n, rng)
            draws[:, :k, j] = np.where(exact, observed.F[:, j], draws[:, :k, j])
        weight = self.feasibility(pool) if weight is None else weight
        return Draws(draws[:, k:], self._fronts(draws[:, :k]), observed.F, ref, weight, self.objectives, means, stds)

    def _fronts(self, at_observed: np.ndarray) -> list[np.ndarray]:
        at_observed = np.where(np.isnan(at_observed), np.inf, at_observed)  # a missing score is no front point
        meets = meets_constraints(self.objectives, at_observed)
        fronts = []
        for s in range(len(at_observed)):
            F = at_observed[s, meets[s], :self.n_obj]
            F = F[np.all(np.isfinite(F), axis=1)]
            fronts.append(F[non_dominated(F)] if len(F) else F)
        return fronts
