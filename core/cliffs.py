"""Cliffs and gradient clipping (book 8.2.4, Fig 8.3; 10.11.1, eqs 10.48-10.49): what the page shows.

The loss map of the one-unit RNN of :mod:`core.cliffs_rnn` over a window of (w, b), and gradient
descent across it without clipping, with clipping by norm and with clipping by value (the
transforms of :mod:`core.optim`). A step that meets the wall is eps ||g|| long; without clipping it
throws (w, b) off the map onto a plateau where the gradient vanishes, so training never returns.
Clipping by norm bounds every step by eps v (Pascanu, Mikolov & Bengio 2013, Algorithm 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core import optim
from core.cliffs_rnn import rnn_cliff, value_and_grad, wall_b, wall_w_min

W_RANGE, B_RANGE = (0.0, 10.0), (-8.0, 2.0)  # the map's window; the start knobs span the same
METHODS = ("no clipping", "clip by norm", "clip by value")
THROW = 1.0  # a step this long (a tenth of the window) that leaves the map is a throw, not a drift


# --- the map -------------------------------------------------------------------------------------
def cliff_sharpness(grad_norm) -> float:
    """max ||g|| / median ||g|| over the finite values: how much taller the wall is than the land."""
    g = np.asarray(grad_norm, dtype=float)
    g = g[np.isfinite(g)]
    med = float(np.median(g)) if g.size else 0.0
    return float(g.max() / med) if med > 0 else float("inf")


class CliffMap(NamedTuple):
    """grid: n*n rows, columns w, b, loss, grad_norm (||grad L||, by BPTT); row-major with b
    descending (first row at the top of the map), w ascending. sharpness: cliff_sharpness."""

    grid: pd.DataFrame
    n: int
    sharpness: float


def cliff_map(depth: int, n: int = 200, w_range=W_RANGE, b_range=B_RANGE) -> CliffMap:
    """L and ||grad L|| of :func:`core.cliffs_rnn.rnn_cliff` on an n x n grid over the window
    (cell centres), vectorized over the grid (Pascanu et al. 2013, Fig 6)."""
    dw, db = (w_range[1] - w_range[0]) / n, (b_range[1] - b_range[0]) / n
    w = w_range[0] + dw * (np.arange(n) + 0.5)
    b = b_range[1] - db * (np.arange(n) + 0.5)
    W, B = np.meshgrid(w, b)
    L, G = value_and_grad(depth, np.stack([W, B], axis=-1))
    gn = np.linalg.norm(G, axis=-1)
    grid = pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "loss": L.ravel(), "grad_norm": gn.ravel()})
    return CliffMap(grid, n, cliff_sharpness(gn))


# --- training across it --------------------------------------------------------------------------
def transform(method: str, learning_rate: float, clip: float) -> optim.Transform:
    """Gradient descent, optionally after clip_by_norm(v) or clip_by_value(v) (v = 0: off)."""
    step = optim.scale_by_learning_rate(learning_rate)
    if method == "clip by norm":
        return optim.chain(optim.clip_by_norm(clip), step)
    if method == "clip by value":
        return optim.chain(optim.clip_by_value(clip), step)
    return step


class Outcome(NamedTuple):
    """How a run ended: state 'ok', 'thrown' (one long step left the map: diverged), 'left'
    (drifted out of the window) or 'diverged' (non-finite or ||x|| > 1e12); step, reason."""

    state: str
    step: int | None
    reason: str


class Training(NamedTuple):
    """history: one row per visited point, columns method, step, w, b, cost, grad_norm,
        step_norm, clipped (the step into this point was clipped).
    path: the points inside the window, each run cut at its first exit; the exit (on the window's
        edge) is its last row. Columns method, step, w, b.
    exits: one row per run that left the window: method, step, w, b (on the edge), w_to, b_to.
    outcomes: method -> Outcome."""

    history: pd.DataFrame
    path: pd.DataFrame
    exits: pd.DataFrame
    outcomes: dict


def _inside(p, w_range, b_range) -> bool:
    return w_range[0] <= p[0] <= w_range[1] and b_range[0] <= p[1] <= b_range[1]


def _edge(p, q, w_range, b_range) -> np.ndarray:
    """Where the segment from p (inside the window) to q (outside) crosses the window's edge."""
    t = 1.0
    for i, (lo, hi) in enumerate((w_range, b_range)):
        d = q[i] - p[i]
        if q[i] > hi:
            t = min(t, (hi - p[i]) / d)
        elif q[i] < lo:
            t = min(t, (lo - p[i]) / d)
    return p + t * (q - p)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _outcome(run: optim.Run, exit_step: int | None, hist: pd.DataFrame, learning_rate: float
             ) -> Outcome:
    if exit_step is not None:
        row = hist.iloc[exit_step]
        g_before = hist["grad_norm"].iloc[exit_step - 1] if exit_step > 0 else np.nan
        where = f"({_fmt(row['w'])}, {_fmt(row['b'])})"
        if row["step_norm"] >= THROW:
            return Outcome("thrown", exit_step, (
                f"one step of length {_fmt(row['step_norm'])} (ε·‖g‖ with ‖g‖ = {_fmt(g_before)} "
                f"at the wall, ε = {learning_rate:g}) threw (w, b) off the map to {where}, where "
                f"‖g‖ = {_fmt(row['grad_norm'])}"))
        return Outcome("left", exit_step, f"the path drifted out of the map to {where}")
    if run.status.diverged:
        return Outcome("diverged", run.status.step, run.status.reason)
    return Outcome("ok", None, "")


