"""Ill-conditioning (book 8.2.1, eq 8.10; 4.3, Fig 4.6): gradient descent on f(x) = 1/2 x^T H x.

A step -eps g changes a quadratic cost by exactly 1/2 eps^2 g^T H g - eps g^T g (the 'Taylor
ledger'); the step goes uphill iff eps > 2 g^T g / g^T H g, and gradient descent converges iff
0 < eps < 2 / lambda_max. Heavy-ball momentum (Polyak 1964; Goh, Distill 2017) improves the rate
from (kappa - 1)/(kappa + 1) to (sqrt(kappa) - 1)/(sqrt(kappa) + 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core import optim
from core.surfaces import Surface, quadratic, random_rotation


# --- closed forms --------------------------------------------------------------------------------
def spectrum(kappa: float, dim: int) -> np.ndarray:
    """Eigenvalues 1 = lambda_min <= ... <= lambda_max = kappa, log-spaced, endpoints exact."""
    lam = np.geomspace(1.0, float(kappa), int(dim))
    lam[0], lam[-1] = 1.0, float(kappa)
    return lam


def condition_number(H: np.ndarray) -> float:
    """kappa(H) = max |lambda_i / lambda_j| (book eq 4.2)."""
    a = np.abs(np.linalg.eigvalsh(0.5 * (H + H.T)))
    return float(a.max() / a.min()) if a.min() > 0 else float("inf")


def critical_learning_rate(lam_max: float) -> float:
    """2 / lambda_max: gradient descent on a quadratic converges iff 0 < eps < this (book 4.3)."""
    return 2.0 / lam_max


def optimal_learning_rate(lam_min: float, lam_max: float) -> float:
    """2 / (lambda_min + lambda_max): the step that minimizes max_i |1 - eps lambda_i|."""
    return 2.0 / (lam_min + lam_max)


def gd_rate(learning_rate: float, lam) -> float:
    """Per-step contraction max_i |1 - eps lambda_i| of the error x_k = (1 - eps lambda)^k x_0."""
    return float(np.max(np.abs(1.0 - learning_rate * np.asarray(lam, dtype=float))))


def optimal_gd_rate(kappa: float) -> float:
    """(kappa - 1)/(kappa + 1): the rate of gradient descent at eps = 2/(lambda_min + lambda_max)."""
    return (kappa - 1.0) / (kappa + 1.0)


def heavy_ball_rate(learning_rate: float, beta: float, lam) -> float:
    """Spectral radius of the heavy-ball iteration: max over lambda of the larger |root| of
    z^2 - (1 + beta - eps lambda) z + beta = 0 (Goh 2017, section 'The Dynamics of Momentum').
    In the complex-root regime every root has modulus sqrt(beta) (the article's 2 sqrt(beta) is a
    typo). Stable iff this is < 1, i.e. 0 < eps lambda < 2 + 2 beta for all lambda and 0 <= beta < 1.
    """
    lam = np.asarray(lam, dtype=float)
    b = 1.0 + beta - learning_rate * lam
    disc = (b * b - 4.0 * beta).astype(complex)
    roots = np.stack([(b + np.sqrt(disc)) / 2.0, (b - np.sqrt(disc)) / 2.0])
    return float(np.abs(roots).max())


def optimal_heavy_ball(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    """(eps*, beta*, rate*) = ((2/(sqrt(l_max)+sqrt(l_min)))^2, ((sqrt(k)-1)/(sqrt(k)+1))^2,
    (sqrt(k)-1)/(sqrt(k)+1)) with k = l_max / l_min (Polyak 1964; Goh 2017)."""
    s = np.sqrt(lam_max / lam_min)
    rate = (s - 1.0) / (s + 1.0)
    return (2.0 / (np.sqrt(lam_max) + np.sqrt(lam_min))) ** 2, rate**2, rate


def taylor_terms(g: np.ndarray, H: np.ndarray, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(eps g^T g, 1/2 eps^2 g^T H g) for gradients g (..., d): the first-order gain and the
    curvature penalty of eq 8.10. Their difference penalty - gain is the change of a quadratic."""
    gain = learning_rate * np.einsum("...i,...i->...", g, g)
    penalty = 0.5 * learning_rate**2 * np.einsum("...i,ij,...j->...", g, H, g)
    return gain, penalty


