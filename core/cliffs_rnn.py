"""The cliff of Pascanu, Mikolov & Bengio (2013, Fig 6): a one-unit recurrent network.

x_t = w sigma(x_{t-1}) + b for t = 1..T, x_0 = 0.5, loss L(w, b) = (sigma(x_T) - 0.7)^2
('On the difficulty of training recurrent neural networks', ICML 2013, section 3.2 and Fig 6;
book 8.2.4, Fig 8.3). When |w sigma'(x_0)| > 1 (|w| > 4.26) the point x_0 is an unstable fixed
point of x -> w sigma(x) + b on the line b = x_0 - w sigma(x_0); orbits starting beside it are
pushed apart by that factor per step, so L jumps across the line: a wall of width about
|w sigma'(x_0)|^-T whose gradient is huge while the loss on both sides is nearly flat.

Gradients are by backpropagation through time (BPTT). A single point (shape (2,)) takes a fast
path: plain floats, and the forward pass stops when the orbit repeats exactly (x_k == x_{k-2}, a
fixed point or a 2-cycle, which is then exact forever); the repeating tail of the backward pass is
a geometric series summed in closed form. Arrays of points (a map) use the same scheme vectorized,
points leaving the loop as their orbits repeat. Both are checked against all-T-steps BPTT and
against finite differences in the tests.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from core.surfaces import Surface

X0, TARGET = 0.5, 0.7
_CHUNK = 2_000_000  # stored floats per chunk of points in the vectorized BPTT (16 MB)
ERR = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), written with tanh so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def wall_b(w, x0: float = X0):
    """The wall's centre line b = x_0 - w sigma(x_0): there x_0 is a fixed point, unstable iff
    |w| sigma'(x_0) > 1, i.e. |w| > :func:`wall_w_min` (Pascanu et al. 2013, section 3.2)."""
    return x0 - np.asarray(w, dtype=float) * float(sigmoid(x0))


def wall_w_min(x0: float = X0) -> float:
    """1 / sigma'(x_0): the |w| above which the fixed point x_0 is unstable (4.2553 for x_0 = 0.5)."""
    s = float(sigmoid(x0))
    return 1.0 / (s * (1.0 - s))


# --- one point: floats, exact early stop on a repeating orbit -----------------------------------
def _orbit(depth: int, x0: float, w: float, b: float) -> tuple[list[float], float, int | None]:
    """(s, x_T, c): s_t = sigma(x_t) for t = 0..K-1 and, if the orbit repeated (x_K == x_{K-2}
    for some K <= T, exact in floats, so periodic from c = K - 2 on), the cycle start c; else K = T.
    """
    tanh, ss = math.tanh, []
    append = ss.append
    prev, cur = math.nan, x0
    for k in range(depth):
        s = 0.5 * (1.0 + tanh(0.5 * cur))
        append(s)
        nxt = w * s + b
        if nxt == prev:  # x_{k+1} == x_{k-1}
            return ss, (prev if (depth - k + 1) % 2 == 0 else cur), k - 1
        prev, cur = cur, nxt
    return ss, cur, None


def _geometric(M: float, n: int) -> float:
    """1 + M + ... + M^(n-1) for M >= 0 (overflow gives inf: the gradient really is that large)."""
    if n <= 0:
        return 0.0
    if M == 1.0:
        return float(n)
    try:
        return (1.0 - M**n) / (1.0 - M) if M < 1.0 else (M**n - 1.0) / (M - 1.0)
    except OverflowError:
        return math.inf


def _point_value(depth, x0, target, w, b) -> float:
    sT = 0.5 * (1.0 + math.tanh(0.5 * _orbit(depth, x0, w, b)[1]))
    return (sT - target) ** 2


