"""The 2-D saddle surfaces of the saddle-point page (book 8.2.3, Fig 4.5) and where runs start.

Four surfaces, each a :class:`core.surfaces.Surface` of ``functools.partial`` functions (so they
pickle for Streamlit's cache):
- ``x2-y2``: f = x^2 - y^2, Hessian diag(2, -2) (book Fig 4.5);
- ``5x2-y2``: f = 5x^2 - y^2, Hessian diag(10, -2) (Dauphin et al. 2014, Fig 2a);
- ``monkey``: f = x^3 - 3xy^2, zero Hessian at the origin (a degenerate saddle);
- ``himmelblau``: Himmelblau's function divided by 10 (four minima, four saddles, one maximum;
  the factor 1/10 keeps gradient descent stable at the explorer's default step 0.15).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from core.surfaces import Surface, quadratic

SURFACES = ("x2-y2", "5x2-y2", "monkey", "himmelblau")
HIMMELBLAU_SCALE = 0.1


def _xy(p):
    return np.moveaxis(np.asarray(p, dtype=float), -1, 0)


def _monkey_value(p):
    x, y = _xy(p)
    return x**3 - 3 * x * y**2


def _monkey_grad(p):
    x, y = _xy(p)
    return np.stack([3 * x**2 - 3 * y**2, -6 * x * y], axis=-1)


def _monkey_hessian(p):
    x, y = _xy(p)
    return np.stack([np.stack([6 * x, -6 * y], -1), np.stack([-6 * y, -6 * x], -1)], axis=-2)


def monkey_saddle() -> Surface:
    """f(x, y) = x^3 - 3xy^2 = Re (x + iy)^3: gradient and Hessian both vanish at the origin.

    f is homogeneous of degree 3, so H(x) x = 2 g(x) (Euler) and a Newton step maps x to x/2.
    """
    return Surface("monkey saddle", partial(_monkey_value), partial(_monkey_grad),
                   partial(_monkey_hessian), 2)


def _himmelblau_value(c, p):
    x, y = _xy(p)
    return c * ((x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2)


def _himmelblau_grad(c, p):
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return c * np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def _himmelblau_hessian(c, p):
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    hxy = 4 * x + 4 * y
    return c * np.stack([np.stack([4 * a + 8 * x**2 + 2, hxy], -1),
                         np.stack([hxy, 4 * b + 8 * y**2 + 2], -1)], axis=-2)


def himmelblau(scale: float = HIMMELBLAU_SCALE) -> Surface:
    """f(x, y) = c ((x^2 + y - 11)^2 + (x + y^2 - 7)^2) (Himmelblau 1972): minima at (3, 2) and
    three more, saddles near (-0.128, -1.954), (0.087, 2.884), (3.385, 0.074), (-3.073, -0.081)."""
    return Surface("Himmelblau", partial(_himmelblau_value, scale), partial(_himmelblau_grad, scale),
                   partial(_himmelblau_hessian, scale), 2)


def critical_point(surface: Surface, guess, iters: int = 50) -> np.ndarray:
    """Newton's method on grad f = 0 from ``guess`` (2,): the nearby critical point, to rounding."""
    p = np.asarray(guess, dtype=float)
    for _ in range(iters):
        step = np.linalg.solve(surface.hessian(p), surface.grad(p))
        p = p - step
        if np.linalg.norm(step) < 1e-15 * max(1.0, np.linalg.norm(p)):
            break
    return p


HIMMELBLAU_CRITICAL = {  # (guess, kind); refined by critical_point()
    "minimum": [(3.0, 2.0), (-2.805, 3.131), (-3.779, -3.283), (3.584, -1.848)],
    "saddle": [(-0.128, -1.954), (0.087, 2.884), (3.385, 0.074), (-3.073, -0.081)],
    "maximum": [(-0.271, -0.923)],
}


class SaddleSpec(NamedTuple):
    """A saddle on a 2-D surface and the start of the runs near it.

    point: the saddle (2,). lam: Hessian eigenvalues there, ascending (2,). vecs: the matching
    unit eigenvectors as columns (2, 2). stable, unstable: unit vectors (2,); the start is
    point + reach * stable + offset * unstable, on the stable manifold (exactly: it is a straight
    line for the quadratics and the monkey saddle) moved off it by ``offset``. On Himmelblau the
    stable manifold is curved, so reach is 0: the start is the saddle moved by the offset.
    view: (x_lo, x_hi, y_lo, y_hi) of the map. label: the formula in unicode.
    """

    name: str
    label: str
    surface: Surface
    point: np.ndarray
    lam: np.ndarray
    vecs: np.ndarray
    stable: np.ndarray
    unstable: np.ndarray
    reach: float
    view: tuple[float, float, float, float]

    def start(self, offset: float) -> np.ndarray:
        return self.point + self.reach * self.stable + float(offset) * self.unstable


