"""Gradient descent across the cliff, with and without clipping (book 8.2.4; 10.11.1, eqs 10.48-10.49).

Runs on the one-unit RNN of :mod:`core.cliffs_rnn` with the transforms of :mod:`core.optim`: plain
descent, descent after clip_by_norm(v) and after clip_by_value(v). A step that meets the wall is
eps ||g|| long; without clipping it throws (w, b) off the map onto a plateau where the gradient
vanishes, so training never returns. Clipping by norm bounds every step by eps v (Pascanu, Mikolov
& Bengio 2013, Algorithm 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core import optim
from core.cliffs import B_RANGE, W_RANGE, first_exit, path_in_window
from core.cliffs_rnn import rnn_cliff

METHODS = ("no clipping", "clip by norm", "clip by value")
THROW = 1.0  # a step this long (a tenth of the map) that leaves the map is a throw, not a drift


def transform(method: str, learning_rate: float, clip: float) -> optim.Transform:
    """Gradient descent, optionally after clip_by_norm(v) or clip_by_value(v) (v = 0: off)."""
    step = optim.scale_by_learning_rate(learning_rate)
    if method == "clip by norm":
        return optim.chain(optim.clip_by_norm(clip), step)
    if method == "clip by value":
        return optim.chain(optim.clip_by_value(clip), step)
    return step


def max_clipped_step(learning_rate: float, clip: float) -> float:
    """eps v: no step of gradient descent clipped by norm at v is longer (book eq 10.48)."""
    return learning_rate * clip


class Outcome(NamedTuple):
    """How a run ended: state 'ok', 'thrown' (one long step left the map: diverged), 'left'
    (drifted out of the map) or 'diverged' (non-finite or ||x|| > 1e12); step, reason."""

    state: str
    step: int | None
    reason: str


class Training(NamedTuple):
    """history: one row per visited point, columns method, step, w, b, cost, grad_norm,
        step_norm, clipped (the step into this point was clipped).
    path, exits: :func:`core.cliffs.path_in_window` of the history on the main map.
    outcomes: method -> Outcome."""

    history: pd.DataFrame
    path: pd.DataFrame
    exits: pd.DataFrame
    outcomes: dict


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _outcome(run: optim.Run, h: pd.DataFrame, learning_rate: float, w_range, b_range) -> Outcome:
    k = first_exit(run.x, w_range, b_range)
    if k is not None and k > 0:
        row, g_before = h.iloc[k], h["grad_norm"].iloc[k - 1]
        where = f"({_fmt(row['w'])}, {_fmt(row['b'])})"
        if row["step_norm"] >= THROW:
            return Outcome("thrown", k, (
                f"one step of length {_fmt(row['step_norm'])} (ε·‖g‖ with ‖g‖ = {_fmt(g_before)} "
                f"at the wall, ε = {learning_rate:g}) threw (w, b) off the map to {where}, where "
                f"‖g‖ = {_fmt(row['grad_norm'])}"))
        return Outcome("left", k, f"the path drifted out of the map to {where}")
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
    hists, outcomes = [], {}
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
        hists.append(h.assign(clipped=clipped))
        outcomes[method] = _outcome(run, h, learning_rate, w_range, b_range)
    cols = ["method", "step", "w", "b", "cost", "grad_norm", "step_norm", "clipped"]
    history = pd.concat(hists, ignore_index=True)[cols]
    return Training(history, *path_in_window(history, w_range, b_range), outcomes)


class Summary(NamedTuple):
    """The page's headline numbers for one clipped method against no clipping."""

    largest_grad: float  # max ||g|| met by any run
    largest_step_plain: float
    largest_step_clipped: float
    final_plain: float
    final_clipped: float
    mean_grad_plain: float  # average ||g|| of the unclipped run (Pascanu's threshold heuristic)


def summarize(training: Training, method: str = "clip by norm") -> Summary:
    """Headline numbers; the average ||g|| is over the unclipped run before it left the map."""
    h = training.history
    plain, clipped = h[h["method"] == "no clipping"], h[h["method"] == method]
    out = training.outcomes["no clipping"]
    before = plain.iloc[: out.step] if out.state in ("thrown", "left") and out.step else plain
    return Summary(float(h["grad_norm"].max()), float(plain["step_norm"].max()),
                   float(clipped["step_norm"].max()), float(plain["cost"].iloc[-1]),
                   float(clipped["cost"].iloc[-1]), float(before["grad_norm"].mean()))


def threshold_range(mean_grad_norm: float) -> tuple[float, float]:
    """(0.5, 10) x the average gradient norm: the range Pascanu et al. (2013, section 3.2 and
    experiments) found clipping by norm insensitive in."""
    return 0.5 * mean_grad_norm, 10.0 * mean_grad_norm
