"""Optimizers as small composable update transforms, and the one loop that runs them.

Shaped after optax: a :class:`Transform` is a pair of pure functions ``init(x) -> state`` and
``update(u, state, x, surface) -> (u, state)``. The loop hands the gradient g to the chain; each
transform rewrites the update; the last one (usually :func:`scale_by_learning_rate`) turns it into
the step added to x. Gradient descent with clipping is therefore

    chain(clip_by_norm(1.0), scale_by_learning_rate(0.1))

and clipping is a transform like any other, not a flag buried in the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.surfaces import Surface


class Transform(NamedTuple):
    """init(x) -> state; update(u, state, x, surface) -> (new u, new state)."""

    init: Callable[[np.ndarray], Any]
    update: Callable[[np.ndarray, Any, np.ndarray, Surface], tuple[np.ndarray, Any]]


def _stateless(fn: Callable[[np.ndarray, np.ndarray, Surface], np.ndarray]) -> Transform:
    return Transform(lambda x: (), lambda u, state, x, surface: (fn(u, x, surface), state))


def chain(*transforms: Transform) -> Transform:
    """Apply transforms left to right; the state is the tuple of their states."""

    def init(x):
        return tuple(t.init(x) for t in transforms)

    def update(u, state, x, surface):
        new_state = []
        for t, s in zip(transforms, state):
            u, s = t.update(u, s, x, surface)
            new_state.append(s)
        return u, tuple(new_state)

    return Transform(init, update)


def scale(factor: float) -> Transform:
    """u <- factor * u."""
    return _stateless(lambda u, x, surface: factor * u)


def scale_by_learning_rate(learning_rate: float) -> Transform:
    """u <- -eps u: the descent step of size eps (book eq 8.1's -eps g)."""
    return scale(-float(learning_rate))


def clip_norm(u: np.ndarray, threshold: float) -> np.ndarray:
    """Clip by norm (book 10.11.1, eq 10.48): if ||u|| > v then u <- u v / ||u||.

    The book's strict '>' is used: a vector whose norm equals v exactly is returned unchanged
    (Pascanu et al. 2013, Algorithm 1, write '>=', which gives the same vector at the boundary).
    The direction is kept; the result has norm min(||u||, v). A threshold of 0 or less means off.
    """
    if threshold <= 0:
        return u
    n = float(np.linalg.norm(u))
    if not np.isfinite(n):
        # An infinite gradient still has a direction: keep the signs of its largest entries.
        big = np.where(np.isinf(u), np.sign(u), 0.0)
        return threshold * big / max(np.linalg.norm(big), 1.0) if big.any() else np.zeros_like(u)
    return u * (threshold / n) if n > threshold else u


def clip_value(u: np.ndarray, threshold: float) -> np.ndarray:
    """Clip by value (book 10.11.1, eq 10.49 alternative): each component into [-v, v].

    Changes the direction but keeps a descent direction (g . clip(g) >= 0, zero only if g = 0);
    the result has norm at most v sqrt(n). A threshold of 0 or less means off.
    """
    if threshold <= 0:
        return u
    return np.clip(u, -threshold, threshold)


def clip_by_norm(threshold: float) -> Transform:
    """Transform form of :func:`clip_norm`."""
    return _stateless(lambda u, x, surface: clip_norm(u, threshold))


def clip_by_value(threshold: float) -> Transform:
    """Transform form of :func:`clip_value`."""
    return _stateless(lambda u, x, surface: clip_value(u, threshold))


def momentum(beta: float) -> Transform:
    """Heavy-ball momentum (Polyak 1964; book eq 8.15-8.16 with alpha = beta): v <- beta v + u.

    Placed before :func:`scale_by_learning_rate`, the step is x_{k+1} = x_k - eps v_{k+1}, which is
    the heavy ball x_{k+1} = x_k - eps g_k + beta (x_k - x_{k-1}).
    """

    def init(x):
        return np.zeros_like(np.asarray(x, dtype=float))

    def update(u, v, x, surface):
        v = beta * v + u
        return v, v

    return Transform(init, update)


def _eigh(surface: Surface, x: np.ndarray):
    H = surface.hessian(x)
    return np.linalg.eigh(0.5 * (H + H.T))


def newton(damping: float = 0.0) -> Transform:
    """u <- (H + damping I)^-1 u: Newton's direction (book eq 8.27). Drawn to saddles (8.2.3).

    A singular H is handled with the pseudo-inverse so the loop never raises; a zero eigenvalue
    contributes no step along its direction.
    """

    def fn(u, x, surface):
        lam, V = _eigh(surface, x)
        lam = lam + damping
        tol = 1e-12 * float(np.abs(lam).max(initial=0.0))  # relative: tiny Hessians keep their steps
        inv = np.where(np.abs(lam) > tol, 1.0 / np.where(lam == 0, 1.0, lam), 0.0)
        return V @ (inv * (V.T @ u))

    return _stateless(fn)


def saddle_free_newton(damping: float = 0.0) -> Transform:
    """u <- |H|^-1 u with |H| = V |diag(lam)| V^T (Dauphin et al. 2014, eq 7).

    Rescales like Newton along each eigendirection but keeps the sign of the gradient, so negative
    curvature is escaped rather than approached. ``damping`` is added to |lam| (their 'lambda').
    """

    def fn(u, x, surface):
        lam, V = _eigh(surface, x)
        a = np.abs(lam) + damping
        tol = 1e-12 * float(a.max(initial=0.0))
        inv = np.where(a > tol, 1.0 / np.where(a == 0, 1.0, a), 0.0)
        return V @ (inv * (V.T @ u))

    return _stateless(fn)


class Status(NamedTuple):
    """How a run ended. ``step`` is the first step whose point failed the check (None if none)."""

    diverged: bool
    step: int | None
    reason: str


class Run(NamedTuple):
    """One optimization run.

    history: tidy DataFrame, one row per visited point, columns
        step (int), cost, grad_norm (||g_k||), step_norm (||x_k - x_{k-1}||, 0 at step 0).
    x: the visited points, shape (rows, d).
    status: divergence report.
    """

    history: pd.DataFrame
    x: np.ndarray
    status: Status


def run(
    surface: Surface,
    x0,
    transform: Transform,
    num_steps: int,
    *,
    max_cost: float | None = None,
    max_norm: float = 1e12,
) -> Run:
    """Run ``transform`` on ``surface`` from ``x0`` for ``num_steps`` steps.

    Divergence is a result, not an exception: after every step the point is checked and the loop
    stops at the first point that is non-finite, farther than ``max_norm`` from the origin, or
    costs more than ``max_cost`` (default: 1e12 above the starting cost, scaled by it). That point
    is kept when it is finite so a chart shows the climb; nothing non-finite is ever recorded.
    """
    x = np.asarray(x0, dtype=float).copy()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        f0 = float(surface.value(x))
        if max_cost is None:
            max_cost = f0 + 1e12 * max(1.0, abs(f0))
        state = transform.init(x)
        xs, rows = [x.copy()], []
        g = surface.grad(x)
        rows.append((0, f0, float(np.linalg.norm(g)), 0.0))
        status = Status(False, None, "")
        for k in range(1, int(num_steps) + 1):
            u, state = transform.update(g, state, x, surface)
            x_new = x + u
            cost = float(surface.value(x_new))
            g_new = surface.grad(x_new) if np.all(np.isfinite(x_new)) else x_new
            gn = float(np.linalg.norm(g_new))
            norm = float(np.linalg.norm(x_new))
            finite = np.isfinite(cost) and np.isfinite(gn) and np.isfinite(norm)
            if finite:
                xs.append(x_new.copy())
                rows.append((k, cost, gn, float(np.linalg.norm(u))))
            if not finite:
                status = Status(True, k, "the cost or the point became infinite or NaN")
            elif norm > max_norm:
                status = Status(True, k, f"||x|| = {norm:.3g} passed {max_norm:.3g}")
            elif cost > max_cost:
                status = Status(True, k, f"the cost {cost:.3g} passed {max_cost:.3g}")
            if status.diverged:
                break
            x, g = x_new, g_new
    history = pd.DataFrame(rows, columns=["step", "cost", "grad_norm", "step_norm"])
    return Run(history, np.array(xs), status)
