"""Closed forms for the minibatch page (book 8.1.3): sampling error, Newton's amplification of it,
the gradient noise scale (McCandlish et al. 2018) and the stability limit of minibatch SGD.

All for least squares with Gaussian inputs x ~ N(0, H), H = diag(lam), labels y = x^T w* + sigma eps:
the page's problem (:mod:`core.minibatch`). They serve as chart overlays and as test oracles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NOISE = 1.0  # label noise sigma


def noise_moments(lam, w, w_star, noise: float = NOISE) -> dict[str, np.ndarray]:
    """Population moments of g = x (x^T w - y) for x ~ N(0, diag lam), y = x^T w* + noise eps.

    With a = w - w* and c = a^T H a + sigma^2 (Isserlis: E[x x^T (x^T a)^2] = (a^T H a) H + 2 H a a^T H):
        G = H a,  Sigma = c H + H a a^T H,
        tr Sigma = c tr H + |Ha|^2,     tr(H^-1 Sigma H^-1) = c tr H^-1 + |a|^2,
        tr(H Sigma) = c tr H^2 + a^T H^3 a,   |H^-1 G|^2 = |a|^2.
    w may carry leading axes (..., d); every entry then has shape (...).
    """
    lam = np.asarray(lam, dtype=float)
    a = np.asarray(w, dtype=float) - np.asarray(w_star, dtype=float)
    a2 = a * a
    c = a2 @ lam + noise**2
    Ha2, GHG = a2 @ lam**2, a2 @ lam**3
    return dict(G2=Ha2, trS=c * lam.sum() + Ha2, NG2=a2.sum(-1), trNSN=c * np.sum(1.0 / lam)
                + a2.sum(-1), trHS=c * np.sum(lam**2) + GHG, GHG=GHG)


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.asarray(num, dtype=float) / np.asarray(den, dtype=float)
    return float(r) if r.ndim == 0 else r


def b_simple(lam, w, w_star, noise: float = NOISE):
    """Gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018, eq 2.8); for least
    squares with Gaussian inputs 1 + (a^T H a + sigma^2) tr H / |H a|^2, a = w - w* (inf at w*)."""
    mo = noise_moments(lam, w, w_star, noise)
    return _ratio(mo["trS"], mo["G2"])


def b_noise(lam, w, w_star, noise: float = NOISE):
    """B_noise = tr(H Sigma) / (G^T H G) (McCandlish et al. 2018, eq 2.7): the batch at which the
    best step is half the full-batch best step, eps_opt(B) = eps_max / (1 + B_noise / B)."""
    mo = noise_moments(lam, w, w_star, noise)
    return _ratio(mo["trHS"], mo["GHG"])


def newton_amplification(lam, w, w_star, noise: float = NOISE):
    """A^2 = [tr(H^-1 Sigma H^-1)/|H^-1 G|^2] / [tr Sigma / |G|^2]: how many times the batch must
    grow for H^-1 g_B to be as accurate (relatively) as g_B. At most kappa^2 (SCIENCE.md)."""
    mo = noise_moments(lam, w, w_star, noise)
    return _ratio(mo["trNSN"] * mo["G2"], mo["NG2"] * mo["trS"])


def fpc(batch, m: float | None) -> np.ndarray:
    """Finite-population correction (m - B)/(m - 1) of sampling without replacement (1 if m None)."""
    b = np.asarray(batch, dtype=float)
    return np.ones_like(b) if m is None else (m - b) / (m - 1.0)


def relative_error(rel_var: float, batch, m: float | None = None) -> np.ndarray:
    """RMS relative error sqrt(v / B * (m - B)/(m - 1)) of a minibatch mean whose per-example
    relative variance is v = tr(Sigma)/|mean|^2: the book's sigma / sqrt(m) (section 8.1.3)."""
    b = np.asarray(batch, dtype=float)
    return np.sqrt(rel_var / b * fpc(b, m))


def match_batch(rel_var: float, target: float, m: float | None = None) -> float:
    """The batch B at which :func:`relative_error` (rel_var, B, m) equals ``target``:
    v (m - B) / (B (m - 1)) = t^2  =>  B = v m / (t^2 (m - 1) + v);  B = v / t^2 if m is None."""
    t2 = target**2
    return rel_var / t2 if m is None else rel_var * m / (t2 * (m - 1.0) + rel_var)


def stability_limit(lam, batch: float | np.ndarray) -> float | np.ndarray:
    """Largest learning rate at which minibatch SGD on least squares is mean-square stable
    (Gaussian inputs, batches of B independent examples). The diagonal of E[e e^T] obeys
    m' = D m + (eps^2/B) lam lam^T m with D_j = (1 - eps lam_j)^2 + eps^2 lam_j^2 / B, since
    E[H_B M H_B] = (1 + 1/B) H M H + H tr(HM) / B (Isserlis). This nonnegative map has spectral
    radius < 1 iff eps (1 + 1/B) lam_max < 2 and (eps / B) sum_j lam_j / (2 - eps (1 + 1/B) lam_j) < 1.
    Tends to 2/lam_max as B -> infinity; 2/(n + 2) for B = 1 and H = I. ``batch`` may be an array
    (one bisection for all of them, returning an array of limits); a scalar gives a float."""
    lam = np.asarray(lam, dtype=float)
    b = np.asarray(batch, dtype=float)
    q = 1.0 + 1.0 / b[..., None]
    lo, hi = np.zeros(b.shape), 2.0 / (q[..., 0] * lam.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            den = 2.0 - mid[..., None] * q * lam
            stable = np.all(den > 0, axis=-1) & (mid / b * np.sum(lam / den, axis=-1) < 1.0)
            lo, hi = np.where(stable, mid, lo), np.where(stable, hi, mid)
    return float(lo) if lo.ndim == 0 else lo


def step_curves(lam, w, w_star, batches, noise: float = NOISE):
    """Learning rates against batch size at the point w, as a tidy DataFrame (columns batch, curve,
    learning_rate): 'stability limit' (:func:`stability_limit`) and 'best step' eps_opt(B) =
    eps_max / (1 + B_noise / B) with eps_max = |G|^2 / G^T H G, which minimizes the expected loss
    after one step on a quadratic (McCandlish et al. 2018, eq 2.6)."""
    b = np.asarray(batches, dtype=float)
    mo = noise_moments(lam, w, w_star, noise)
    best = _ratio(mo["G2"], mo["GHG"]) / (1.0 + b_noise(lam, w, w_star, noise) / b)
    limit = stability_limit(lam, b)
    return pd.DataFrame({"batch": np.concatenate([b, b]),
                         "curve": ["stability limit"] * len(b) + ["best step ε_opt(B)"] * len(b),
                         "learning_rate": np.concatenate([limit, best])})
