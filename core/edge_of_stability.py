"""Book Fig 8.1 on a real (small) network: the gradient norm can grow while the cost falls.

A tanh MLP (4 -> 32 -> 32 -> 1) fits a smooth synthetic regression by full-batch gradient descent
at learning rate eps. Along the run we record the cost, ||g||, the curvature term g^T H g of the
Taylor ledger (book eq 8.10) and the sharpness lambda_max(H) by power iteration on exact
Hessian-vector products. Cohen et al. (2021, 'Gradient descent on neural networks typically
occurs at the Edge of Stability') report that the sharpness rises to about 2/eps and hovers there;
that is an empirical claim about networks, and this module only reports what this net does.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from core import mlp, mlp_buffered

SIZES = (4, 32, 32, 1)


def make_task(seed: int = 0, num_examples: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, I_4) (N, 4); y = sin(X w) + 1/2 cos(2 x_1) (N, 1) with w ~ N(0, I) from ``seed``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((num_examples, SIZES[0]))
    w = rng.standard_normal(SIZES[0])
    return X, (np.sin(X @ w) + 0.5 * np.cos(2 * X[:, 0]))[:, None]


class Result(NamedTuple):
    """history: one row per recorded step, columns step, cost, grad_norm, gHg (g^T H g),
    sharpness (lambda_max(H)); diverged_at: the step where the run left the finite numbers or
    its cost passed 1e6 (None if it did not)."""

    history: pd.DataFrame
    diverged_at: int | None


def train(learning_rate: float = 0.15, num_steps: int = 1500, seed: int = 0, every: int = 50,
          power_iters: int = 8) -> Result:
    """Full-batch gradient descent on :func:`make_task`, measuring curvature every ``every`` steps.

    The power iteration is warm-started from the previous top eigenvector, so ``power_iters``
    iterations per measurement are enough once the run is under way (the first uses 4x as many).
    """
    X, y = make_task(seed)
    theta = mlp.init_params(SIZES, np.random.default_rng(seed + 1))
    rng = np.random.default_rng(seed + 2)
    loss_and_grad = mlp_buffered.loss_and_grad_fn(X, y, SIZES)  # mlp's numbers, cheaper
    hvp = mlp_buffered.hvp_fn(X, y, SIZES)
    product = functools.partial(hvp, theta)  # v -> H v at theta (updated in place below)
    step = np.empty_like(theta)
    rows, v, diverged_at = [], None, None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(int(num_steps) + 1):
            cost, g = loss_and_grad(theta)
            gn = math.sqrt(g.dot(g))  # np.linalg.norm(g) of a vector, without its checks
            if not (math.isfinite(cost) and math.isfinite(gn)) or cost > 1e6:
                diverged_at = k
                break
            if k % every == 0 or k == num_steps:
                iters = power_iters if v is not None else 4 * power_iters
                lam, v = mlp.sharpness(theta, X, y, SIZES, num_iters=iters, rng=rng, v0=v,
                                       product=product)
                gHg = float(g @ hvp(theta, g))
                rows.append((k, float(cost), gn, gHg, lam))
            theta -= np.multiply(learning_rate, g, out=step)  # in place: the same numbers
    hist = pd.DataFrame(rows, columns=["step", "cost", "grad_norm", "gHg", "sharpness"])
    finite = np.isfinite(hist[["gHg", "sharpness"]]).all(axis=1)
    return Result(hist[finite].reset_index(drop=True), diverged_at)


class Summary(NamedTuple):
    """What the run did, in numbers: ``grad_growth`` = ||g|| at the end / its smallest value on the
    way; ``cost_fall`` = the cost at that smallest-gradient step / the final cost (> 1: the cost kept
    falling while the gradient grew); sharpness at the start and end against ``edge`` = 2/eps."""

    grad_growth: float
    cost_fall: float
    sharpness_start: float
    sharpness_end: float
    edge: float


def summarize(result: Result, learning_rate: float) -> Summary:
    h = result.history
    if len(h) == 0:
        nan = float("nan")
        return Summary(nan, nan, nan, nan, 2.0 / learning_rate)
    i = int(h["grad_norm"].to_numpy().argmin())
    return Summary(float(h["grad_norm"].iloc[-1] / h["grad_norm"].iloc[i]),
                   float(h["cost"].iloc[i] / h["cost"].iloc[-1]),
                   float(h["sharpness"].iloc[0]), float(h["sharpness"].iloc[-1]),
                   2.0 / learning_rate)
