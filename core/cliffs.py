"""Cliffs (book 8.2.4, Fig 8.3): the loss map of the one-unit RNN and paths drawn over it.

The map of L(w, b) and ||grad L|| for the network of :mod:`core.cliffs_rnn` (Pascanu, Mikolov &
Bengio 2013, Fig 6) over a window of (w, b), the wall's centre line, and the cutting of an
optimizer's path at the window's edge, so a step that flies off the map is shown where it left.
The runs themselves are in :mod:`core.cliffs_train`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core.cliffs_rnn import value_and_grad, wall_b, wall_w_min

W_RANGE, B_RANGE = (0.0, 10.0), (-8.0, 2.0)  # the map's window; the start knobs span the same
ZOOM = 1.0  # half-width of the zoomed map around the start


def cliff_sharpness(grad_norm) -> float:
    """max ||g|| / median ||g|| over the finite values: how much taller the wall is than the land."""
    g = np.asarray(grad_norm, dtype=float)
    g = g[np.isfinite(g)]
    med = float(np.median(g)) if g.size else 0.0
    return float(g.max() / med) if med > 0 else float("inf")


class CliffMap(NamedTuple):
    """grid: n*n rows, columns w, b, loss, grad_norm (||grad L||, by BPTT); row-major with b
    descending (first row at the top of the map), w ascending. sharpness: cliff_sharpness.
    w_range, b_range: the window. depth: T. A map is a pure function of (depth, n, w_range,
    b_range), so those four identify it (:attr:`inputs`)."""

    grid: pd.DataFrame
    n: int
    sharpness: float
    w_range: tuple
    b_range: tuple
    depth: int

    @property
    def inputs(self) -> tuple:
        return self.depth, self.n, self.w_range, self.b_range


def cliff_map(depth: int, n: int = 200, w_range=W_RANGE, b_range=B_RANGE) -> CliffMap:
    """L and ||grad L|| of :func:`core.cliffs_rnn.rnn_cliff` at the centres of an n x n grid over
    the window, vectorized over the grid (Pascanu et al. 2013, Fig 6)."""
    w_range, b_range = tuple(map(float, w_range)), tuple(map(float, b_range))
    dw, db = (w_range[1] - w_range[0]) / n, (b_range[1] - b_range[0]) / n
    w = w_range[0] + dw * (np.arange(n) + 0.5)
    b = b_range[1] - db * (np.arange(n) + 0.5)
    W, B = np.meshgrid(w, b)
    L, G = value_and_grad(depth, np.stack([W, B], axis=-1))
    gn = np.linalg.norm(G, axis=-1)
    grid = pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "loss": L.ravel(), "grad_norm": gn.ravel()})
    return CliffMap(grid, n, cliff_sharpness(gn), w_range, b_range, int(depth))


def zoom_window(w0: float, b0: float, half: float = ZOOM) -> tuple[tuple, tuple]:
    """The window (w_range, b_range) of half-width ``half`` centred on the start (w0, b0)."""
    return (w0 - half, w0 + half), (b0 - half, b0 + half)


def wall_line(w_range=W_RANGE, b_range=B_RANGE, points: int = 50) -> pd.DataFrame:
    """Columns w, b of the wall's centre line b = x_0 - w sigma(x_0), |w| > 1/sigma'(x_0), inside
    the window (where x_0 is an unstable fixed point: Pascanu et al. 2013, section 3.2)."""
    w = np.linspace(max(w_range[0], wall_w_min()), w_range[1], points)
    b = wall_b(w)
    keep = (b >= b_range[0]) & (b <= b_range[1]) & (w_range[1] > wall_w_min())
    return pd.DataFrame({"w": w[keep], "b": b[keep]})


def window_box(w_range, b_range) -> pd.DataFrame:
    """The window's outline as a closed polyline, columns order, w, b."""
    w = [w_range[0], w_range[1], w_range[1], w_range[0], w_range[0]]
    b = [b_range[0], b_range[0], b_range[1], b_range[1], b_range[0]]
    return pd.DataFrame({"order": range(5), "w": w, "b": b})


def inside(x: np.ndarray, w_range, b_range) -> np.ndarray:
    """Which points x (..., 2) lie in the window (edges included)."""
    x = np.asarray(x, dtype=float)
    return ((x[..., 0] >= w_range[0]) & (x[..., 0] <= w_range[1])
            & (x[..., 1] >= b_range[0]) & (x[..., 1] <= b_range[1]))


def edge_point(p, q, w_range, b_range) -> np.ndarray:
    """Where the segment from p (inside the window) to q (outside) crosses the window's edge."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    t = 1.0
    for i, (lo, hi) in enumerate((w_range, b_range)):
        if q[i] > hi:
            t = min(t, (hi - p[i]) / (q[i] - p[i]))
        elif q[i] < lo:
            t = min(t, (lo - p[i]) / (q[i] - p[i]))
    return p + t * (q - p)


def first_exit(x: np.ndarray, w_range, b_range) -> int | None:
    """Index of the first point of a path x (k, 2) outside the window (None if it stays in)."""
    out = np.flatnonzero(~inside(x, w_range, b_range))
    return int(out[0]) if out.size else None


def path_in_window(history: pd.DataFrame, w_range, b_range) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut each method's path (history columns method, step, w, b) at its first exit.

    Returns (path, exits). path: columns method, step, w, b, the points before the exit plus the
    exit itself placed on the window's edge. exits: method, step, w, b (on the edge), w_to, b_to
    (where the step really went). A run that starts outside has no path and exits at step 0."""
    paths, exits = [], []
    for method, h in history.groupby("method", sort=False):
        x = h[["w", "b"]].to_numpy()
        k = first_exit(x, w_range, b_range)
        keep = h.iloc[: len(h) if k is None else k][["method", "step", "w", "b"]]
        if k is not None:
            e = (edge_point(x[k - 1], x[k], w_range, b_range) if k > 0
                 else np.clip(x[0], [w_range[0], b_range[0]], [w_range[1], b_range[1]]))
            step = int(h["step"].iloc[k])
            exits.append((method, step, e[0], e[1], x[k, 0], x[k, 1]))
            keep = pd.concat([keep, pd.DataFrame([(method, step, e[0], e[1])], columns=keep.columns)])
        paths.append(keep)
    path = (pd.concat(paths, ignore_index=True) if paths
            else pd.DataFrame(columns=["method", "step", "w", "b"]))
    return path, pd.DataFrame(exits, columns=["method", "step", "w", "b", "w_to", "b_to"])