# --- the experiment the page shows ---------------------------------------------------------------
class Problem(NamedTuple):
    """f(x) = 1/2 x^T H x with H = V diag(lam) V^T; x0 has eigen-coordinates all 1."""

    surface: Surface
    lam: np.ndarray
    V: np.ndarray
    H: np.ndarray
    x0: np.ndarray


def make_problem(kappa: float, dim: int, rotate: bool = True, seed: int = 0) -> Problem:
    """The page's quadratic: ``dim`` eigenvalues spread over [1, kappa]; the eigenbasis is the
    coordinate basis, or a Haar-random rotation drawn from ``seed`` when ``rotate``."""
    lam = spectrum(kappa, dim)
    V = random_rotation(int(dim), np.random.default_rng(seed)) if rotate else np.eye(int(dim))
    surface = quadratic(lam, V, name=f"quadratic kappa={kappa:g}")
    return Problem(surface, lam, V, surface.hessian(np.zeros(int(dim))), V @ np.ones(int(dim)))


class Verdict(NamedTuple):
    """Theory's verdict on a run: 'converges', 'edge' (oscillates forever) or 'diverged'.

    step: for a divergent run, the first step whose cost is above the starting cost (else the step
    where the loop stopped), None if neither happened within the run. reason: a sentence.
    """

    state: str
    step: int | None
    reason: str


def _fmt(v: float) -> str:
    return f"{v:.4f}" if 1e-2 <= abs(v) < 1e4 else f"{v:.3g}"


def verdict(learning_rate: float, lam: np.ndarray, run: optim.Run, beta: float = 0.0) -> Verdict:
    """Compare a run with the exact stability condition of (heavy-ball) gradient descent."""
    lam_max = float(np.max(lam))
    rate = heavy_ball_rate(learning_rate, beta, lam) if beta else gd_rate(learning_rate, lam)
    hist = run.history
    above = hist.loc[hist["cost"] > hist["cost"].iloc[0], "step"]
    step = int(above.iloc[0]) if len(above) else run.status.step
    if beta:
        limit = (2.0 + 2.0 * beta) / learning_rate
        why = (f"lr x lambda_max = {_fmt(learning_rate * lam_max)} > 2 + 2 beta = {_fmt(2 + 2 * beta)}"
               if lam_max > limit else f"spectral radius {_fmt(rate)} >= 1")
    else:
        why = f"lr {_fmt(learning_rate)} > 2/lambda_max = {_fmt(critical_learning_rate(lam_max))}"
    if rate > 1.0 + 1e-12:
        return Verdict("diverged", step, why)
    if rate >= 1.0 - 1e-12:
        return Verdict("edge", None, f"lr {_fmt(learning_rate)} = 2/lambda_max: the top direction "
                                     "flips sign every step and never shrinks")
    return Verdict("converges", None, f"contraction {_fmt(rate)} per step")


class Result(NamedTuple):
    """Everything the ill-conditioning page draws.

    history: tidy runs, columns method ('gradient descent' | 'momentum'), step, cost, grad_norm,
        step_norm, theory_cost (the rate bound f0 rate^(2k) of that method).
    ledger: gradient descent's Taylor ledger, columns step, gain (eps g^T g), penalty
        (1/2 eps^2 g^T H g), predicted (penalty - gain), actual (f(x_{k+1}) - f(x_k)), rose (bool).
    path: both runs projected on the bottom and top eigendirections, columns method, step,
        u (along lambda_min), v (along lambda_max), cost.
    gd, hb: the verdicts of the two runs (hb is None without momentum).
    """

    problem: Problem
    history: pd.DataFrame
    ledger: pd.DataFrame
    path: pd.DataFrame
    gd: Verdict
    hb: Verdict | None


