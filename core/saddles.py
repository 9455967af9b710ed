"""Saddle points (book 8.2.3, Fig 4.5): gradient descent lingers then escapes, Newton lands on them.

Three methods from the same start, run by :func:`core.optim.run`:
- gradient descent, x <- x - eps g (step eps = the page's learning rate);
- Newton, x <- x - H^-1 g (book eq 8.27) with its natural step 1: on a quadratic saddle one step
  lands exactly on the saddle;
- saddle-free Newton, x <- x - |H|^-1 g (Dauphin et al. 2014, eq 7), also with step 1: on
  5x^2 - y^2 it maps (x, y) to (0, 2y).
On a quadratic saddle f = 1/2 lam+ u^2 + 1/2 lam- v^2 (lam- < 0) gradient descent multiplies the
escape coordinate by (1 + eps |lam-|) per step, so its cost falls 1 below the saddle's after about
ln(sqrt(2/|lam-|) / v0) / ln(1 + eps |lam-|) steps: ceil(ln(1/y0) / ln(1 + 2 eps)) on x^2 - y^2.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from core import optim
from core.saddle_surfaces import SaddleSpec, saddle_spec

METHODS = ("gradient descent", "Newton", "saddle-free Newton")
ESCAPE_DROP = 1.0  # "escaped": the cost is this far below the saddle's
MAX_NORM = 1e6  # a run this far out has left every chart for good


# --- closed forms --------------------------------------------------------------------------------
def escape_law(offset: float, learning_rate: float, lam_neg: float = -2.0) -> int:
    """ceil(ln(sqrt(2/|lam-|) / v0) / ln(1 + eps |lam-|)): the first step at which the escape
    coordinate alone makes the cost 1 below the saddle's (book 8.2.3; SCIENCE.md). For x^2 - y^2
    (lam- = -2) this is ceil(ln(1/y0) / ln(1 + 2 eps)); 0 if the offset is already that large."""
    a = abs(lam_neg)
    return max(0, math.ceil(math.log(math.sqrt(2.0 / a) / offset) / math.log1p(learning_rate * a)))


def escape_step_exact(lam_pos: float, lam_neg: float, u0: float, v0: float, learning_rate: float,
                      max_steps: int) -> int | None:
    """The exact first step k <= max_steps of gradient descent on 1/2 lam+ u^2 + 1/2 lam- v^2 from
    (u0, v0) with cost <= -1, from the closed form u_k = (1 - eps lam+)^k u0,
    v_k = (1 + eps |lam-|)^k v0: 1/2 |lam-| v_k^2 >= 1 + 1/2 lam+ u_k^2. None if never."""
    k = np.arange(int(max_steps) + 1, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        la = np.log(0.5 * abs(lam_neg) * v0**2) + 2 * k * np.log1p(learning_rate * abs(lam_neg))
        lb = np.log(0.5 * lam_pos * u0**2) + 2 * k * np.log(abs(1 - learning_rate * lam_pos))
        ok = la >= np.logaddexp(0.0, np.nan_to_num(lb, nan=-np.inf))
    return int(np.argmax(ok)) if ok.any() else None


# --- the three methods on a 2-D saddle -----------------------------------------------------------
def transforms(learning_rate: float) -> dict[str, optim.Transform]:
    """The three optimizers, built from core.optim's transforms."""
    return {"gradient descent": optim.chain(optim.scale_by_learning_rate(learning_rate)),
            "Newton": optim.chain(optim.newton(), optim.scale_by_learning_rate(1.0)),
            "saddle-free Newton": optim.chain(optim.saddle_free_newton(),
                                              optim.scale_by_learning_rate(1.0))}


class Outcome(NamedTuple):
    """How one method's run ended: state 'ran' (all steps), 'left' (ran off downhill, past
    MAX_NORM, on a surface unbounded below) or 'diverged'; step where it stopped; reason."""

    state: str
    step: int | None
    reason: str


class SaddleRun(NamedTuple):
    """The three runs on one surface.

    path: tidy, one row per method and step: method, step, x, y, cost, gap (cost - f(saddle)),
        dist (||x - saddle||), grad_norm.
    outcomes: {method: Outcome}. escape_step: first gradient-descent step with gap <= -1 (None if
    none). law: escape_law for the quadratic saddles (None otherwise). newton_distance: ||x - saddle||
    after Newton's last step.
    """

    spec: SaddleSpec
    start: np.ndarray
    path: pd.DataFrame
    outcomes: dict
    escape_step: int | None
    law: int | None
    newton_distance: float


def _outcome(run: optim.Run, spec: SaddleSpec, learning_rate: float | None) -> Outcome:
    """Classify a stopped run; for gradient descent (``learning_rate`` given) the reason names the
    first visited point where eps > 2/lambda_max(H) (GD overshoots along that direction)."""
    st = run.status
    if not st.diverged:
        return Outcome("ran", None, "")
    last = float(run.history["cost"].iloc[-1])
    if "||x||" in st.reason and last < float(spec.surface.value(spec.point)) - ESCAPE_DROP:
        return Outcome("left", st.step, f"ran off downhill ({st.reason}): this surface has no bottom")
    why = st.reason
    if learning_rate is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            lam_max = np.linalg.eigvalsh(spec.surface.hessian(run.x))[:, -1]
        over = np.flatnonzero(learning_rate * lam_max > 2)
        if over.size:
            k = int(over[0])
            why = (f"ε = {learning_rate:.4g} > 2/λmax = {2 / lam_max[k]:.4g} at step {k} (λmax: the "
                   "Hessian's largest eigenvalue there), so the step overshoots along that "
                   "direction and the cost climbs")
    return Outcome("diverged", st.step, why)