def train(depth: int, w0: float, b0: float, learning_rate: float, clip: float, num_steps: int,
          methods=METHODS, w_range=W_RANGE, b_range=B_RANGE) -> Training:
    """Gradient descent on the RNN cliff from (w0, b0) with each method, by :func:`optim.run`.

    A step k counts as clipped when the clip changed g_{k-1}: ||g_{k-1}|| > v for clipping by
    norm, some |g_{k-1,i}| > v for clipping by value (seen as a step component of length eps v).
    """
    surface = rnn_cliff(depth)
    hists, paths, exits, outcomes = [], [], [], {}
    for method in methods:
        run = optim.run(surface, [w0, b0], transform(method, learning_rate, clip), num_steps)
        h = run.history.assign(method=method, w=run.x[:, 0], b=run.x[:, 1])
        g_prev = np.r_[np.nan, h["grad_norm"].to_numpy()[:-1]]
        u = np.abs(np.diff(run.x, axis=0, prepend=run.x[:1]))
        if clip <= 0 or method == "no clipping":
            clipped = np.zeros(len(h), dtype=bool)
        elif method == "clip by norm":
            clipped = g_prev > clip
        else:
            clipped = u.max(axis=1) > learning_rate * clip * (1 - 1e-9)
        h["clipped"] = clipped
        inside = [_inside(p, w_range, b_range) for p in run.x]
        exit_step = next((k for k, ok in enumerate(inside) if not ok), None)
        keep = h.iloc[: exit_step if exit_step is not None else len(h)][["method", "step", "w", "b"]]
        if exit_step is not None:
            q = run.x[exit_step]
            e = (_edge(run.x[exit_step - 1], q, w_range, b_range) if exit_step > 0
                 else np.clip(q, [w_range[0], b_range[0]], [w_range[1], b_range[1]]))
            exits.append((method, exit_step, e[0], e[1], q[0], q[1]))
            keep = pd.concat([keep, pd.DataFrame([(method, exit_step, e[0], e[1])], columns=keep.columns)])
        hists.append(h)
        paths.append(keep)
        outcomes[method] = _outcome(run, exit_step, h, learning_rate)
    cols = ["method", "step", "w", "b", "cost", "grad_norm", "step_norm", "clipped"]
    return Training(pd.concat(hists, ignore_index=True)[cols], pd.concat(paths, ignore_index=True),
                    pd.DataFrame(exits, columns=["method", "step", "w", "b", "w_to", "b_to"]), outcomes)


class Summary(NamedTuple):
    """The page's headline numbers for one clipped method against no clipping."""

    largest_grad: float  # max ||g|| met by any run
    largest_step_plain: float
    largest_step_clipped: float
    final_plain: float
    final_clipped: float
    mean_grad_plain: float  # average ||g|| over the unclipped run (Pascanu's threshold heuristic)


def summarize(training: Training, method: str = "clip by norm") -> Summary:
    """Headline numbers; the average ||g|| is over the unclipped run before it left the map."""
    h = training.history
    plain, clipped = h[h["method"] == "no clipping"], h[h["method"] == method]
    out = training.outcomes["no clipping"]
    before = plain.iloc[: out.step] if out.state in ("thrown", "left") and out.step else plain
    return Summary(float(h["grad_norm"].max()), float(plain["step_norm"].max()),
                   float(clipped["step_norm"].max()), float(plain["cost"].iloc[-1]),
                   float(clipped["cost"].iloc[-1]), float(before["grad_norm"].mean()))


def max_clipped_step(learning_rate: float, clip: float) -> float:
    """eps v: no step of gradient descent clipped by norm at v is longer (book eq 10.48)."""
    return learning_rate * clip


def wall_line(w_range=W_RANGE, b_range=B_RANGE, points: int = 50) -> pd.DataFrame:
    """Columns w, b of the wall's centre line b = x_0 - w sigma(x_0), |w| > 1/sigma'(x_0), inside
    the window (where x_0 is an unstable fixed point: Pascanu et al. 2013, section 3.2)."""
    w = np.linspace(max(w_range[0], wall_w_min()), w_range[1], points)
    b = wall_b(w)
    keep = (b >= b_range[0]) & (b <= b_range[1])
    return pd.DataFrame({"w": w[keep], "b": b[keep]})


def threshold_range(mean_grad_norm: float) -> tuple[float, float]:
    """(0.5, 10) x the average gradient norm: the range Pascanu et al. (2013, section 3.2 and
    experiments) found clipping by norm insensitive in."""
    return 0.5 * mean_grad_norm, 10.0 * mean_grad_norm
