"""Training economics of minibatch SGD (book 8.1.3, 8.3.1) and the bias of reused examples.

SGD on the page's least-squares data (:mod:`core.minibatch`) at a given learning rate with several
batch sizes: the true (population) excess loss 1/2 (w - w*)^T H (w - w*) against steps and against
examples processed, and the gradient noise scale B_simple = tr(Sigma)/|G|^2 along the run
(McCandlish et al. 2018, "An Empirical Model of Large-Batch Training").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core.minibatch import Data, make_data, per_example_gradients, problem_size
from core.minibatch_theory import b_noise, b_simple, stability_limit

WORK = 8e6  # examples x features processed per run at most: keeps large batches at large n fast


class RunStatus(NamedTuple):
    """How one SGD run ended: diverged at ``step`` (None if not) for ``reason``; ``steps`` run."""

    batch: int
    diverged: bool
    step: int | None
    reason: str
    steps: int


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def sgd(data: Data, learning_rate: float, batch: int, shuffle: bool, num_steps: int,
        seed: int = 0, stored: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray, RunStatus]:
    """Minibatch SGD w <- w - eps g_B from w = 0 (book Algorithm 8.1). Batches are consecutive
    slices of a fresh random permutation each epoch (``shuffle``) or of the stored order, which
    is sorted by the label y (``stored``: argsort(y), if at hand); a last partial slice is skipped.
    Stops at divergence (non-finite, or the loss 1e6 times its start). Returns (history: step,
    examples, loss; the visited w (rows, d); status), loss = 1/2 (w - w*)^T H (w - w*): the excess
    of the true expected loss. Runs at most WORK / (B n) steps."""
    m, d = data.X.shape
    B = int(min(batch, m))
    steps = int(min(num_steps, max(1, WORK // (B * d))))
    per_epoch = m // B
    rng = np.random.default_rng([seed, 4, B])
    if stored is None and not shuffle:
        stored = np.argsort(data.y, kind="stable")
    lam, w_star = data.lam, data.w_star
    w = np.zeros(d)
    ws, losses = [w.copy()], [0.5 * float(np.sum(lam * w_star**2))]
    status = RunStatus(B, False, None, "", steps)
    curvature = 0.0  # largest g^T H_B g / g^T g met (stored order only): how steep its batches are
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        order = stored
        for k in range(steps):
            j = k % per_epoch
            if j == 0 and shuffle:
                order = rng.permutation(m)
            batch_idx = order[j * B : (j + 1) * B]
            Xb = data.X[batch_idx]  # float32 products: 3x faster, ample for a gradient step
            r = (Xb @ w.astype(np.float32)).astype(float) - data.y[batch_idx]
            g = (Xb.T @ r.astype(np.float32)).astype(float) / B
            if not shuffle and np.isfinite(gg := float(g @ g)) and gg > 0:
                curvature = max(curvature, float(np.sum((Xb @ g.astype(np.float32)) ** 2)) / (B * gg))
            w = w - learning_rate * g
            loss = 0.5 * float(np.sum(lam * (w - w_star) ** 2))
            if not np.isfinite(loss) or loss > 1e6 * losses[0]:
                why = divergence_reason(lam, learning_rate, B, None if shuffle else curvature)
                status = RunStatus(B, True, k + 1, why, k + 1)
                if np.isfinite(loss):  # keep the first point past the limit: charts show the climb
                    ws.append(w.copy())
                    losses.append(loss)
                break
            ws.append(w)
            losses.append(loss)
    n = len(losses)
    hist = pd.DataFrame({"step": np.arange(n), "examples": np.arange(n) * B, "loss": losses})
    return hist, np.array(ws), status


def divergence_reason(lam, learning_rate: float, batch: int, curvature: float | None = None) -> str:
    """Why SGD at this learning rate and batch blows up, from the closed forms; ``curvature`` (the
    steepest g^T H_B g / g^T g met) is given for batches taken in the label-sorted stored order."""
    full = 2.0 / float(np.max(lam))
    lim = stability_limit(lam, batch)
    if learning_rate > full:
        return f"lr {_fmt(learning_rate)} > 2/λmax = {_fmt(full)} (λmax of the Hessian H = E[xxᵀ])"
    if curvature is not None and learning_rate * curvature > 2:
        return (f"the stored order (sorted by y) is not random: its batches of extreme examples "
                f"reached curvature gᵀH_Bg/gᵀg = {_fmt(curvature)} > 2/lr = {_fmt(2 / learning_rate)}"
                f", although λmax(H) = {_fmt(float(np.max(lam)))}")
    if learning_rate > lim:
        return (f"lr {_fmt(learning_rate)} > {_fmt(lim)}, the mean-square stability limit of SGD "
                f"with batch {batch} (below 2/λmax = {_fmt(full)} because of the gradient noise)")
    return (f"lr {_fmt(learning_rate)} is close to the stability limit {_fmt(lim)} for batch "
            f"{batch}; this finite run was unlucky")


def measured_noise_scale(data: Data, w, n: int) -> float:
    """B_simple from the first n examples at w: tr(S) / (|g_bar|^2 - tr(S)/n), the unbiased form
    (|g_bar|^2 overestimates |G|^2 by tr(Sigma)/n; McCandlish et al. 2018, appendix A). NaN when
    the corrected |G|^2 is not positive (the gradient is lost in the noise)."""
    sub = Data(data.X[:n], data.y[:n], data.lam, data.w_star, data.noise)
    g = per_example_gradients(sub, w).astype(float)
    mean = g.mean(axis=0)
    tr = float(((g - mean) ** 2).sum() / (n - 1))
    den = float(mean @ mean) - tr / n
    return tr / den if den > 0 else float("nan")


def batch_ladder(batch: int, m: int) -> list[int]:
    """The batch sizes compared: B/10, B and 10 B, kept within 1..m."""
    return sorted({int(min(max(b, 1), m)) for b in (batch // 10, batch, batch * 10)})


class SgdStudy(NamedTuple):
    """Part 3 of the page.

    history: columns batch (int), run (label 'B = ...', '(all m)' for the full batch), step,
        examples, loss.
    runs: one :class:`RunStatus` per batch size (steps < requested: cut to keep the page fast).
    noise: along the run at the page's batch, columns step, quantity ('B_simple (data)',
        'B_simple', 'B_noise': closed forms), value (finite, positive).
    start, end: closed-form B_simple at the first and last point of that run; sample: examples used
        for each measured B_simple; limits: {batch: mean-square stability limit}.
    """

    history: pd.DataFrame
    runs: list
    noise: pd.DataFrame
    start: float
    end: float
    sample: int
    limits: dict
    num_steps: int


def sgd_study(dim: int = 10, kappa: float = 10.0, seed: int = 0, learning_rate: float = 0.15,
              batch: int = 100, shuffle: bool = True, num_steps: int = 200) -> SgdStudy:
    """SGD at ``learning_rate`` with batches B/10, B, 10 B on the page's data (same m as part 1),
    and the noise scale along the run at B."""
    m, _ = problem_size(dim)
    data = make_data(m, dim, kappa, seed)
    hists, runs, mine = [], [], None
    stored = None if shuffle else np.argsort(data.y, kind="stable")
    for b in batch_ladder(batch, m):
        h, ws, st = sgd(data, learning_rate, b, shuffle, num_steps, seed, stored)
        hists.append(h.assign(batch=b, run=f"B = {b:,}" + (" (all m)" if b == m else "")))
        runs.append(st)
        if b == min(batch, m):
            mine = (h, ws)
    h, ws = mine
    th = [pd.DataFrame({"step": h["step"], "quantity": q, "value": f(data.lam, ws, data.w_star)})
          for q, f in (("B_simple", b_simple), ("B_noise", b_noise))]
    n = int(min(m, max(1000, 1e5 // dim)))
    picks = np.unique(np.geomspace(1, len(ws), 10).astype(int) - 1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        meas = [(int(h["step"].iloc[i]), "B_simple (data)", measured_noise_scale(data, ws[i], n))
                for i in picks]
    noise = pd.concat(th + [pd.DataFrame(meas, columns=["step", "quantity", "value"])],
                      ignore_index=True)
    noise = noise[np.isfinite(noise["value"]) & (noise["value"] > 0)].reset_index(drop=True)
    return SgdStudy(pd.concat(hists, ignore_index=True), runs, noise,
                    b_simple(data.lam, ws[0], data.w_star, data.noise),
                    b_simple(data.lam, ws[-1], data.w_star, data.noise), n,
                    {b: stability_limit(data.lam, b) for b in batch_ladder(batch, m)}, num_steps)


class ReuseStudy(NamedTuple):
    """Second-epoch bias. trace: columns step, epoch, gap (mean over runs of minibatch loss minus
    true loss, before the step), se (its standard error). epochs: columns epoch, bias, se.
    fit_gap: the gap at the exact least-squares fit, -sigma^2/2 (n/m + n/(m - n - 1))."""

    trace: pd.DataFrame
    epochs: pd.DataFrame
    fit_gap: float
    n: int
    m: int
    batch: int
    learning_rate: float
    runs: int


def reuse_bias(seed: int = 0, n: int = 20, m: int = 100, batch: int = 10, epochs: int = 4,
               runs: int = 200, learning_rate: float = 0.2, noise: float = 1.0) -> ReuseStudy:
    """SGD on ``runs`` independent small data sets (m examples, n isotropic features) for several
    epochs, reshuffled each epoch. Before each step, the loss of the minibatch about to be used is an
    estimate of the true loss J(w) = 1/2 |w - w*|^2 + sigma^2/2. In the first epoch its examples
    are fresh, so the estimate is unbiased; from the second epoch on they were already used to fit
    w and it is biased low (book 8.1.3: 'the estimate becomes biased because it is formed by
    resampling values that have already been used')."""
    rng = np.random.default_rng([seed, 5])
    w_star = rng.standard_normal((runs, n)) / np.sqrt(n)
    X = rng.standard_normal((runs, m, n))
    y = np.einsum("rmn,rn->rm", X, w_star) + noise * rng.standard_normal((runs, m))
    w = np.zeros((runs, n))
    rows, per_epoch = np.arange(runs)[:, None], m // batch
    gaps = np.empty((epochs * per_epoch, runs))  # minibatch loss - true loss, step by run
    with np.errstate(over="ignore", invalid="ignore"):
        for e in range(epochs):
            order = rng.permuted(np.broadcast_to(np.arange(m), (runs, m)), axis=1)
            for j in range(per_epoch):
                idx = order[:, j * batch : (j + 1) * batch]
                Xb, yb = X[rows, idx], y[rows, idx]  # (runs, B, n), (runs, B)
                r = (Xb @ w[:, :, None])[:, :, 0] - yb
                gaps[e * per_epoch + j] = (0.5 * np.mean(r**2, axis=1)
                                           - 0.5 * (np.sum((w - w_star) ** 2, 1) + noise**2))
                w = w - learning_rate * (r[:, None, :] @ Xb)[:, 0, :] / batch
    gap, se = gaps.mean(axis=1), gaps.std(axis=1) / np.sqrt(runs)
    trace = pd.DataFrame({"step": np.arange(1, len(gaps) + 1),
                          "epoch": np.repeat(np.arange(1, epochs + 1), per_epoch), "gap": gap, "se": se})
    ep = pd.DataFrame({"epoch": np.arange(1, epochs + 1),
                       "bias": gap.reshape(epochs, per_epoch).mean(axis=1),
                       "se": np.sqrt(np.mean(se.reshape(epochs, per_epoch) ** 2, axis=1) / per_epoch)})
    fit = -0.5 * noise**2 * (n / m + n / (m - n - 1))
    return ReuseStudy(trace, ep, fit, n, m, batch, learning_rate, runs)
