"""Cost surfaces: small immutable values with pure ``value``, ``grad`` and ``hessian`` functions.

A :class:`Surface` holds three functions of a point ``x`` of shape ``(..., d)``:
``value(x) -> (...)``, ``grad(x) -> (..., d)`` and ``hessian(x) -> (..., d, d)``.
The leading axes broadcast, so one call evaluates a whole contour grid. The functions are
``functools.partial`` objects over module-level functions (not closures) so that surfaces and
results holding them pickle, which Streamlit's cache needs.
Derivatives are written by hand and checked against finite differences in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np


class Surface(NamedTuple):
    """A cost function with its first and second derivatives.

    Attributes:
        name: a short label for charts and tables.
        value: x (..., d) -> f(x) (...).
        grad: x (..., d) -> nabla f(x) (..., d).
        hessian: x (..., d) -> nabla^2 f(x) (..., d, d).
        dim: the dimension d.
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]
    dim: int


def _quad_value(H, x):
    x = np.asarray(x, dtype=float)
    return 0.5 * np.einsum("...i,ij,...j->...", x, H, x)


def _quad_grad(H, x):
    return np.asarray(x, dtype=float) @ H


def _quad_hessian(H, x):
    x = np.asarray(x, dtype=float)
    return np.broadcast_to(H, x.shape[:-1] + H.shape).copy()


def quadratic(lam, basis=None, name: str = "quadratic") -> Surface:
    """f(x) = 1/2 x^T H x with H = V diag(lam) V^T (book 4.3, eq 8.10).

    Args:
        lam: eigenvalues, shape (d,).
        basis: orthogonal V, shape (d, d), columns are eigenvectors; identity if None.
        name: label.
    """
    lam = np.asarray(lam, dtype=float)
    d = lam.shape[0]
    V = np.eye(d) if basis is None else np.asarray(basis, dtype=float)
    H = (V * lam) @ V.T
    H = 0.5 * (H + H.T)
    return Surface(name, partial(_quad_value, H), partial(_quad_grad, H), partial(_quad_hessian, H), d)


def _rosen_value(a, b, p):
    x, y = np.moveaxis(np.asarray(p, dtype=float), -1, 0)
    return (a - x) ** 2 + b * (y - x**2) ** 2


def _rosen_grad(a, b, p):
    x, y = np.moveaxis(np.asarray(p, dtype=float), -1, 0)
    return np.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)


def _rosen_hessian(a, b, p):
    x, y = np.moveaxis(np.asarray(p, dtype=float), -1, 0)
    hxx = 2 - 4 * b * (y - x**2) + 8 * b * x**2
    hxy = -4 * b * x
    hyy = np.full_like(x, 2 * b)
    return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], axis=-2)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """f(x, y) = (a - x)^2 + b (y - x^2)^2; minimum at (a, a^2), Hessian [[802, -400], [-400, 200]]
    there for a=1, b=100 (Rosenbrock 1960; SCIENCE.md)."""
    return Surface("rosenbrock", partial(_rosen_value, a, b), partial(_rosen_grad, a, b),
                   partial(_rosen_hessian, a, b), 2)


def random_rotation(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-distributed orthogonal matrix (QR of a Gaussian matrix with the sign fix of
    Mezzadri 2007, 'How to generate random matrices from the classical compact groups')."""
    Q, R = np.linalg.qr(rng.standard_normal((dim, dim)))
    return Q * np.sign(np.diag(R))


def finite_difference_grad(f: Callable, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function at one point x (d,); a test oracle."""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g
