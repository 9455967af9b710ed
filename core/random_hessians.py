"""Random Hessians (book 8.2.3): in high dimension critical points are mostly saddles.

The model is the Gaussian orthogonal ensemble, H = (A + A^T) / sqrt(2n) with A standard normal
(off-diagonal variance 1/n, diagonal variance 2/n). Its spectrum fills Wigner's semicircle on
[-2, 2], so half the eigenvalues are negative; shifting it by a cost level e (H - e I) gives the
index-versus-cost picture of Bray & Dean (2007) and Dauphin et al. (2014); the chance that all n
eigenvalues are positive falls like exp(-(ln 3 / 4) n^2) (Dean & Majumdar 2006), far faster than
the 2^-n of the book's coin-flip heuristic.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

SPECTRUM_EIGENVALUES = 1024  # pooled eigenvalues per spectrum (fewer matrices as n grows)
P_SAMPLES = 1_000_000  # matrices per Monte Carlo estimate of P(all positive)
P_NMAX = 6


# --- closed forms --------------------------------------------------------------------------------
def semicircle_density(lam) -> np.ndarray:
    """rho(lam) = sqrt(4 - lam^2) / (2 pi) on [-2, 2], 0 outside (Wigner 1958)."""
    lam = np.asarray(lam, dtype=float)
    return np.sqrt(np.clip(4.0 - lam**2, 0.0, None)) / (2 * np.pi)


def semicircle_cdf(x) -> np.ndarray:
    """F(x) = 1/2 + x sqrt(4 - x^2) / (4 pi) + arcsin(x/2) / pi: the fraction of eigenvalues
    below x, i.e. the index (fraction of negative eigenvalues) of H - x I."""
    x = np.clip(np.asarray(x, dtype=float), -2.0, 2.0)
    return 0.5 + x * np.sqrt(4.0 - x**2) / (4 * np.pi) + np.arcsin(x / 2) / np.pi


def semicircle_moment(p: int) -> float:
    """E[lam^p] under the semicircle: the Catalan number C_{p/2} for even p, 0 for odd p."""
    return 0.0 if p % 2 else float(math.comb(p, p // 2) / (p // 2 + 1))


def p_all_positive_exact(n: int) -> float | None:
    """P(all n eigenvalues of a GOE matrix are positive) in closed form: 1/2 for n = 1 and
    (2 - sqrt 2)/4 for n = 2 (eigenvalues u +- sqrt(v^2 + b^2) with u, v, b iid normal);
    None for larger n."""
    return {1: 0.5, 2: (2 - math.sqrt(2)) / 4}.get(int(n))


def p_all_positive_rate(n) -> np.ndarray:
    """exp(-(ln 3 / 4) n^2): the large-n decay rate of Dean & Majumdar (2006) (prefactor unknown)."""
    return np.exp(-math.log(3) / 4 * np.asarray(n, dtype=float) ** 2)


def p_all_positive_rate_log10(n) -> np.ndarray:
    """log10 of :func:`p_all_positive_rate`, -(ln 3 / 4) n^2 / ln 10, which does not underflow."""
    return -math.log(3) / 4 * np.asarray(n, dtype=float) ** 2 / math.log(10)


def coin_flip(n) -> np.ndarray:
    """2^-n: the book's heuristic, each eigenvalue's sign an independent coin flip (8.2.3)."""
    return 2.0 ** -np.asarray(n, dtype=float)


def coin_flip_log10(n) -> np.ndarray:
    """log10 of :func:`coin_flip`, -n log10 2."""
    return -np.asarray(n, dtype=float) * math.log10(2)


# --- sampling ------------------------------------------------------------------------------------
def goe(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` GOE matrices (size, n, n): (A + A^T) / sqrt(2n)."""
    a = rng.standard_normal((size, n, n))
    return (a + np.swapaxes(a, 1, 2)) / math.sqrt(2 * n)


class Spectrum(NamedTuple):
    """Pooled eigenvalues of ``matrices`` GOE draws of size n.

    histogram: columns lo, hi, density (a normalized histogram). theory: columns lam, density
    (the semicircle). index: columns level e, measured (fraction of eigenvalues < e, the index of
    H - e I), theory (semicircle_cdf(e)). fraction_negative: measured at e = 0.
    """

    n: int
    matrices: int
    eigenvalues: np.ndarray
    histogram: pd.DataFrame
    theory: pd.DataFrame
    index: pd.DataFrame
    fraction_negative: float


