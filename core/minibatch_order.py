"""Random versus ordered minibatches (book 8.1.3): why batches must be drawn at random and why
successive estimates should be independent.

Data: m records stored patient by patient, k consecutive records per patient, each the value
v = u_patient + eps with u ~ N(0, tau^2) and eps ~ N(0, sigma^2). It plays the per-example gradient
of a 1-D model (estimating the mean with loss 1/2 (w - v)^2 has gradient w - v), so the minibatch
mean minus the full-data mean is the minibatch gradient's error. A contiguous batch of B <= k
records from one patient has error variance tau^2 + sigma^2/B; a random batch (tau^2 + sigma^2)/B.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

TAU, SIGMA, PATIENT, M_ORDER, REPS = 1.0, 3.0, 500, 20_000, 50
GRID = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000)


def patient_data(m: int = M_ORDER, k: int = PATIENT, tau: float = TAU, sigma: float = SIGMA,
                 reps: int = REPS, seed: int = 0) -> np.ndarray:
    """``reps`` independent data sets of m records in stored (patient) order, shape (reps, m):
    v_i = u_{i // k} + eps_i (stream 2 of ``seed``)."""
    rng = np.random.default_rng([seed, 2])
    u = tau * rng.standard_normal((reps, m // k))
    v = rng.standard_normal((reps, m))
    v *= sigma
    v.reshape(reps, m // k, k)[...] += u[:, :, None]  # u repeated k times, added in place
    return v


def _runs(batch: int, m: int, k: int) -> np.ndarray:
    """The nonzero counts c_bj (records of patient j in the stored-order block b = [bB, (b+1)B),
    b < m // B), in storage order: the lengths between consecutive block and patient boundaries."""
    end = (m // batch) * batch
    cuts = np.sort(np.concatenate([np.arange(0, end + 1, batch), np.arange(0, end, k)]))
    runs = np.diff(cuts)
    return runs[runs > 0]


def contiguous_theory(batch: int, m: int = M_ORDER, k: int = PATIENT, tau: float = TAU,
                      sigma: float = SIGMA) -> tuple[float, float]:
    """(variance, lag-1 correlation) of the stored-order block means' deviation from the data-set
    mean, averaged over the blocks. With c_bj the records of patient j in block b:
        Var = tau^2 (sum_j c_bj^2 / B^2 - k/m) + sigma^2 (1/B - 1/m)
        Cov(b, b+1) = tau^2 (sum_j c_bj c_b+1,j / B^2 - k/m) - sigma^2 / m.
    For B <= k dividing k this is tau^2 + sigma^2/B up to O(1/m) (SCIENCE.md). Only the patient
    straddling a block boundary (one that is not a patient boundary) is in both blocks, so both
    sums take O(m/B + m/k) work."""
    nb = m // batch
    sq = float(np.sum(_runs(batch, m, k).astype(float) ** 2)) / batch**2 / nb  # mean_b sum_j c_bj^2
    var = tau**2 * (sq - k / m) + sigma**2 * (1 / batch - 1 / m)
    if nb < 2:
        return var, float("nan")
    t = np.arange(1, nb) * batch  # the boundary between blocks b and b + 1
    t = t[t % k != 0]
    j = t // k  # the patient straddling it
    shared = (t - np.maximum(t - batch, j * k)) * (np.minimum(t + batch, (j + 1) * k) - t)
    cov = tau**2 * (float(np.sum(shared.astype(float))) / batch**2 / (nb - 1) - k / m) - sigma**2 / m
    return var, cov / var


def random_theory(batch: int, m: int = M_ORDER, k: int = PATIENT, tau: float = TAU,
                  sigma: float = SIGMA) -> tuple[float, float]:
    """(variance, lag-1 correlation) for batches cut from a random permutation (without
    replacement): E[S^2] / B * (m - B)/(m - 1) with E[S^2] = tau^2 (1 - k/m) + sigma^2 (1 - 1/m),
    and correlation -B / (m - B) between disjoint batches (they share one finite data set)."""
    s2 = tau**2 * (1 - k / m) + sigma**2 * (1 - 1 / m)
    return s2 / batch * (m - batch) / (m - 1), -batch / (m - batch)


def block_deviations(cs: np.ndarray, batch: int) -> np.ndarray:
    """Means of the blocks [kB, (k+1)B) minus the data-set mean, from the running sums
    cs = cumsum(v, axis=1) (reps, m): shape (reps, m // B)."""
    m = cs.shape[1]
    ends = cs[:, batch - 1 : (m // batch) * batch : batch]
    # np.diff(ends, prepend=0) / batch - mean, computed in one buffer (the same numbers)
    dev = np.empty(ends.shape)
    dev[:, 0] = ends[:, 0]
    np.subtract(ends[:, 1:], ends[:, :-1], out=dev[:, 1:])
    dev /= batch
    dev -= cs[:, -1:] / m
    return dev


class OrderStudy(NamedTuple):
    """Part 2 of the page.

    variance: columns batch, order ('stored (by patient)' | 'shuffled'), measured, theory.
    correlation: the same columns for the lag-1 correlation of successive minibatch errors.
    trace: successive minibatch errors of the first data set at the page's batch: columns step,
        order, error. corr_at: {order: measured lag-1 correlation at the page's batch}.
    reps, m, k: data sets, records per set, records per patient.
    """

    variance: pd.DataFrame
    correlation: pd.DataFrame
    trace: pd.DataFrame
    corr_at: dict
    reps: int
    m: int
    k: int


ORDERS = ("stored (by patient)", "shuffled")


def order_study(batch: int = 100, seed: int = 0, m: int = M_ORDER, k: int = PATIENT,
                reps: int = REPS, grid=GRID) -> OrderStudy:
    """Measure batch-mean variance and successive-batch correlation for contiguous (stored order)
    and random (shuffled) minibatches, against :func:`contiguous_theory` and :func:`random_theory`."""
    stored = patient_data(m, k, reps=reps, seed=seed)
    shuffled = np.random.default_rng([seed, 3]).permuted(stored, axis=1)
    grid = sorted({b for b in grid if b <= m // 4} | {min(batch, m // 2)})
    var_rows, corr_rows, trace, corr_at = [], [], [], {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for order, v, theory in zip(ORDERS, (stored, shuffled), (contiguous_theory, random_theory)):
            cs = np.cumsum(v, axis=1)
            for b in grid:
                dev = block_deviations(cs, b)  # (reps, n), C-contiguous
                var = float(np.vdot(dev, dev)) / dev.size
                corr = np.nan
                if dev.shape[1] > 2:  # mean of dev[:, 1:] * dev[:, :-1]: one dot product along the
                    flat = dev.ravel()  # flattened rows, less the pairs that straddle two rows
                    lag = float(np.vdot(flat[1:], flat[:-1])) - float(dev[:-1, -1] @ dev[1:, 0])
                    corr = lag / (dev.shape[0] * (dev.shape[1] - 1)) / var
                t_var, t_corr = theory(b, m, k)
                var_rows.append((b, order, var, t_var))
                corr_rows.append((b, order, corr, t_corr))
                if b == min(batch, m // 2):
                    corr_at[order] = corr
                    e = dev[0, :300]
                    trace.append(pd.DataFrame({"step": np.arange(1, len(e) + 1), "order": order,
                                               "error": e}))
    cols = ["batch", "order", "measured", "theory"]
    variance = pd.DataFrame(var_rows, columns=cols)
    correlation = pd.DataFrame(corr_rows, columns=cols)
    return OrderStudy(variance,
                      correlation[correlation["batch"] <= m // 10].reset_index(drop=True),
                      pd.concat(trace, ignore_index=True), corr_at, reps, m, k)
