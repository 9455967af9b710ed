"""Plateaus in a deep linear network (Saxe, McClelland & Ganguli 2013; book 8.2.3).

A linear network y = W2 W1 x trained on whitened inputs to fit Sigma = U diag(s) V^T minimizes
L = 1/2 ||Sigma - W2 W1||_F^2. From a small 'decoupled' start W1 = R diag(sqrt(u0)) V^T,
W2 = U diag(sqrt(u0)) R^T (R orthogonal) every mode keeps its own strength u = u_a^T W2 W1 v_a, and
with learning rate eps (time constant tau = 1/eps steps) it follows a sigmoid (Saxe eq 6):

    tau du/dt = 2 u (s - u),   u(t) = s e^{2st/tau} / (e^{2st/tau} - 1 + s/u0).

The long flat start is the saddle of L at W = 0 (the Hessian of 1/2 (s - ab)^2 at a = b = 0 has
eigenvalues +-s): the mode reaches s/2 at t = (tau / 2s) ln((s - u0)/u0), so halving s doubles the
plateau and a 100x smaller start adds (tau / 2s) ln 100.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core.surfaces import random_rotation

STRENGTHS = (2.0, 1.0, 0.5, 0.25)  # singular values s of the target, strongest first
INIT = 1e-3  # initial mode strength u0 of the network runs
SWEEP_S = tuple(np.geomspace(0.25, 4.0, 9))
SWEEP_U0 = (1e-2, 1e-4, 1e-6)


def growth_rate(s, learning_rate: float, discrete: bool = True) -> np.ndarray:
    """Growth rate r of a mode's strength per step on the plateau, u ~ u0 e^{r t}: Saxe's 2 s eps
    for gradient flow, or 2 ln(1 + eps s) for gradient descent, whose a and b each grow by
    (1 + eps s) per step near the saddle at 0 (the two agree as eps -> 0)."""
    s = np.asarray(s, dtype=float)
    return 2 * np.log1p(learning_rate * s) if discrete else 2 * s * learning_rate


def mode_strength(t, s, u0: float, learning_rate: float, discrete: bool = True) -> np.ndarray:
    """u(t) = s e^{rt} / (e^{rt} - 1 + s/u0): Saxe et al. (2013) eq 6 with t in steps and the rate
    r of :func:`growth_rate` (r = 2 s eps, i.e. tau = 1/eps, when ``discrete`` is False)."""
    s = np.asarray(s, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(growth_rate(s, learning_rate, discrete) * np.asarray(t, dtype=float))
        return np.where(np.isinf(e), s, s * e / (e - 1 + s / u0))


def plateau_time(s, u0, learning_rate: float, discrete: bool = True) -> np.ndarray:
    """t_half = ln((s - u0)/u0) / r: steps for a mode to grow from u0 to s/2 (Saxe eq 7 with
    u_f = s/2 and r = 2 s eps, i.e. (tau/2s) ln((s - u0)/u0); or the gradient-descent rate r)."""
    s, u0 = np.asarray(s, dtype=float), np.asarray(u0, dtype=float)
    return np.log((s - u0) / u0) / growth_rate(s, learning_rate, discrete)


def critical_learning_rate(strengths=STRENGTHS) -> float:
    """1 / s_max = 2 / lambda_max: at the solution the Hessian's largest eigenvalue is 2 s_max
    (for 1/2 (s - ab)^2 at a = b = sqrt(s) it is [[s, s], [s, s]]), so a larger step cannot settle
    there: the strongest mode oscillates around s (a period-2 cycle just above), and far above
    it the weights blow up."""
    return 1.0 / float(np.max(strengths))


class Network(NamedTuple):
    """A linear network's training run.

    curves: one row per mode and step: mode (e.g. 's = 2'), s, step, measured (u_a^T W2 W1 v_a),
        theory (mode_strength). loss: columns step, loss. diverged_at: first step where the
    weights stopped being finite or the loss passed 1e6 (None if never).
    """

    curves: pd.DataFrame
    loss: pd.DataFrame
    diverged_at: int | None


def train_network(learning_rate: float = 0.15, num_steps: int = 200, seed: int = 0,
                  strengths=STRENGTHS, u0: float = INIT) -> Network:
    """Full-batch gradient descent on L = 1/2 ||Sigma - W2 W1||^2, Sigma = U diag(s) V^T with
    random orthogonal U, V, R (from ``seed``) and the decoupled start of strength u0."""
    s = np.asarray(strengths, dtype=float)
    n = s.size
    rng = np.random.default_rng(seed)
    U, V, R = (random_rotation(n, rng) for _ in range(3))
    target = (U * s) @ V.T
    W1 = (R * np.sqrt(u0)) @ V.T
    W2 = (U * np.sqrt(u0)) @ R.T
    strengths_t, losses, diverged_at = [], [], None
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(int(num_steps) + 1):
            E = target - W2 @ W1
            loss = 0.5 * float((E**2).sum())
            if not np.isfinite(loss) or loss > 1e6:
                diverged_at = k
                break
            strengths_t.append(np.einsum("ia,ij,ja->a", U, W2 @ W1, V))
            losses.append(loss)
            W1, W2 = W1 + learning_rate * W2.T @ E, W2 + learning_rate * E @ W1.T
    steps = np.arange(len(losses))
    meas = np.array(strengths_t).reshape(len(losses), n)
    curves = pd.DataFrame({"mode": np.tile([f"s = {v:g}" for v in s], len(steps)),
                           "s": np.tile(s, len(steps)), "step": np.repeat(steps, n),
                           "measured": meas.ravel()})
    curves["theory"] = mode_strength(curves["step"], curves["s"].to_numpy(), u0, learning_rate)
    return Network(curves, pd.DataFrame({"step": steps, "loss": losses}), diverged_at)


def plateau_sweep(learning_rate: float = 0.15, num_steps: int = 200, strengths=SWEEP_S,
                  inits=SWEEP_U0) -> pd.DataFrame:
    """Plateau length against mode strength s and initial strength u0, measured on the smallest
    deep linear network, one hidden unit: gradient descent on 1/2 (s - ab)^2 from a = b = sqrt(u0)
    (every (s, u0) pair in one batch).

    Returns columns s, u0, measured (first step with ab >= s/2; NaN if none within num_steps, or
    if eps s >= 1: then eps > 2/lambda_max at the solution and the run cannot settle), theory
    (plateau_time, gradient-descent rate), flow (plateau_time, Saxe's gradient-flow rate).
    """
    s, u0 = (g.ravel() for g in np.meshgrid(np.asarray(strengths, float), np.asarray(inits, float)))
    a = np.sqrt(u0)
    b = a.copy()
    first = np.full(s.size, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(num_steps) + 1):
            e = s - a * b
            a, b = a + learning_rate * e * b, b + learning_rate * e * a
            new = np.isnan(first) & (a * b >= s / 2)
            first[new] = k
            if not np.isnan(first).any():
                break
    first[learning_rate * s >= 1] = np.nan
    return pd.DataFrame({"s": s, "u0": u0, "measured": first,
                         "theory": plateau_time(s, u0, learning_rate),
                         "flow": plateau_time(s, u0, learning_rate, discrete=False)})
