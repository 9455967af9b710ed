"""Why cliffs happen, and why clipping helps even without them (book 8.2.4, 8.2.5; 10.11.1).

1. The linear recurrence x_t = w x_{t-1} has x_T = w^T x_0, so dx_T/dw = T x_0 w^(T-1) and
   d2x_T/dw2 = T (T-1) x_0 w^(T-2): the slope and the curvature explode together with depth
   (Pascanu, Mikolov & Bengio 2013, section 3; SCIENCE.md), and a step that is small to first
   order is huge to second order.
2. f(x) = x^4 is smooth but its curvature 12 x^2 grows without bound (it is (L0, L1)-smooth, not
   L-smooth: Zhang, He, Sra & Jadbabaie 2020, 'Why gradient clipping accelerates training').
   Gradient descent x <- x - eps 4 x^3 = x (1 - 4 eps x^2) diverges from x_0 iff eps x_0^2 > 1/2,
   while clipped descent moves at most eps v per step and converges from any start.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from core import optim
from core.cliffs_train import transform
from core.surfaces import Surface

W_LINEAR = 1.02  # the linear case's recurrent weight (any |w| > 1 explodes)
X0_QUARTIC = 3.0  # the 'large start' of the x^4 example


# --- 1. the linear case --------------------------------------------------------------------------
def linear_derivatives(depth, w: float = W_LINEAR, x0: float = 0.5):
    """Closed forms (dx_T/dw, d2x_T/dw2) = (T x_0 w^(T-1), T (T-1) x_0 w^(T-2)) for x_t = w x_{t-1};
    depth: T, scalar or array."""
    T = np.asarray(depth, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return T * x0 * w ** (T - 1), T * (T - 1) * x0 * w ** (T - 2)


def linear_derivatives_by_recursion(max_depth: int, w: float = W_LINEAR, x0: float = 0.5):
    """The same derivatives for T = 1..max_depth by forward-mode differentiation of the recursion:
    d_t = x_{t-1} + w d_{t-1}, e_t = 2 d_{t-1} + w e_{t-1}, x_t = w x_{t-1} (independent of the
    closed form, a test oracle and the chart's 'measured' points). Returns arrays (max_depth,)."""
    x, d, e = float(x0), 0.0, 0.0
    ds, es = np.empty(int(max_depth)), np.empty(int(max_depth))
    for t in range(int(max_depth)):
        x, d, e = w * x, x + w * d, 2.0 * d + w * e
        ds[t], es[t] = d, e
    return ds, es


def linear_table(max_depth: int = 1000, w: float = W_LINEAR, x0: float = 0.5, points: int = 30
                 ) -> pd.DataFrame:
    """Tidy rows T, quantity ('∂x_T/∂w' | '∂²x_T/∂w²'), source ('closed form' | 'recursion'),
    value, for T on a log-spaced set of depths from 1 to max_depth."""
    T = np.unique(np.geomspace(1, max_depth, points).round().astype(int))
    d, e = linear_derivatives(T, w, x0)
    rd, re = linear_derivatives_by_recursion(int(T.max()), w, x0)
    rows = [pd.DataFrame({"T": T, "quantity": q, "source": s, "value": v})
            for q, closed, rec in (("∂x_T/∂w", d, rd[T - 1]), ("∂²x_T/∂w²", e, re[T - 1]))
            for s, v in (("closed form", closed), ("recursion", rec))]
    return pd.concat(rows, ignore_index=True)


# --- 2. x^4 from a large start -------------------------------------------------------------------
def _quartic_value(p):
    return np.asarray(p, dtype=float)[..., 0] ** 4


def _quartic_grad(p):
    return 4.0 * np.asarray(p, dtype=float) ** 3


def _quartic_hessian(p):
    return 12.0 * np.asarray(p, dtype=float)[..., None] ** 2


QUARTIC = Surface("x^4", partial(_quartic_value), partial(_quartic_grad), partial(_quartic_hessian), 1)


def quartic_critical_lr(x0: float = X0_QUARTIC) -> float:
    """1 / (2 x_0^2): plain gradient descent on x^4 from x_0 diverges iff eps is above this
    (|1 - 4 eps x_0^2| > 1 makes |x| grow, and then grow faster)."""
    return 1.0 / (2.0 * x0 * x0)


class Quartic(NamedTuple):
    """history: columns method ('no clipping' | 'clip by norm'), step, x, cost; status per method."""

    history: pd.DataFrame
    status: dict


def quartic_runs(learning_rate: float, clip: float, num_steps: int, x0: float = X0_QUARTIC) -> Quartic:
    """Gradient descent on f = x^4 from x0 without and with clipping by norm (in one dimension
    clipping by value is the same), by :func:`optim.run` (Zhang et al. 2020, section 3)."""
    rows, status = [], {}
    for method in ("no clipping", "clip by norm"):
        run = optim.run(QUARTIC, [x0], transform(method, learning_rate, clip), num_steps)
        rows.append(pd.DataFrame({"method": method, "step": run.history["step"], "x": run.x[:, 0],
                                  "cost": run.history["cost"]}))
        status[method] = run.status
    return Quartic(pd.concat(rows, ignore_index=True), status)