def _point_grad(depth, x0, target, w, b) -> tuple[float, float]:
    """BPTT: for t = T-1..0, gw += delta s_t, gb += delta, delta *= w sigma'(x_t)."""
    ss, xT, c = _orbit(depth, x0, w, b)
    sT = 0.5 * (1.0 + math.tanh(0.5 * xT))
    delta, gw, gb = 2.0 * (sT - target) * sT * (1.0 - sT), 0.0, 0.0
    head = ss
    if c is not None:  # steps t = c..T-1 alternate between u = x_{T-1} and v = x_{T-2}
        n = depth - c
        su, sv = (ss[c], ss[c + 1]) if (depth - 1 - c) % 2 == 0 else (ss[c + 1], ss[c])
        mu, mv = w * su * (1 - su), w * sv * (1 - sv)
        M = mu * mv
        q = n // 2
        try:
            Mq = M**q
        except OverflowError:
            Mq = math.inf
        if delta:  # (a zero delta would meet an infinite series in 0 * inf)
            G = _geometric(M, q)
            gw, gb, delta = delta * G * (su + mu * sv), delta * G * (1.0 + mu), delta * Mq
        if n % 2:
            gw, gb, delta = gw + delta * su, gb + delta, delta * mu
        head = ss[:c]
    for s in reversed(head):
        gw += delta * s
        gb += delta
        delta *= w * s * (1.0 - s)
    return gw, gb


# --- many points: vectorized, with the same early stop -------------------------------------------
def _forward(depth, x0, w, b):
    """x_T after T plain steps, vectorized."""
    x = np.full(np.shape(w), float(x0))
    for _ in range(int(depth)):
        x = w * sigmoid(x) + b
    return x


def _tail(depth, e, xe, xe1, w, delta):
    """Backward through t = T-1..e of orbits that repeat from e on (x_{e+2k} = x_e, x_{e+2k+1} =
    x_{e-1}), summed in closed form: returns (delta_e, gw, gb). Arrays of the same shape."""
    n = depth - e
    odd = (depth - 1 - e) % 2 == 1
    su, sv = sigmoid(np.where(odd, xe1, xe)), sigmoid(np.where(odd, xe, xe1))  # x_{T-1}, x_{T-2}
    mu, mv = w * su * (1 - su), w * sv * (1 - sv)
    M, q = mu * mv, n // 2
    Mq = M**q
    G = np.where(M == 1.0, q, (1.0 - Mq) / np.where(M == 1.0, 2.0, 1.0 - M))
    live = delta != 0  # a zero delta would meet an infinite series in 0 * inf
    gw = np.where(live, delta * G * (su + mu * sv), 0.0)
    gb = np.where(live, delta * G * (1.0 + mu), 0.0)
    delta = np.where(live, delta * Mq, 0.0)
    last = n % 2 == 1
    return (np.where(last, delta * mu, delta), np.where(last, gw + delta * su, gw),
            np.where(last, gb + delta, gb))


def _bptt(depth, x0, target, w, b, block: int = 16):
    """Vectorized BPTT with the fast path's early stop: every ``block`` steps the points whose
    orbit repeats exactly (x_t == x_{t-2}) leave the loop; their tails are summed in closed form."""
    n = w.size
    idx, x, x1, x2 = np.arange(n), np.full(n, float(x0)), np.full(n, np.nan), np.full(n, np.nan)
    wa, ba = w, b
    blocks, done, t = [], [], 0
    while t < depth and idx.size:
        k = min(block, depth - t)
        S = np.empty((k, idx.size))
        for j in range(k):
            S[j] = sigmoid(x)
            x2, x1, x = x1, x, wa * S[j] + ba
        t += k
        blocks.append((idx, S))
        if t < depth:
            rep = x == x2
            if rep.any():
                done.append((idx[rep], t, x[rep], x1[rep]))
                keep = ~rep
                idx, x, x1, x2, wa, ba = idx[keep], x[keep], x1[keep], x2[keep], wa[keep], ba[keep]
    xT, e, xe, xe1 = np.empty(n), np.full(n, depth), np.empty(n), np.empty(n)
    xT[idx] = x
    for i, te, a, c in done:
        xT[i], e[i], xe[i], xe1[i] = np.where((depth - te) % 2 == 0, a, c), te, a, c
    sT = sigmoid(xT)
    D = 2.0 * (sT - target) * sT * (1.0 - sT)
    GW, GB = np.zeros(n), np.zeros(n)
    cyc = e < depth
    D[cyc], GW[cyc], GB[cyc] = _tail(depth, e[cyc], xe[cyc], xe1[cyc], w[cyc], D[cyc])
    for i, S in reversed(blocks):
        d, gw, gb, wi = D[i], GW[i], GB[i], w[i]
        for j in range(S.shape[0] - 1, -1, -1):
            gw += d * S[j]
            gb += d
            d = d * wi * S[j] * (1.0 - S[j])
        D[i], GW[i], GB[i] = d, gw, gb
    return (sT - target) ** 2, np.stack([GW, GB], axis=-1)


