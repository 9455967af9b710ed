"""Closed forms for the long-term-dependencies page (book 8.2.5, 8.4): rate lines, the power
method, the eigenvalue trap, the random walk of a product of fresh random layers, and the
variance recursions of the usual initialization schemes. Pages overlay these on measurements and
tests use them as oracles.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from core.long_term import Recurrent


# --- closed forms drawn over the measurements ----------------------------------------------------
def power_line(rate: float, depth: int, name: str) -> pd.DataFrame:
    """log10 rate^t as a straight line through t = 0 and t = depth: columns line, step, log10."""
    return pd.DataFrame({"line": name, "step": [0.0, float(depth)],
                         "log10": [0.0, float(depth) * float(np.log10(rate))]})


def rate_lines(res: Recurrent, depth: int, nonlinear: bool | None = None) -> pd.DataFrame:
    """The reference lines of a run (columns line, step, log10, two points each).

    Linear: rho^t (eigenvalues: the long-run rate) and sigma_1^t (the bound ||W^t|| <= sigma_1^t).
    Nonlinear (default: when res.activation is not linear): (sigma_1 gamma)^t, a true bound on
    ||prod W^T diag f'|| (Pascanu et al. 2013), and (rho gamma)^t, the 'eigenvalue version',
    which is NOT a bound.
    """
    if nonlinear is None:
        nonlinear = res.activation != "linear"
    rates = {"ρᵗ": res.rho, "σ₁ᵗ": res.sigma_max}
    if nonlinear:
        rates = {"(σ₁γ)ᵗ bound": res.sigma_max * res.gamma, "(ργ)ᵗ eigenvalue rule": res.rho * res.gamma}
    return pd.concat([power_line(r, depth, name) for name, r in rates.items()], ignore_index=True)


def eigen_lines(eig: pd.DataFrame, depth: int, max_lines: int = 40) -> pd.DataFrame:
    """log10 |lambda_i|^t for (at most ``max_lines``, evenly chosen) distinct nonzero moduli:
    columns line, step, log10, two points per line (straight in log space)."""
    mod = np.unique(np.round(eig["modulus"].to_numpy(), 12))
    mod = mod[mod > 0]
    if len(mod) > max_lines:
        mod = mod[np.unique(np.linspace(0, len(mod) - 1, max_lines).round().astype(int))]
    t = np.array([0.0, float(depth)])
    return pd.DataFrame([(f"|λ|={m:.4g}", s, s * np.log10(m)) for m in mod for s in t],
                        columns=["line", "step", "log10"])


def alignment_bound(sin0: float, lam_ratio: float, steps) -> np.ndarray:
    """tan(theta_0) |lambda_2/lambda_1|^t: for a symmetric W, tan(theta_t) is at most this
    (power method, Golub & Van Loan 8.2.1); a non-normal W reaches the same slope only late."""
    steps = np.asarray(steps, dtype=float)
    with np.errstate(divide="ignore", under="ignore"):
        tan0 = sin0 / np.sqrt(max(1.0 - sin0**2, 1e-300))
        return tan0 * lam_ratio**steps


class Trap(NamedTuple):
    """Is the 'eigenvalue version' refuted by this run? rho_gamma, sigma_gamma: the two rates;
    excess: max over steps of log10 measured - log10 (rho gamma)^t (> 0: the line is no bound),
    at_step: where; final: log10 of the ratio after the last step; grew: final > 0."""

    rho_gamma: float
    sigma_gamma: float
    excess: float
    at_step: int
    final: float
    grew: bool


def eigenvalue_trap(res: Recurrent) -> Trap:
    """Compare the product through f with the eigenvalue rule (rho gamma)^t and the true bound."""
    p = res.path
    y = p["log10_nonlinear"].to_numpy()
    ex = y - p["step"].to_numpy() * np.log10(res.rho * res.gamma)
    ex = np.where(np.isfinite(ex), ex, -np.inf)
    k = int(np.argmax(ex))
    return Trap(res.rho * res.gamma, res.sigma_max * res.gamma, float(ex[k]), int(p["step"].iloc[k]),
                float(y[-1]), bool(y[-1] > 0))


# --- the random walk of fresh Gaussian layers (Sussillo 2014) ------------------------------------
def digamma(x):
    """psi(x) = d/dx ln Gamma(x) for x > 0: shift up with psi(x) = psi(x + 1) - 1/x until x >= 10,
    then the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) (Abramowitz & Stegun 6.3.18)."""
    x = np.array(x, dtype=float)
    acc = np.zeros_like(x)
    for _ in range(10):
        small = x < 10
        acc = acc - np.where(small, 1.0 / np.where(small, x, 1.0), 0.0)
        x = np.where(small, x + 1.0, x)
    y = 1.0 / (x * x)
    series = y * (1 / 12 - y * (1 / 120 - y * (1 / 252 - y * (1 / 240 - y / 132))))
    out = acc + np.log(x) - 0.5 / x - series
    return float(out) if out.ndim == 0 else out


def trigamma(x):
    """psi'(x) for x > 0: psi'(x) = psi'(x + 1) + 1/x^2 up to x >= 10, then
    1/x + 1/(2x^2) + sum B_2k / x^(2k+1) (Abramowitz & Stegun 6.4.12)."""
    x = np.array(x, dtype=float)
    acc = np.zeros_like(x)
    for _ in range(10):
        small = x < 10
        acc = acc + np.where(small, 1.0 / np.where(small, x, 1.0) ** 2, 0.0)
        x = np.where(small, x + 1.0, x)
    y = 1.0 / (x * x)
    series = (1 / 6 - y * (1 / 30 - y * (1 / 42 - y * (1 / 30 - y * 5 / 66)))) / (x * x * x)
    out = acc + 1.0 / x + 0.5 * y + series
    return float(out) if out.ndim == 0 else out


def random_walk_step(dim: int, rho: float = 1.0) -> tuple[float, float]:
    """(mean, variance) of ln(||W u|| / ||u||) for W with iid N(0, rho^2/n) entries, any fixed u:
    ||W u||^2 / ||u||^2 ~ rho^2 chi^2_n / n, and E ln chi^2_n = psi(n/2) + ln 2,
    Var ln chi^2_n = psi'(n/2). So mean = ln rho + 1/2 (psi(n/2) - ln(n/2)), var = psi'(n/2) / 4.
    Independent layers add these per layer: a random walk (Sussillo 2014; book 8.2.5)."""
    h = 0.5 * int(dim)
    return math.log(rho) + 0.5 * (digamma(h) - math.log(h)), 0.25 * trigamma(h)


def random_walk_band(dim: int, rho: float, steps, z: float = 1.2815515655446004) -> pd.DataFrame:
    """Theory of the fresh-layer log-norm after t layers, in log10: columns step, mean, lo, hi
    (mean -/+ z sd, z = 1.2816 for the 10%-90% band of the normal approximation)."""
    m, v = random_walk_step(dim, rho)
    t = np.asarray(steps, dtype=float)
    sd = np.sqrt(v * t)
    return pd.DataFrame({"step": t, "mean": m * t / np.log(10), "lo": (m * t - z * sd) / np.log(10),
                         "hi": (m * t + z * sd) / np.log(10)})


# --- initialization schemes (book 8.4; Glorot & Bengio 2010; He et al. 2015) --------------------
class Scheme(NamedTuple):
    """A curve of the initialization chart: label, activation, weight-variance rule."""

    label: str
    activation: str
    rule: str  # 'lecun' 1/n_in, 'he' 2/n_in, 'glorot' 2/(n_in + n_out)


SCHEMES = (Scheme("linear · 1/n", "linear", "lecun"),
           Scheme("ReLU · 1/n", "relu", "lecun"),
           Scheme("ReLU · 2/n (He)", "relu", "he"),
           Scheme("tanh · Glorot (= 1/n here)", "tanh", "glorot"))


def weight_variance(rule: str, n_in: int, n_out: int) -> float:
    """Var(W_ij) of a scheme: 'lecun' 1/n_in, 'he' 2/n_in, 'glorot' 2/(n_in + n_out)."""
    return {"lecun": 1.0 / n_in, "he": 2.0 / n_in, "glorot": 2.0 / (n_in + n_out)}[rule]


def act(activation: str, a: np.ndarray) -> np.ndarray:
    """f(a) for 'linear', 'relu', 'tanh'."""
    return {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh}[activation](a)


def act_derivative(activation: str, a: np.ndarray) -> np.ndarray:
    """f'(a) for 'linear', 'relu' (0 at a <= 0), 'tanh' (sech^2, no cancellation)."""
    if activation == "linear":
        return np.ones_like(a)
    if activation == "relu":
        return (a > 0).astype(float)
    with np.errstate(under="ignore"):
        e = np.exp(-2.0 * np.abs(a))
        return 4.0 * e / (1.0 + e) ** 2


