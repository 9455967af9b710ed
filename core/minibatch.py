"""Minibatch algorithms (book 8.1.3): how the error of a minibatch estimate falls with the batch.

The problem is least squares on m examples x_i ~ N(0, H) with H = diag(lam), lam log-spread over
[1, kappa] (the eigenbasis is the coordinate basis: every quantity here is rotation invariant), and
labels y_i = x_i^T w* + sigma eps_i. At a point w the per-example gradient is g_i = x_i (x_i^T w - y_i).
A minibatch of B examples drawn WITHOUT replacement gives g_B with

    E ||g_B - G||^2 = tr(Sigma) / B * (m - B) / (m - 1)      (the standard error sigma / sqrt(B))

and the Newton direction H^-1 g_B, with H known exactly (the book's argument: "suppose that H is
estimated perfectly"), has relative error at most kappa times the gradient's. Part 2 (ordered
batches) lives in :mod:`core.minibatch_order`, part 3 (SGD, noise scale) in :mod:`core.minibatch_sgd`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core import minibatch_theory as mt
from core.ill_conditioning import spectrum

BATCH_GRID = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000)


# --- the data ------------------------------------------------------------------------------------
class Data(NamedTuple):
    """X (m, d) float32 with rows ~ N(0, diag(lam)); y (m,); lam (d,); w_star (d,), |w*| = 1."""

    X: np.ndarray
    y: np.ndarray
    lam: np.ndarray
    w_star: np.ndarray
    noise: float


def problem_size(dim: int) -> tuple[int, int]:
    """(m examples, R random subsets of 10,000) used at dimension ``dim``: m = 100,000 for small n,
    shrinking to 20,000 at large n (m * n <= 2e6 when possible, never below 20,000 so that
    B = 10,000 is still a sample); R such that the largest batch gets about 5 per cent precision
    (its squared error averages about n independent terms, so R ~ 200 / n, at least 2), which
    keeps the work ~ R * 10,000 * n small enough for an interactive page."""
    m = int(min(100_000, max(20_000, round(2e6 / dim, -3))))
    return m, int(np.clip(np.ceil(200 / dim), 2, 20))


def make_data(m: int, dim: int, kappa: float, seed: int = 0, noise: float = mt.NOISE) -> Data:
    """Draw the least-squares data set from stream 0 of ``seed``: w* uniform on the unit sphere,
    rows x_i ~ N(0, diag(spectrum(kappa, dim))) i.i.d., y_i = x_i^T w* + noise eps_i."""
    rng = np.random.default_rng([seed, 0])
    lam = spectrum(kappa, dim)
    w_star = rng.standard_normal(dim)
    w_star /= np.linalg.norm(w_star)
    X = rng.standard_normal((m, dim), dtype=np.float32) * np.sqrt(lam).astype(np.float32)
    y = (X @ w_star.astype(np.float32)).astype(float) + noise * rng.standard_normal(m)
    return Data(X, y, lam, w_star, noise)


def per_example_gradients(data: Data, w) -> np.ndarray:
    """g_i = x_i (x_i^T w - y_i), shape (m, d) float32: the gradients of 1/2 (x_i^T w - y_i)^2."""
    r = (data.X @ np.asarray(w, dtype=np.float32)).astype(float) - data.y
    return data.X * r.astype(np.float32)[:, None]


# --- measurement ---------------------------------------------------------------------------------
def draw_subsets(m: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` independent random subsets of ``size`` distinct indices from range(m), in random
    order, shape (count, size). Any run of consecutive positions of a row is a minibatch drawn
    without replacement; disjoint runs of one row are exchangeable draws."""
    return np.stack([rng.choice(m, size, replace=False) for _ in range(count)])