def value_and_grad(depth: int, p, x0: float = X0, target: float = TARGET):
    """(L (...), grad (..., 2)) at points p = (w, b) of shape (..., 2), by vectorized BPTT with
    early stop, in chunks of points so the stored states stay under ~16 MB whatever the grid and
    depth."""
    w, b = np.broadcast_arrays(*np.moveaxis(np.asarray(p, dtype=float), -1, 0))
    fw, fb = w.ravel(), b.ravel()
    n = max(1, _CHUNK // max(int(depth), 1))
    with np.errstate(**ERR):
        parts = [_bptt(depth, x0, target, fw[i:i + n], fb[i:i + n]) for i in range(0, fw.size, n)]
    L = np.concatenate([v for v, _ in parts]) if parts else np.zeros(0)
    g = np.concatenate([g for _, g in parts]) if parts else np.zeros((0, 2))
    return L.reshape(w.shape), g.reshape(w.shape + (2,))


def _rnn_value(depth, x0, target, p):
    p = np.asarray(p, dtype=float)
    if p.shape == (2,):
        with np.errstate(**ERR):
            return np.float64(_point_value(depth, x0, target, float(p[0]), float(p[1])))
    w, b = np.moveaxis(p, -1, 0)
    with np.errstate(**ERR):
        return (sigmoid(_forward(depth, x0, w, b)) - target) ** 2


def _rnn_grad(depth, x0, target, p):
    p = np.asarray(p, dtype=float)
    if p.shape == (2,):
        with np.errstate(**ERR):
            return np.array(_point_grad(depth, x0, target, float(p[0]), float(p[1])))
    return value_and_grad(depth, p, x0, target)[1]


def _rnn_hessian(depth, x0, target, h, p):
    """Central differences of the BPTT gradient with step h, symmetrized: (..., 2, 2)."""
    p = np.asarray(p, dtype=float)
    cols = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        cols.append((_rnn_grad(depth, x0, target, p + e) - _rnn_grad(depth, x0, target, p - e))
                    / (2 * h))
    H = np.stack(cols, axis=-1)
    return 0.5 * (H + np.swapaxes(H, -1, -2))


def rnn_cliff(depth: int = 50, x0: float = X0, target: float = TARGET, h: float = 1e-6) -> Surface:
    """L(w, b) = (sigma(x_T) - target)^2, x_t = w sigma(x_{t-1}) + b (Pascanu et al. 2013, Fig 6).

    Args:
        depth: T >= 1, the number of recurrent steps.
        x0: the initial state x_0; target: the desired sigma(x_T).
        h: finite-difference step of the Hessian (the gradient itself is exact BPTT).
    Points are p = (w, b) of shape (..., 2); value (...), grad (..., 2), hessian (..., 2, 2).
    """
    args = (max(1, int(depth)), float(x0), float(target))
    return Surface(f"one-unit RNN, T={args[0]}", partial(_rnn_value, *args),
                   partial(_rnn_grad, *args), partial(_rnn_hessian, *args, float(h)), 2)