def three_methods(surface: str = "x2-y2", offset: float = 1e-6, learning_rate: float = 0.15,
                  num_steps: int = 200) -> SaddleRun:
    """Gradient descent, Newton and saddle-free Newton from spec.start(offset) on ``surface``."""
    spec = saddle_spec(surface)
    x0 = spec.start(offset)
    f_s = float(spec.surface.value(spec.point))
    frames, outcomes = [], {}
    for method, tr in transforms(learning_rate).items():
        r = optim.run(spec.surface, x0, tr, num_steps, max_norm=MAX_NORM)
        h = r.history.assign(method=method, x=r.x[:, 0], y=r.x[:, 1])
        h["gap"] = h["cost"] - f_s
        h["dist"] = np.linalg.norm(r.x - spec.point, axis=1)
        frames.append(h[["method", "step", "x", "y", "cost", "gap", "dist", "grad_norm"]])
        outcomes[method] = _outcome(r, spec, learning_rate if method == METHODS[0] else None)
    path = pd.concat(frames, ignore_index=True)
    gd = path[(path["method"] == "gradient descent") & (path["gap"] <= -ESCAPE_DROP)]
    law = escape_law(offset, learning_rate, spec.lam[0]) if surface in ("x2-y2", "5x2-y2") else None
    newton = path[path["method"] == "Newton"]
    return SaddleRun(spec, x0, path, outcomes, int(gd["step"].iloc[0]) if len(gd) else None, law,
                     float(newton["dist"].iloc[-1]))


# --- a quadratic saddle in n dimensions ----------------------------------------------------------
class HighDim(NamedTuple):
    """Escape times of gradient descent on f(x) = sum_{i<n-k} x_i^2 - sum_{i>=n-k} x_i^2.

    runs: one row per run: sweep ('offset' | 'k'), offset, k, repeat, v0 (the start's component in
        the k escape directions), u0 (its component in the n - k stable ones), steps (first step
        with cost <= -1; NaN if none within num_steps), law (escape_law(offset)), law_share
        (escape_law(offset sqrt(k/n)): the law for a random direction's typical share).
    """

    dim: int
    k: int
    runs: pd.DataFrame


def high_dim_escape(dim: int = 10, k: int = 1, offset: float = 1e-6, learning_rate: float = 0.15,
                    num_steps: int = 200, seed: int = 0, repeats: int = 8) -> HighDim:
    """Gradient descent on the n-dimensional saddle 1/2 x^T H x, H = diag(2, ..., 2, -2, ..., -2)
    with k negative eigenvalues (book 8.2.3; Dauphin et al. 2014), from x0 = e_1 + offset u with u
    uniform on the unit sphere (``repeats`` draws). Two sweeps in one batch: offsets 1e-12..1e-1 at
    this k, and k = 1..n-1 (a log ladder) at this offset. k is clamped to [1, n-1].

    In the eigenbasis gradient descent is x <- x (1 - eps lam) coordinate-wise; the run is exactly
    that (a rotation of H would change nothing but the cost of the matrix product).
    """
    n = int(dim)
    k = int(min(max(k, 1), n - 1))
    rng = np.random.default_rng(seed)
    offsets = 10.0 ** np.arange(-12, 0)
    ks = np.unique(np.round(np.geomspace(1, n - 1, min(n - 1, 10))).astype(int))
    sweep = ["offset"] * (len(offsets) * repeats) + ["k"] * (len(ks) * repeats)
    off = np.concatenate([np.repeat(offsets, repeats), np.full(len(ks) * repeats, float(offset))])
    kk = np.concatenate([np.full(len(offsets) * repeats, k), np.repeat(ks, repeats)])
    u = rng.standard_normal((len(off), n))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x = off[:, None] * u
    x[:, 0] += 1.0
    neg = np.arange(n)[None, :] >= n - kk[:, None]
    sign = np.where(neg, -1.0, 1.0)
    factor = 1.0 - learning_rate * 2.0 * sign
    v0 = np.sqrt((x**2 * neg).sum(1))
    u0 = np.sqrt((x**2 * ~neg).sum(1))
    steps = np.full(len(off), np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, int(num_steps) + 1):
            np.multiply(x, factor, out=x)
            cost = np.einsum("ij,ij,ij->i", sign, x, x)
            new = np.isnan(steps) & (cost <= -ESCAPE_DROP)
            steps[new] = t
            if not np.isnan(steps).any():
                break
    runs = pd.DataFrame({"sweep": sweep, "offset": off, "k": kk,
                         "repeat": np.tile(np.arange(repeats), len(offsets) + len(ks)),
                         "v0": v0, "u0": u0, "steps": steps})
    runs["law"] = [escape_law(o, learning_rate) for o in off]
    runs["law_share"] = [escape_law(o * np.sqrt(j / n), learning_rate) for o, j in zip(off, kk)]
    return HighDim(n, k, runs)


def steps_per_decade(learning_rate: float, lam_neg: float = -2.0) -> float:
    """ln 10 / ln(1 + eps |lam-|): the extra escape steps for each factor 10 closer to the stable
    manifold (the slope of the escape law against log10 of the offset)."""
    return math.log(10.0) / math.log1p(learning_rate * abs(lam_neg))