_Z, _W = np.polynomial.hermite_e.hermegauss(80)  # even: no node at 0, so ReLU's kink is exact
_W = _W / _W.sum()


def gauss_mean(f, q: float) -> float:
    """E f(sqrt(q) z), z ~ N(0, 1), by 80-point Gauss-Hermite quadrature."""
    return float(_W @ f(np.sqrt(q) * _Z))


def mean_field(activation: str, gain: float, depth: int, q0: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Variance recursions of a deep net with a_l = h_{l-1} W_l, h_l = f(a_l), n Var(W) = gain
    (Poole et al. 2016; Schoenholz et al. 2017):
    forward q_l = E a_l^2: q_1 = gain q0, q_{l+1} = gain E f(sqrt(q_l) z)^2;
    backward G_l = E (dL/dh_l)^2: G_L = 1, G_{l-1} = gain E f'(sqrt(q_l) z)^2 G_l.
    Returns q (depth,) for l = 1..depth and G (depth + 1,) for l = 0..depth.
    Linear: q constant iff gain = 1; ReLU halves both per layer at gain 1, keeps them at gain 2."""
    L = int(depth)
    q = np.empty(L)
    q[0] = gain * q0
    for i in range(1, L):
        q[i] = gain * gauss_mean(lambda a: act(activation, a) ** 2, q[i - 1])
    chi = gain * (act_derivative(activation, np.sqrt(q)[:, None] * _Z) ** 2 @ _W)
    with np.errstate(under="ignore"):
        G = np.concatenate([np.exp(np.cumsum(np.log(chi[::-1])))[::-1], [1.0]])
    return q, G


def initialization_theory(width: int, depth: int) -> pd.DataFrame:
    """:func:`mean_field` for each of SCHEMES on square layers of ``width`` (Glorot's
    2/(n_in + n_out) is then 1/n): columns scheme, layer, direction, log10."""
    L, fwd, bwd = int(depth), [], []
    for s in SCHEMES:
        q, G = mean_field(s.activation, width * weight_variance(s.rule, width, width), L)
        fwd.append(np.log10(q))
        bwd.append(np.log10(G))
    labels = [s.label for s in SCHEMES]
    C = len(labels)
    return pd.DataFrame({
        "scheme": np.concatenate([np.repeat(labels, L), np.repeat(labels, L + 1)]),
        "layer": np.concatenate([np.tile(np.arange(1, L + 1), C), np.tile(np.arange(L + 1), C)]),
        "direction": np.repeat(["forward", "backward"], [C * L, C * (L + 1)]),
        "log10": np.concatenate(fwd + bwd)})
