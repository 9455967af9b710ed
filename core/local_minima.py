"""Local minima (book 8.2.2): the spread of final costs over random restarts, and its change with
width; identical units staying identical (book 8.4). Training is core.local_minima_train.

Run in a notebook::

    from core import local_minima as lm
    res = lm.restarts(width=4, depth=3, activation="tanh", learning_rate=0.15, num_restarts=50)
    res.final.outcome.value_counts()
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from core import local_minima_symmetry as sy
from core import local_minima_train as lt
from core.local_minima_train import NUM_STEPS, TOL

SWEEP_RESTARTS = 20  # per width in the width sweep (the first 20 restarts of every width)


def tied_twin(layers, r: int = 0) -> list:
    """Restart r's initial network with hidden unit 2 of layer 1 made a copy of unit 1 (same
    incoming weights, bias and outgoing weights): one network, shape (1, ...) per layer."""
    out = [(W[r : r + 1].copy(), b[r : r + 1].copy()) for W, b in layers]
    (W1, b1), (W2, _) = out[0], out[1]
    W1[0, :, 1], b1[0, 0, 1], W2[0, 1, :] = W1[0, :, 0], b1[0, 0, 0], W2[0, 0, :]
    return out


def unit_gap(layers, n: int) -> float:
    """max |difference| between hidden units 1 and 2 of layer 1 of net n: incoming weights, bias
    and outgoing weights."""
    (W1, b1), (W2, _) = layers[0], layers[1]
    return float(max(np.abs(W1[n, :, 0] - W1[n, :, 1]).max(), abs(b1[n, 0, 0] - b1[n, 0, 1]),
                     np.abs(W2[n, 0, :] - W2[n, 1, :]).max()))


def outcome(cost: np.ndarray, best: float, tol: float = TOL) -> np.ndarray:
    """'reached the best' when cost <= best + tol, 'ended higher' otherwise, 'diverged' if NaN."""
    return np.where(~np.isfinite(cost), "diverged",
                    np.where(cost <= best + tol, "reached the best", "ended higher"))


class Restarts(NamedTuple):
    """The restarts experiment.

    final: one row per restart: restart, cost, grad_norm, diverged_at (-1: never), outcome.
    history: restart, step, cost, grad_norm, outcome (recorded every RECORD_EVERY steps).
    twins: step, start ('identical start' | 'random start'), unit ('unit 1' | 'unit 2'),
        weight (the first incoming weight of that layer-1 unit; NaN if that net diverged).
    twin_gap: {start: max |difference| between the two units' parameters after training}.
    theta0, theta: (R, P) initial and final parameters in core.mlp's flat layout; sizes.
    best: the index of the lowest final cost; best_cost; reached: fraction within TOL of it.
    inputs: the arguments of :func:`restarts` that made it (width, depth, activation,
        learning_rate, num_restarts, seed, num_steps); the experiment is a pure function of
        them, so they identify it.
    """

    final: pd.DataFrame
    history: pd.DataFrame
    twins: pd.DataFrame
    twin_gap: dict
    theta0: np.ndarray
    theta: np.ndarray
    sizes: tuple
    best: int
    best_cost: float
    reached: float
    inputs: tuple


def restarts(width: int = 4, depth: int = 3, activation: str = "tanh", learning_rate: float = 0.15,
             num_restarts: int = 50, seed: int = 0, num_steps: int = NUM_STEPS) -> Restarts:
    """Train ``num_restarts`` random initializations of the parity net by gradient descent, plus
    the tied twin of restart 0 (book 8.4: identical units stay identical), in one batch."""
    X, y = lt.parity_task()
    sizes = lt.layer_sizes(width, depth)
    init = lt.init_layers(sizes, seed, num_restarts)
    twin = tied_twin(init)
    batch = [(np.concatenate([W, tW]), np.concatenate([b, tb])) for (W, b), (tW, tb) in zip(init, twin)]
    R = num_restarts
    t = lt.gradient_descent(batch, X, y, activation, learning_rate, num_steps, watch=[0, R])
    cost_end = np.where(t.diverged_at[:R] >= 0, np.nan, t.cost[-1, :R])
    best = int(np.nanargmin(cost_end)) if np.isfinite(cost_end).any() else 0
    best_cost = float(cost_end[best])
    out = outcome(cost_end, best_cost)
    final = pd.DataFrame({"restart": np.arange(R), "cost": cost_end, "grad_norm": t.grad_norm[-1, :R],
                          "diverged_at": t.diverged_at[:R], "outcome": out})
    K = len(t.steps)
    history = pd.DataFrame({"restart": np.tile(np.arange(R), K), "step": np.repeat(t.steps, R),
                            "cost": t.cost[:, :R].ravel(), "grad_norm": t.grad_norm[:, :R].ravel(),
                            "outcome": np.tile(out, K)})
    w = t.watched[:, :, 0, :2]  # (K, 2 nets, 2 units): first incoming weight of units 1, 2
    w[:, t.diverged_at[[0, R]] >= 0] = np.nan  # a diverged net's weights are not shown
    twins = pd.concat([pd.DataFrame({"step": t.steps, "start": start, "unit": f"unit {u + 1}",
                                     "weight": w[:, n, u]})
                       for n, start in ((1, "identical start"), (0, "random start"))
                       for u in (0, 1)], ignore_index=True)
    gap = {start: unit_gap(t.layers, n) if t.diverged_at[n] < 0 else float("nan")
           for n, start in ((R, "identical start"), (0, "random start"))}
    keep = [(W[:R], b[:R]) for W, b in t.layers]
    reached = float(np.mean(out == "reached the best"))
    return Restarts(final, history, twins, gap, lt.flat([(W[:R], b[:R]) for W, b in init]), lt.flat(keep),
                    sizes, best, best_cost, reached,
                    (int(width), int(depth), str(activation), float(learning_rate), int(num_restarts),
                     int(seed), int(num_steps)))


def width_sweep(depth: int = 3, activation: str = "tanh", learning_rate: float = 0.15,
                seed: int = 0, num_restarts: int = SWEEP_RESTARTS, widths=range(2, 9),
                num_steps: int = NUM_STEPS) -> pd.DataFrame:
    """Final costs of ``num_restarts`` restarts at every width (one batch per width: padding the
    narrow nets into one wide batch costs more than it saves). Restart r at width n is restart r
    of :func:`restarts`. Columns width, restart, cost (NaN if diverged), outcome against the lowest
    cost at any width."""
    X, y = lt.parity_task()
    widths, costs = list(widths), []
    for n in widths:
        init = lt.init_layers(lt.layer_sizes(n, depth), seed, num_restarts)
        t = lt.gradient_descent(init, X, y, activation, learning_rate, num_steps, record_every=num_steps)
        costs.append(np.where(t.diverged_at >= 0, np.nan, t.cost[-1]))
    cost = np.concatenate(costs)
    best = float(np.nanmin(cost)) if np.isfinite(cost).any() else np.nan
    return pd.DataFrame({"width": np.repeat(widths, num_restarts),
                         "restart": np.tile(np.arange(num_restarts), len(widths)),
                         "cost": cost, "outcome": outcome(cost, best)})



def reached_by_width(sweep: pd.DataFrame) -> pd.Series:
    """The fraction of each width's restarts in :func:`width_sweep` that reached the lowest cost
    at any width (index: width; NaN where every run of that width diverged)."""
    hit = (sweep["outcome"] == "reached the best").groupby(sweep["width"]).mean()
    return hit.where(sweep["cost"].notna().groupby(sweep["width"]).any())

class Copies(NamedTuple):
    """:func:`core.local_minima_symmetry.symmetries` of the best restart theta*: table (one row
    per copy: symmetry, kind, cost, change, distance, barrier) and paths (symmetry, alpha, cost on
    the straight lines to the three permuted copies)."""

    table: pd.DataFrame
    paths: pd.DataFrame


def best_copies(res: Restarts, activation: str = "tanh", seed: int = 0) -> Copies | None:
    """Equivalent copies of the best restart of ``res`` and the barriers between them (book
    8.2.2); None when every restart diverged."""
    if not (res.final["diverged_at"].to_numpy() < 0).any():
        return None
    X, y = lt.parity_task()
    return Copies(*sy.symmetries(res.theta[res.best], X, y, res.sizes, activation, seed))


class InitLines(NamedTuple):
    """:func:`core.local_minima_symmetry.init_to_solution` of the restarts that did not diverge
    (num_finite of them): paths with columns restart, alpha, cost, monotone, outcome;
    num_monotone of them never rise on that line."""

    paths: pd.DataFrame
    num_finite: int
    num_monotone: int


def init_lines(res: Restarts, activation: str = "tanh") -> InitLines | None:
    """Goodfellow, Vinyals & Saxe (2015): the cost on the straight line from each restart's
    initialization to its trained weights; None when every restart diverged."""
    ok = res.final["diverged_at"].to_numpy() < 0
    if not ok.any():
        return None
    X, y = lt.parity_task()
    init = sy.init_to_solution(res.theta0[ok], res.theta[ok], X, y, res.sizes, activation)
    init["restart"] = np.flatnonzero(ok)[init["restart"].to_numpy()]
    init["outcome"] = res.final["outcome"].to_numpy()[init["restart"].to_numpy()]
    mono = int(init.groupby("restart")["monotone"].first().sum())
    return InitLines(init, int(ok.sum()), mono)


class Experiment(NamedTuple):
    """Everything the page draws from one setting of its knobs (the page computes each part's
    piece separately: :func:`restarts`, then :func:`best_copies` or :func:`init_lines`).

    restarts: :class:`Restarts`; table, paths: :func:`best_copies` (None when every restart
    diverged); init_paths, num_finite, num_monotone: :func:`init_lines`.
    """

    restarts: Restarts
    table: pd.DataFrame | None
    paths: pd.DataFrame | None
    init_paths: pd.DataFrame | None
    num_finite: int = 0
    num_monotone: int = 0


def experiment(width: int = 4, depth: int = 3, activation: str = "tanh", learning_rate: float = 0.15,
               num_restarts: int = 50, seed: int = 0) -> Experiment:
    """:func:`restarts`, then the symmetries of the best solution and the init-to-solution lines."""
    res = restarts(width, depth, activation, learning_rate, num_restarts, seed)
    cp, il = best_copies(res, activation, seed), init_lines(res, activation)
    if cp is None or il is None:
        return Experiment(res, None, None, None)
    return Experiment(res, cp.table, cp.paths, il.paths, il.num_finite, il.num_monotone)
