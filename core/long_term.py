"""Long-term dependencies (book 8.2.5, eq 8.11; 10.7): repeated multiplication by one matrix W.

Backpropagating through t steps of a recurrence multiplies the gradient by W^T t times. With
W = V diag(lambda) V^-1 (eq 8.11), W^t = V diag(lambda)^t V^-1: components with |lambda| < 1
vanish, |lambda| > 1 explode, and g^T W^t turns toward the leading eigenvector (the power method).
Eigenvalues give only the long-run rate: a non-normal W can grow for a while although every
|lambda| < 1, and through a nonlinearity with |f'| <= gamma only the largest SINGULAR value
guarantees vanishing (sigma_1 gamma < 1, Pascanu et al. 2013); the eigenvalue version is false.

Norms span hundreds of decades, so every product is tracked in log space: the vector is
renormalized each step and the logs of the norms are summed. Nothing overflows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from core.surfaces import random_rotation

KINDS = ("orthogonal", "symmetric", "nonnormal")
ACTIVATIONS = ("linear", "tanh", "sigmoid")
GAMMA = {"linear": 1.0, "tanh": 1.0, "sigmoid": 0.25}  # max |f'|
COUPLING = 4.0  # strictly-upper Schur entries of the non-normal kind are +-COUPLING/sqrt(n)
LN10 = np.log(10.0)


def spread_eigenvalues(rho: float, dim: int) -> np.ndarray:
    """rho * linspace(-1/2, 1, dim): real, ascending, spectral radius exactly rho (last entry)."""
    return float(rho) * (np.linspace(-0.5, 1.0, int(dim)) if dim > 1 else np.ones(1))


class Matrix(NamedTuple):
    """A recurrent weight matrix with its exact spectrum (known by construction, not computed).

    W: (n, n). lam: (n,) complex eigenvalues. sigma_max: largest singular value.
    leading: unit left eigenvector (n,) of the eigenvalue of largest modulus (W^T v = lam_1 v), or
    None when several eigenvalues share the largest modulus (scaled orthogonal: no power method).
    lam_ratio: |lambda_2| / |lambda_1| (NaN without a leading eigenvector).
    """

    kind: str
    W: np.ndarray
    lam: np.ndarray
    sigma_max: float
    leading: np.ndarray | None
    lam_ratio: float


def make_matrix(kind: str, dim: int, rho: float, seed: int = 0) -> Matrix:
    """W = U T U^T with U Haar-orthogonal (from ``seed``) and T chosen by ``kind``.

    orthogonal: T = rho * blockdiag of 2x2 rotations (random angles): all |lambda| = rho = sigma.
    symmetric: T = diag(spread_eigenvalues): normal, sigma_1 = rho.
    nonnormal: T = diag(spread_eigenvalues) + strictly upper +-COUPLING/sqrt(n) (Schur form, so
        the eigenvalues are still the diagonal) : all |lambda| <= rho but sigma_1 about 5-7.
    """
    n = int(dim)
    rng = np.random.default_rng([int(seed), 1])
    U = random_rotation(n, rng)
    if kind == "orthogonal":
        theta = rng.uniform(0.0, np.pi, n // 2)
        T = np.zeros((n, n))
        lam = np.empty(n, dtype=complex)
        for k, th in enumerate(theta):
            c, s = np.cos(th), np.sin(th)
            T[2 * k : 2 * k + 2, 2 * k : 2 * k + 2] = [[c, -s], [s, c]]
            lam[2 * k : 2 * k + 2] = np.exp(1j * th), np.exp(-1j * th)
        if n % 2:
            T[-1, -1], lam[-1] = 1.0, 1.0
        return Matrix(kind, rho * (U @ T @ U.T), rho * lam, float(rho), None, float("nan"))
    lam = spread_eigenvalues(rho, n)
    T = np.diag(lam)
    if kind == "nonnormal":
        T = T + np.triu(rng.choice([-1.0, 1.0], size=(n, n)), 1) * COUPLING / np.sqrt(n)
    elif kind != "symmetric":
        raise ValueError(f"unknown matrix kind {kind!r}; expected one of {KINDS}")
    W = U @ T @ U.T
    # sigma(W) = sigma(T) since U is orthogonal; eigvalsh of T^T T is several times faster than an SVD
    sigma = float(rho) if kind == "symmetric" else float(np.sqrt(np.linalg.eigvalsh(T.T @ T)[-1]))
    # T^T e_n = lam_n e_n (last row of an upper-triangular T), so U e_n is the left eigenvector.
    mod = np.sort(np.abs(lam))
    ratio = mod[-2] / mod[-1] if n > 1 else 0.0
    return Matrix(kind, W, lam.astype(complex), sigma, U[:, -1].copy(), float(ratio))


def power_by_eigendecomposition(V: np.ndarray, lam: np.ndarray, t: int) -> np.ndarray:
    """W^t = V diag(lambda)^t V^-1 (book eq 8.11). V: (n, n) right eigenvectors, lam: (n,).
    Complex in general; for a real W the imaginary part is round-off (take .real)."""
    return (V * np.asarray(lam) ** int(t)) @ np.linalg.inv(V)


def derivative(activation: str, a: np.ndarray) -> np.ndarray:
    """f'(a) computed without cancellation: sech^2 a for tanh, s(a) s(-a) for the sigmoid."""
    if activation == "linear":
        return np.ones_like(a)
    with np.errstate(under="ignore", over="ignore"):
        if activation == "tanh":
            e = np.exp(-2.0 * np.abs(a))
            return 4.0 * e / (1.0 + e) ** 2
        e = np.exp(-np.abs(a))
        return e / (1.0 + e) ** 2