def spectrum(n: int = 10, seed: int = 0, pooled: int = SPECTRUM_EIGENVALUES) -> Spectrum:
    """Sample ceil(pooled / n) GOE matrices of size n and compare their spectrum with the
    semicircle (Wigner 1958) and their index under a shift with the semicircle's CDF."""
    n = int(n)
    m = max(1, math.ceil(pooled / n))
    lam = np.sort(np.linalg.eigvalsh(goe(n, m, np.random.default_rng(seed))).ravel())
    lo, hi = min(-2.2, lam[0]), max(2.2, lam[-1])
    counts, edges = np.histogram(lam, bins=44, range=(lo, hi), density=True)
    grid = np.linspace(-2.0, 2.0, 161)
    levels = np.linspace(-3.0, 3.0, 121)
    measured = np.searchsorted(lam, levels, side="left") / lam.size
    return Spectrum(n, m, lam,
                    pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "density": counts}),
                    pd.DataFrame({"lam": grid, "density": semicircle_density(grid)}),
                    pd.DataFrame({"level": levels, "measured": measured,
                                  "theory": semicircle_cdf(levels)}),
                    float(np.mean(lam < 0)))


def p_all_positive(n_max: int = P_NMAX, samples: int = P_SAMPLES, seed: int = 0) -> pd.DataFrame:
    """Monte Carlo P(all eigenvalues positive) for GOE sizes n = 1..n_max, all from one batch.

    Each matrix is grown a row and column at a time; by Sylvester's criterion its leading n x n
    block is positive definite iff every Cholesky pivot d_j = a_jj - ||L^-1 c_j||^2 so far is
    > 0 (L^-1 is grown alongside), and the leading block of a GOE matrix is a GOE matrix (up to
    a scale, which does not change signs). Only the survivors grow, so the cost is about
    2 ``samples`` normal draws in all.

    Returns columns n, hits, samples, p, lo, hi (Wilson 95% interval), rate
    (exp(-(ln 3/4) n^2)), coin (2^-n), exact (closed form for n <= 2, NaN otherwise).
    """
    rng = np.random.default_rng(seed)
    d = rng.standard_normal(samples) * math.sqrt(2.0)  # diagonal variance twice the off-diagonal
    keep = d > 0
    Linv = (1.0 / np.sqrt(d[keep]))[:, None, None]  # inverse Cholesky factor of the leading block
    hits = [int(keep.sum())]
    for n in range(2, int(n_max) + 1):
        m = Linv.shape[0]
        w = np.einsum("mij,mj->mi", Linv, rng.standard_normal((m, n - 1)))
        piv = rng.standard_normal(m) * math.sqrt(2.0) - np.einsum("mi,mi->m", w, w)
        keep = piv > 0
        r = 1.0 / np.sqrt(piv[keep])
        kept = Linv[keep]
        new = np.zeros((kept.shape[0], n, n))
        new[:, : n - 1, : n - 1] = kept
        new[:, n - 1, : n - 1] = -np.einsum("mi,mij->mj", w[keep], kept) * r[:, None]
        new[:, n - 1, n - 1] = r
        Linv = new
        hits.append(int(keep.sum()))
    ns = np.arange(1, int(n_max) + 1)
    h = np.array(hits, dtype=float)
    p = h / samples
    z = 1.96
    centre = (p + z**2 / (2 * samples)) / (1 + z**2 / samples)
    half = z * np.sqrt(p * (1 - p) / samples + z**2 / (4 * samples**2)) / (1 + z**2 / samples)
    exact = [p_all_positive_exact(j) for j in ns]
    return pd.DataFrame({"n": ns, "hits": h.astype(int), "samples": samples, "p": p,
                         "lo": np.maximum(centre - half, 0.0), "hi": centre + half,
                         "rate": p_all_positive_rate(ns), "coin": coin_flip(ns),
                         "exact": [np.nan if e is None else e for e in exact]})