def block_errors(c: np.ndarray, weights: np.ndarray, batches, subsets: np.ndarray,
                 max_draws: int = 2000, chunk: int = 4_000_000) -> list[np.ndarray]:
    """Squared weighted errors sum_j w_j (mean_{i in S} c_ij)^2 of minibatch means over batches S
    of B consecutive positions [kB, (k+1)B) of every row of ``subsets`` (at most ``max_draws``
    per batch size). One cumulative sum along each row serves every batch size at once; columns
    are processed in chunks to bound memory.

    Args: c (m, d) centred per-example values; weights (k, d) one row per weighting; batches (nb,)
        each at most subsets.shape[1]; subsets (R, L) index arrays (:func:`draw_subsets`).
    Returns: a list over batches of arrays (k, draws).
    """
    R, L = subsets.shape
    d = c.shape[1]
    step = max(1, int(chunk // (R * L)))
    per_row = [min(L // b, -(-max_draws // R)) for b in batches]
    out = [np.zeros((len(weights), R * n)) for n in per_row]
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(0, d, step):
            cs = c[:, j : j + step][subsets].astype(float)  # (R, L, dc)
            np.cumsum(cs, axis=1, out=cs)
            for out_b, b, n in zip(out, batches, per_row):
                sums = np.diff(cs[:, b - 1 : n * b : b], axis=1, prepend=0.0) / b  # (R, n, dc)
                out_b += np.einsum("rnd,kd->krn", sums**2, weights[:, j : j + step]).reshape(
                    len(weights), -1)
    return out


def crossing(batches, errors, target: float) -> float:
    """The first batch at which a measured error curve falls to ``target``, interpolated linearly in
    log B against log error between grid points; inf if it never does on the grid."""
    b = np.log(np.asarray(batches, dtype=float))
    e = np.log(np.maximum(np.asarray(errors, dtype=float), 1e-300))
    t = np.log(target)
    below = np.flatnonzero(e <= t)
    if len(below) == 0:
        return float("inf")
    i = int(below[0])
    if i == 0:
        return float(np.exp(b[0]))
    f = (t - e[i - 1]) / (e[i] - e[i - 1])
    return float(np.exp(b[i - 1] + f * (b[i] - b[i - 1])))


class BatchStudy(NamedTuple):
    """Part 1 of the page, at w = 0 (the start of training).

    curves: columns batch, quantity ('gradient' | 'newton'), measured (RMS relative error over
        the draws), theory (exact expectation over without-replacement draws from this data set),
        bound (kappa x the gradient's measured error; newton rows only, NaN otherwise), draws.
    m, subsets: data set size and number of random subsets of 10,000 drawn; kappa: cond(H).
    b_simple: tr(Sigma)/|G|^2 measured on the data set; b_simple_theory: the closed form.
    amplification: measured A^2 (newton / gradient relative variance on the data set);
        amplification_theory: :func:`newton_amplification`.
    target: gradient error at B = 100; match: batch where the measured Newton curve falls to it
        (inf: not on the grid); match_theory: the same from this data set's exact expectation.
    """

    curves: pd.DataFrame
    m: int
    subsets: int
    kappa: float
    b_simple: float
    b_simple_theory: float
    amplification: float
    amplification_theory: float
    target: float
    match: float
    match_theory: float


def batch_size_study(dim: int = 10, kappa: float = 10.0, seed: int = 0, batches=BATCH_GRID,
                     m: int | None = None, subsets: int | None = None) -> BatchStudy:
    """Relative RMS errors of g_B and of H^-1 g_B (H exact) against the full-data G and H^-1 G, for
    every batch on the grid, at w = 0 (book 8.1.3; m and the number of random subsets default to
    :func:`problem_size`)."""
    m_default, r_default = problem_size(dim)
    m, R = m or m_default, subsets or r_default
    data = make_data(m, dim, kappa, seed)
    lam = data.lam
    w0 = np.zeros(dim)
    c = per_example_gradients(data, w0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        G = c.mean(axis=0, dtype=float)
        c -= G.astype(np.float32)
        weights = np.stack([np.ones(dim), 1.0 / lam**2])
        per_ex = weights @ np.square(c).sum(axis=0).astype(float) / m  # tr Sigma, tr H^-1 S H^-1
        norms = weights @ (G * G)  # |G|^2, |H^-1 G|^2
        rel_var = per_ex / norms
        batches = [b for b in batches if b <= m // 2]
        subsets = draw_subsets(m, max(batches), R, np.random.default_rng([seed, 1]))
        sq = block_errors(c, weights, batches, subsets)
        measured = np.array([np.sqrt(s.mean(axis=1) / norms) for s in sq])  # (nb, 2)
    rows = []
    for k, name in enumerate(("gradient", "newton")):
        rows.append(pd.DataFrame({
            "batch": batches, "quantity": name, "measured": measured[:, k],
            "theory": mt.relative_error(rel_var[k], batches, m),
            "bound": kappa * measured[:, 0] if k else np.nan,
            "draws": [s.shape[1] for s in sq]}))
    curves = pd.concat(rows, ignore_index=True)
    i100 = batches.index(100)
    target = float(measured[i100, 0])
    return BatchStudy(curves, m, R, float(lam[-1] / lam[0]), float(rel_var[0]),
                      mt.b_simple(lam, w0, data.w_star, data.noise), float(rel_var[1] / rel_var[0]),
                      mt.newton_amplification(lam, w0, data.w_star, data.noise), target,
                      crossing(batches, measured[:, 1], target),
                      mt.match_batch(float(rel_var[1]), float(mt.relative_error(rel_var[0], 100, m)), m))


def match_against_kappa(dim: int = 10, seed: int = 0, kappas=None, reference: int = 100
                        ) -> pd.DataFrame:
    """Batch the Newton direction needs to match the gradient's error at ``reference``, with
    unlimited data, against kappa: columns kappa, case ('this problem' = reference * A^2(kappa)
    from the closed form at w = 0 with the page's w*, 'worst case' = reference * kappa^2), batch."""
    kappas = np.geomspace(1.0, 1e4, 41) if kappas is None else np.asarray(kappas, dtype=float)
    w_star = make_data(1, dim, 1.0, seed).w_star
    this = [reference * mt.newton_amplification(spectrum(k, dim), np.zeros(dim), w_star)
            for k in kappas]
    return pd.DataFrame({"kappa": np.tile(kappas, 2),
                         "case": ["this problem"] * len(kappas) + ["worst case κ²"] * len(kappas),
                         "batch": np.concatenate([this, reference * kappas**2])})


def learning_rate_limits(dim: int = 10, kappa: float = 10.0, seed: int = 0) -> pd.DataFrame:
    """Stability limit and best step against batch size at w = 0 for the page's problem
    (:func:`core.minibatch_theory.step_curves`): columns batch, curve, learning_rate."""
    data = make_data(1, dim, kappa, seed)
    return mt.step_curves(data.lam, np.zeros(dim), data.w_star, BATCH_GRID)