def forward_derivatives(W: np.ndarray, activation: str, depth: int, rng) -> np.ndarray:
    """f'(a_t), t = 1..depth, of the driven recurrence h_t = f(W h_{t-1} + x_t), h_0 = 0,
    x_t ~ N(0, I). Returns (depth, n)."""
    n = W.shape[0]
    a = rng.standard_normal((int(depth), n))  # x_t, then a_t = W h_{t-1} + x_t in place
    h = np.zeros(n)
    for t in range(int(depth)):
        a[t] += W @ h
        h = np.tanh(a[t]) if activation == "tanh" else 0.5 * (1.0 + np.tanh(0.5 * a[t]))
    return derivative(activation, a)


def backprop_log_norms(W: np.ndarray, g: np.ndarray, depth: int, d: np.ndarray | None = None,
                       leading: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """ln ||J_k ... J_1 g|| for k = 0..depth with J = W^T diag(d) (d = None: W^T alone), and the
    sine of the angle between that vector and ``leading`` (NaN without it).

    d: (depth, n) derivatives f'(a_t) in forward order; step k back uses d[depth - k].
    The vector is renormalized every step, so neither overflow nor underflow can occur until a
    product is exactly 0 (then the rest is -inf).
    """
    depth = int(depth)
    WT = np.ascontiguousarray(W.T)
    u = np.asarray(g, dtype=float) / np.linalg.norm(g)
    logr = np.full(depth + 1, -np.inf)
    logr[0] = 0.0
    sin = np.full(depth + 1, np.nan)

    def angle(u):  # ||u - (v.u) v|| keeps full relative precision when the angle is tiny
        w = u - (leading @ u) * leading
        return math.sqrt(w @ w)

    if leading is not None:
        sin[0] = angle(u)
    with np.errstate(under="ignore"):
        for k in range(1, depth + 1):
            u = WT @ (u if d is None else d[depth - k] * u)
            r = math.sqrt(u @ u)
            if not (0.0 < r < math.inf):
                break
            u *= 1.0 / r
            logr[k] = math.log(r)
            if leading is not None:
                sin[k] = angle(u)
    return np.cumsum(logr), sin


class Recurrent(NamedTuple):
    """What part 1 and 2 of the page draw.

    path: columns step (k = 0..depth, steps back), log10_linear (log10 ||(W^T)^k g|| / ||g||),
        log10_nonlinear (the same through the driven recurrence's f'; equal when linear),
        sin_theta (angle to the leading eigenvector, NaN without one), gain_linear and
        gain_nonlinear (the factor ||J_k u|| by which step k multiplied the unit vector u; NaN at 0).
    eig: columns re, im, modulus of the eigenvalues.
    rho: spectral radius max |lambda|; sigma_max; gamma = max |f'|; lam_ratio |lambda_2/lambda_1|.
    """

    kind: str
    activation: str
    path: pd.DataFrame
    eig: pd.DataFrame
    rho: float
    sigma_max: float
    gamma: float
    lam_ratio: float


def recurrent_products(kind: str = "orthogonal", dim: int = 10, rho: float = 1.05, depth: int = 50,
                       activation: str = "linear", seed: int = 0) -> Recurrent:
    """Backpropagate a random unit g through ``depth`` steps of W (linear, and through f)."""
    m = make_matrix(kind, dim, rho, seed)
    rng = np.random.default_rng([int(seed), 2])
    g = rng.standard_normal(int(dim))
    lin, sin = backprop_log_norms(m.W, g, depth, leading=m.leading)
    if activation == "linear":
        non = lin
    else:
        d = forward_derivatives(m.W, activation, depth, rng)
        non, _ = backprop_log_norms(m.W, g, depth, d)
    with np.errstate(invalid="ignore", over="ignore"):
        gains = np.exp(np.diff(np.stack([lin, non]), axis=1, prepend=np.nan))
    path = pd.DataFrame({"step": np.arange(int(depth) + 1), "log10_linear": lin / LN10,
                         "log10_nonlinear": non / LN10, "sin_theta": sin,
                         "gain_linear": gains[0], "gain_nonlinear": gains[1]})
    eig = pd.DataFrame({"re": m.lam.real, "im": m.lam.imag, "modulus": np.abs(m.lam)})
    return Recurrent(kind, activation, path, eig, float(np.abs(m.lam).max()), m.sigma_max,
                     GAMMA[activation], m.lam_ratio)