def saddle_spec(name: str) -> SaddleSpec:
    """The saddle, eigen-directions and start geometry of surface ``name`` (one of SURFACES)."""
    e1, e2 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    if name in ("x2-y2", "5x2-y2"):
        a = 2.0 if name == "x2-y2" else 10.0
        surface = quadratic([a, -2.0], name=name)
        return SaddleSpec(name, "x² − y²" if a == 2 else "5x² − y²", surface, np.zeros(2),
                          np.array([-2.0, a]), np.stack([e2, e1], 1), e1, e2, 1.0,
                          (-1.5, 1.5, -1.5, 1.5))
    if name == "monkey":
        return SaddleSpec(name, "x³ − 3xy²", monkey_saddle(), np.zeros(2), np.zeros(2),
                          np.eye(2), e1, e2, 1.0, (-1.5, 1.5, -1.5, 1.5))
    if name == "himmelblau":
        surface = himmelblau()
        p = critical_point(surface, HIMMELBLAU_CRITICAL["saddle"][0])
        lam, V = np.linalg.eigh(surface.hessian(p))
        V = V * np.sign(V[0])  # escape towards +x (the minimum near (3.58, -1.85))
        return SaddleSpec(name, "Himmelblau ÷ 10", surface, p, lam, V, V[:, 1], V[:, 0], 0.0,
                          (-5.5, 5.5, -5.5, 5.5))
    raise ValueError(f"unknown surface {name!r}; choose one of {SURFACES}")


def himmelblau_critical_points() -> list[tuple[str, np.ndarray]]:
    """All nine critical points of Himmelblau's function as (kind, point (2,))."""
    s = himmelblau()
    return [(kind, critical_point(s, g)) for kind, gs in HIMMELBLAU_CRITICAL.items() for g in gs]


class SurfaceMap(NamedTuple):
    """What the map of a surface draws.

    grid: cells x, x2, y, y2 (corners) and cost at the cell centre. directions: the Hessian's
    eigen-directions at the saddle as segments label, x, y, x_end, y_end and a label position
    x_label, y_label (no rows when H = 0).
    landmarks: kind ('saddle', 'minimum', 'maximum'), x, y. mid: f at the saddle; half_range: the
    90th percentile of |f - mid| over the grid (a colour range that is not all saturated).
    """

    grid: pd.DataFrame
    directions: pd.DataFrame
    landmarks: pd.DataFrame
    mid: float
    half_range: float


def surface_map(name: str = "x2-y2", cells: int = 50) -> SurfaceMap:
    """Evaluate surface ``name`` on a cells x cells grid over its view, plus the saddle's geometry."""
    spec = saddle_spec(name)
    x_lo, x_hi, y_lo, y_hi = spec.view
    xe, ye = np.linspace(x_lo, x_hi, cells + 1), np.linspace(y_lo, y_hi, cells + 1)
    xc, yc = np.meshgrid(0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), indexing="ij")
    cost = spec.surface.value(np.stack([xc, yc], -1))
    i, j = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    grid = pd.DataFrame({"x": xe[i.ravel()], "x2": xe[i.ravel() + 1], "y": ye[j.ravel()],
                         "y2": ye[j.ravel() + 1], "cost": cost.ravel()})
    mid = float(spec.surface.value(spec.point))
    length = 0.3 * (x_hi - x_lo)
    ends = [(lam, length * spec.vecs[:, c] * (1 if spec.vecs[0, c] >= 0 else -1))
            for c, lam in enumerate(spec.lam) if lam != 0]
    rows = [(f"λ = {lam:.3g}" + (" (escape)" if lam < 0 else ""), *(spec.point - v),
             *(spec.point + v), *(spec.point + 0.55 * v)) for lam, v in ends]
    directions = pd.DataFrame(rows, columns=["label", "x", "y", "x_end", "y_end", "x_label",
                                             "y_label"])
    marks = himmelblau_critical_points() if spec.name == "himmelblau" else [("saddle", spec.point)]
    landmarks = pd.DataFrame([(k, *p) for k, p in marks], columns=["kind", "x", "y"])
    half = float(np.quantile(np.abs(cost - mid), 0.9))
    return SurfaceMap(grid, directions, landmarks, mid, half if half > 0 else 1.0)
