"""Through depth (book 8.2.5, last point; 8.4): a shared W versus a fresh W per layer, and the
activation and gradient variances of the usual initializations, measured on real random layers.

The work is capped so the largest settings (n = 512, depth = 1000) stay interactive; every result
says how many seeds it used and how it sampled.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core.long_term import Recurrent
from core.long_term_theory import SCHEMES, act, act_derivative, random_walk_step, weight_variance

LN10 = np.log(10.0)
NUM_SEEDS = 200
MAX_NORMALS = 4e6  # random numbers drawn per ensemble (about 0.1 s)
MAX_MACS = 2e8  # multiply-adds of the shared-W products (about 0.1 s)


class Ensembles(NamedTuple):
    """Log-norms of g after t layers, many seeds, W with iid N(0, rho^2/n) entries.

    bands: columns ensemble ('shared W' | 'fresh W per layer'), step, q10, q50, q90 (log10).
    paths: columns ensemble, seed, step, log10: a few individual seeds, downsampled.
    final_fresh, final_shared: log10 ||g_depth|| / ||g_0|| per seed.
    fresh_method: 'matrices' (each layer's W drawn in full) or 'chi2' (||W_l u||^2 drawn as
        rho^2 chi^2_n / n: exact in distribution for any unit u, by rotation invariance).
    """

    bands: pd.DataFrame
    paths: pd.DataFrame
    final_fresh: np.ndarray
    final_shared: np.ndarray
    fresh_method: str


def _steps_kept(depth: int, max_points: int) -> np.ndarray:
    k = max(1, int(np.ceil((depth + 1) / max_points)))
    return np.unique(np.append(np.arange(0, depth + 1, k), depth))


def shared_vs_fresh(dim: int = 10, rho: float = 1.0, depth: int = 50, seed: int = 0,
                    num_seeds: int = NUM_SEEDS, method: str = "auto") -> Ensembles:
    """ln ||W^T ... W^T g|| over depth for one W per seed (recurrent) and a fresh W per layer
    (feedforward), both with Var W = rho^2/n (book 8.2.5; Sussillo 2014).

    Fresh layers use full matrices when num_seeds n^2 depth <= MAX_NORMALS (or method='matrices'),
    else the exact chi^2 shortcut (method='chi2'). The shared ensemble uses as many of num_seeds as
    MAX_MACS and MAX_NORMALS allow, at least 4.
    """
    n, L, S = int(dim), int(depth), int(num_seeds)
    rng = np.random.default_rng([int(seed), 3])
    if method == "auto":
        method = "matrices" if S * n * n * L <= MAX_NORMALS else "chi2"
    fresh = np.zeros((S, L + 1))
    if method == "matrices":
        u = rng.standard_normal((S, n))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        for t in range(1, L + 1):
            u = np.einsum("sij,sj->si", rng.standard_normal((S, n, n)), u) * (rho / np.sqrt(n))
            r = np.linalg.norm(u, axis=1)
            u /= r[:, None]
            fresh[:, t] = fresh[:, t - 1] + np.log(r)
    else:
        fresh[:, 1:] = np.cumsum(0.5 * np.log(rho**2 * rng.chisquare(n, (S, L)) / n), axis=1)
    S_sh = int(max(4, min(S, MAX_MACS // (n * n * L), MAX_NORMALS // (n * n))))
    W = rng.standard_normal((S_sh, n, n)) * (rho / np.sqrt(n))
    WT = np.ascontiguousarray(np.swapaxes(W, 1, 2))
    u = rng.standard_normal((S_sh, n, 1))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    shared = np.zeros((S_sh, L + 1))
    for t in range(1, L + 1):
        u = WT @ u
        r = np.linalg.norm(u, axis=1)
        u /= r[:, :, None]
        shared[:, t] = shared[:, t - 1] + np.log(r[:, 0])
    keep, few = _steps_kept(L, 300), _steps_kept(L, 100)
    names = ("shared W", "fresh W per layer")
    xs = (shared / LN10, fresh / LN10)
    q = [np.quantile(x[:, keep], [0.1, 0.5, 0.9], axis=0) for x in xs]
    bands = pd.DataFrame({"ensemble": np.repeat(names, len(keep)), "step": np.tile(keep, 2),
                          "q10": np.concatenate([a[0] for a in q]),
                          "q50": np.concatenate([a[1] for a in q]),
                          "q90": np.concatenate([a[2] for a in q])})
    m = [min(15, len(x)) for x in xs]
    paths = pd.DataFrame({"ensemble": np.repeat(names, [k * len(few) for k in m]),
                          "seed": np.concatenate([np.repeat(np.arange(k), len(few)) for k in m]),
                          "step": np.tile(few, sum(m)),
                          "log10": np.concatenate([x[:k, few].ravel() for x, k in zip(xs, m)])})
    return Ensembles(bands, paths, fresh[:, -1] / LN10, shared[:, -1] / LN10, method)


class RecurrentHeadline(NamedTuple):
    """Part 1 and 2's numbers, log10 of ||g after depth|| / ||g|| for the page's W.

    shared: no nonlinearity; shared_theory: depth log10 rho (exact for the scaled orthogonal
    kind); nonlinear: through f (equal to shared when the run is linear).
    """

    shared: float
    shared_theory: float
    nonlinear: float


def recurrent_headline(rec: Recurrent, depth: int) -> RecurrentHeadline:
    """The headline numbers of one :func:`core.long_term.recurrent_products` run of ``depth``."""
    p = rec.path
    return RecurrentHeadline(float(p["log10_linear"].iloc[-1]), int(depth) * float(np.log10(rec.rho)),
                             float(p["log10_nonlinear"].iloc[-1]))


class EnsembleHeadline(NamedTuple):
    """Part 3's numbers, log10 of ||g after depth|| / ||g|| over the two random ensembles.

    fresh: median over the fresh-W seeds; fresh_theory: depth x the random-walk mean step (the
    median of the normal approximation); shared: median over the shared-W seeds (one random
    W ~ N(0, rho^2/n) reused at every layer); rho_power: depth log10 rho, where a seed with
    |lambda_max(W)| = rho would end; num_fresh, num_shared: the seeds behind them.
    """

    fresh: float
    fresh_theory: float
    shared: float
    rho_power: float
    num_fresh: int
    num_shared: int


def ensemble_headline(ens: Ensembles, dim: int, rho: float, depth: int) -> EnsembleHeadline:
    """The headline numbers of :func:`shared_vs_fresh` run with ``dim``, ``rho``, ``depth``."""
    return EnsembleHeadline(float(np.median(ens.final_fresh)),
                            float(int(depth) * random_walk_step(dim, rho)[0] / LN10),
                            float(np.median(ens.final_shared)), int(depth) * float(np.log10(rho)),
                            len(ens.final_fresh), len(ens.final_shared))


class InitStudy(NamedTuple):
    """Measured variances per layer for each of theory.SCHEMES on one random deep net.

    data: columns scheme, layer, direction ('forward' E a_l^2 for l = 1..depth, 'backward'
        E (dL/dh_l)^2 for l = 0..depth), log10 (measured).
    width, batch: the network measured.
    dead: labels of schemes whose signal became exactly 0 (a layer with every ReLU off).
    """

    data: pd.DataFrame
    width: int
    batch: int
    dead: tuple[str, ...]


def initialization_study(depth: int = 50, seed: int = 0, width: int | None = None,
                         batch: int = 32) -> InitStudy:
    """Push a batch x ~ N(0, I) through ``depth`` square layers a_l = h_{l-1} W_l, h_l = f(a_l)
    with the same Gaussian draws G_l scaled by each scheme's sqrt(n Var W), then backpropagate a
    top gradient e ~ N(0, I). Log scales are tracked separately (the forward pass is rescaled for
    the homogeneous linear and ReLU layers, the backward pass always), so nothing underflows.
    The default width is min(64, sqrt(2e6 / depth)) (44 at depth 1000) to cap the work; a narrow
    net drifts below the mean-field theory by about depth/width (Hanin & Rolnick 2018)."""
    L = int(depth)
    w = int(width) if width is not None else int(min(64, np.sqrt(2e6 / L)))
    C, B = len(SCHEMES), int(batch)
    gain = np.array([np.sqrt(w * weight_variance(s.rule, w, w)) for s in SCHEMES])[:, None, None]
    kinds = [s.activation for s in SCHEMES]
    homogeneous = np.array([a != "tanh" for a in kinds])
    rng = np.random.default_rng([int(seed), 4])
    G = rng.standard_normal((L, w, w)) / np.sqrt(w)  # layer draws shared by the schemes
    h = np.broadcast_to(rng.standard_normal((B, w)), (C, B, w)).copy()
    top = rng.standard_normal((B, w))

    def each(fn, a):  # apply fn(activation, a[c]) per scheme
        return np.stack([fn(kind, a[c]) for c, kind in enumerate(kinds)])

    fwd = np.zeros((C, L))
    deriv = np.empty((L, C, B, w), dtype=np.float32)
    scale = np.zeros(C)
    with np.errstate(under="ignore", divide="ignore"):
        for i in range(L):
            a = (h @ G[i]) * gain
            fwd[:, i] = np.log(np.einsum("cbw,cbw->c", a, a) / (B * w)) + 2 * scale
            deriv[i] = each(act_derivative, a)
            h = each(act, a)
            r = np.sqrt(np.einsum("cbw,cbw->c", h, h) / (B * w))
            r = np.where(homogeneous & (r > 0), r, 1.0)
            h /= r[:, None, None]
            scale += np.log(r)
        delta = np.broadcast_to(top, (C, B, w)).copy()
        bwd = np.zeros((C, L + 1))
        scale = np.zeros(C)
        for i in range(L, 0, -1):
            bwd[:, i] = np.log(np.einsum("cbw,cbw->c", delta, delta) / (B * w)) + 2 * scale
            delta = ((delta * deriv[i - 1]) @ G[i - 1].T) * gain
            r = np.sqrt(np.einsum("cbw,cbw->c", delta, delta) / (B * w))
            r = np.where(r > 0, r, 1.0)
            delta /= r[:, None, None]
            scale += np.log(r)
        bwd[:, 0] = np.log(np.einsum("cbw,cbw->c", delta, delta) / (B * w)) + 2 * scale
    labels = [s.label for s in SCHEMES]
    data = pd.DataFrame({
        "scheme": np.concatenate([np.repeat(labels, L), np.repeat(labels, L + 1)]),
        "layer": np.concatenate([np.tile(np.arange(1, L + 1), C), np.tile(np.arange(L + 1), C)]),
        "direction": np.repeat(["forward", "backward"], [C * L, C * (L + 1)]),
        "log10": np.concatenate([fwd.ravel(), bwd.ravel()]) / LN10})
    dead = tuple(lab for c, lab in enumerate(labels) if np.isneginf(fwd[c]).any())
    return InitStudy(data, w, B, dead)


class GradientToInput(NamedTuple):
    """Part 4's numbers for one scheme: log10 E (dL/dh_0)^2 / E (dL/dh_depth)^2, the gradient
    variance reaching the input relative to the top layer, measured and mean-field."""

    label: str
    measured: float
    theory: float


def gradient_to_input(ini: InitStudy, theory: pd.DataFrame) -> list[GradientToInput]:
    """Per scheme of theory.SCHEMES, from :func:`initialization_study` and
    :func:`core.long_term_theory.initialization_theory` (whose G_depth = 1). -inf when the
    network is dead (every unit of some layer off)."""
    def backward(df):  # {scheme: (layers, log10)} of the backward rows
        rows = (df["direction"] == "backward").to_numpy()
        scheme = df["scheme"].to_numpy()[rows]
        layer, y = df["layer"].to_numpy()[rows], df["log10"].to_numpy()[rows]
        return {s.label: (layer[scheme == s.label], y[scheme == s.label]) for s in SCHEMES}

    meas, theo = backward(ini.data), backward(theory)
    out = []
    for s in SCHEMES:
        (lm, ym), (lth, yth) = meas[s.label], theo[s.label]
        # the top layer's gradient is a random draw: finite, so a dead net gives -inf, never NaN
        out.append(GradientToInput(s.label, float(ym[lm == 0][0] - ym[lm == lm.max()][0]),
                                   float(yth[lth == 0][0])))
    return out