def gradient_descent_on_quadratic(kappa: float = 10.0, dim: int = 10, learning_rate: float = 0.15,
                                  num_steps: int = 100, beta: float = 0.0, rotate: bool = True,
                                  seed: int = 0) -> Result:
    """Run gradient descent (and heavy ball when beta > 0) on :func:`make_problem`'s quadratic."""
    p = make_problem(kappa, dim, rotate, seed)
    runs = {"gradient descent": (optim.chain(optim.scale_by_learning_rate(learning_rate)), 0.0)}
    if beta > 0:
        runs["momentum"] = (optim.chain(optim.momentum(beta),
                                        optim.scale_by_learning_rate(learning_rate)), beta)
    histories, paths, verdicts = [], [], {}
    for method, (transform, b) in runs.items():
        r = optim.run(p.surface, p.x0, transform, num_steps)
        rate = heavy_ball_rate(learning_rate, b, p.lam) if b else gd_rate(learning_rate, p.lam)
        h = r.history.assign(method=method)
        with np.errstate(over="ignore", under="ignore"):
            h["theory_cost"] = np.minimum(h["cost"].iloc[0] * rate ** (2.0 * h["step"]), 1e300)
        histories.append(h)
        z = r.x @ p.V
        paths.append(pd.DataFrame({"method": method, "step": h["step"], "u": z[:, 0],
                                   "v": z[:, -1], "cost": h["cost"]}))
        verdicts[method] = (r, verdict(learning_rate, p.lam, r, b))
    gd_run = verdicts["gradient descent"][0]
    with np.errstate(over="ignore", invalid="ignore"):
        g = gd_run.x[:-1] @ p.H
        gain, penalty = taylor_terms(g, p.H, learning_rate)
        actual = np.diff(gd_run.history["cost"].to_numpy())
    ledger = pd.DataFrame({"step": gd_run.history["step"].to_numpy()[:-1], "gain": gain,
                           "penalty": penalty, "predicted": penalty - gain, "actual": actual})
    ledger["rose"] = ledger["actual"] > 0
    hb = verdicts["momentum"][1] if "momentum" in verdicts else None
    return Result(p, pd.concat(histories, ignore_index=True), ledger,
                  pd.concat(paths, ignore_index=True), verdicts["gradient descent"][1], hb)


def rate_curve(lam, beta: float = 0.0, learning_rates=None) -> pd.DataFrame:
    """Contraction per step against the learning rate: columns learning_rate, method, rate.

    Gradient descent: max_i |1 - eps lambda_i| (a V with its bottom (kappa-1)/(kappa+1) at
    2/(lambda_min + lambda_max), crossing 1 at 2/lambda_max); heavy ball at ``beta`` when beta > 0.
    """
    lam = np.asarray(lam, dtype=float)
    if learning_rates is None:  # three decades around the stability edge 2/lambda_max
        learning_rates = np.geomspace(0.02 / lam.max(), 20.0 / lam.max(), 241)
    lrs = np.asarray(learning_rates, dtype=float)
    rows = [("gradient descent", gd_rate(e, lam)) for e in lrs]
    if beta > 0:
        rows += [("momentum", heavy_ball_rate(e, beta, lam)) for e in lrs]
    return pd.DataFrame({"learning_rate": np.tile(lrs, 2 if beta > 0 else 1),
                         "method": [m for m, _ in rows], "rate": [r for _, r in rows]})


def measured_rate(history: pd.DataFrame, tail: int = 20) -> float:
    """Per-step contraction read off a run: (f_K / f_{K-m})^(1/(2m)) over its last m steps
    (the cost is quadratic in the error, hence the square root). NaN when not measurable."""
    c = history["cost"].to_numpy()
    m = min(tail, len(c) - 1)
    if m < 1 or c[-1 - m] <= 0 or c[-1] <= 0:
        return float("nan")
    return float((c[-1] / c[-1 - m]) ** (1.0 / (2 * m)))


def ellipses(lam_min: float, lam_max: float, levels, n: int = 120) -> pd.DataFrame:
    """Level sets 1/2 (lambda_min u^2 + lambda_max v^2) = c of the eigen-plane as closed curves:
    columns level, t (order along the curve), u, v."""
    t = np.linspace(0.0, 2 * np.pi, n)
    frames = [pd.DataFrame({"level": float(c), "t": np.arange(n),
                            "u": np.sqrt(2 * c / lam_min) * np.cos(t),
                            "v": np.sqrt(2 * c / lam_max) * np.sin(t)})
              for c in levels if c > 0]
    return pd.concat(frames, ignore_index=True)


def path_level_sets(lam_min: float, lam_max: float, u0: float, v0: float, count: int = 9,
                    ratio: float = 0.4) -> pd.DataFrame:
    """:func:`ellipses` through the start (u0, v0) of a path in the eigen-plane and ``count - 1``
    smaller levels, each ``ratio`` times the one before."""
    f0 = 0.5 * (lam_min * u0**2 + lam_max * v0**2)
    return ellipses(lam_min, lam_max, [f0 * ratio**j for j in range(count)])
