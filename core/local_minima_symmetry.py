"""Weight-space symmetry (book 8.2.2): equivalent minima, the barriers between them, and a 1-D cost
with a genuinely bad local minimum for contrast.

Permuting the hidden units of a layer (their incoming weights, biases and outgoing weights
together) leaves the network's function unchanged, so m hidden layers of n units give (n!)^m
equivalent settings; tanh is odd, so flipping the signs of a unit adds 2^n per layer; ReLU is
positively homogeneous, relu(c z) = c relu(z) for c > 0, so rescaling a unit's inputs by c and its
outputs by 1/c adds a continuum. Parameters are core.mlp's flat vectors theta (..., P).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from core import mlp

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def count_permutations(width: int, depth: int) -> int:
    """(n!)^m: hidden-unit permutations of m layers of n units (book 8.2.2)."""
    return math.factorial(int(width)) ** int(depth)


def count_sign_flips(width: int, depth: int) -> int:
    """2^(n m): sign flips of tanh units, a further factor on top of the permutations."""
    return 2 ** (int(width) * int(depth))


def format_count(n: int) -> str:
    """13,824 below ten million; 6.55 × 10¹³ above (exact integers, no float overflow)."""
    if n < 10**7:
        return f"{n:,}"
    e = len(str(n)) - 1
    return f"{int(str(n)[:3]) / 100:.2f} × 10{str(e).translate(SUPERSCRIPT)}"


def permute_hidden(theta: np.ndarray, sizes, perms) -> np.ndarray:
    """theta with hidden layer l's units reordered by perms[l]: W_l[:, p], b_l[p], W_{l+1}[p, :]."""
    layers = [mlp.Layer(W.copy(), b.copy()) for W, b in mlp.unflatten(theta, sizes)]
    for l, p in enumerate(perms):
        p = np.asarray(p)
        W, b = layers[l]
        layers[l] = mlp.Layer(W[..., :, p], b[..., p])
        layers[l + 1] = mlp.Layer(layers[l + 1].W[..., p, :], layers[l + 1].b)
    return mlp.flatten(layers)


def scale_unit(theta: np.ndarray, sizes, layer: int, unit: int, c: float) -> np.ndarray:
    """Multiply a hidden unit's incoming weights and bias by c and its outgoing weights by 1/c.
    c = -1 is tanh's sign flip (tanh(-z) = -tanh(z)); c > 0 is ReLU's rescaling."""
    layers = [mlp.Layer(W.copy(), b.copy()) for W, b in mlp.unflatten(theta, sizes)]
    layers[layer].W[..., :, unit] *= c
    layers[layer].b[..., unit] *= c
    layers[layer + 1].W[..., unit, :] /= c
    return mlp.flatten(layers)


def straight_path(theta_a, theta_b, X, y, sizes, activation, alphas) -> np.ndarray:
    """Cost L((1 - alpha) theta_a + alpha theta_b) at each alpha (A,); theta_a, theta_b may carry a
    leading batch axis (R, P), giving (R, A)."""
    a = np.asarray(alphas, dtype=float)[:, None]
    thetas = (1 - a) * np.asarray(theta_a)[..., None, :] + a * np.asarray(theta_b)[..., None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        return mlp.loss(thetas, X, y, sizes, activation)


def barrier(path_costs) -> float:
    """Highest cost on a path minus the higher of its two endpoints (0 for a flat or convex path)."""
    c = np.asarray(path_costs, dtype=float)
    return float(c.max() - max(c[0], c[-1]))


def _shuffled(rng, n):
    while True:  # a permutation that moves something (a fixed point would add no barrier)
        p = rng.permutation(n)
        if (p != np.arange(n)).any():
            return p


def symmetries(theta, X, y, sizes, activation: str, seed: int = 0, num_alphas: int = 41):
    """Equivalent copies of one solution theta (P,) and the straight lines to them.

    Returns (table, paths). table: symmetry, kind ('permutation' | 'sign flip' | 'rescaling'), cost
    (of the copy), change (|cost - cost(theta)|, round-off only), distance ||theta' - theta||,
    barrier (on the straight line). paths: symmetry, alpha, cost for the three permutations.
    """
    n, hidden = sizes[1], len(sizes) - 2
    rng = np.random.default_rng([int(seed), 7])
    copies = {
        "swap units 1, 2 of layer 1": ("permutation", permute_hidden(
            theta, sizes, [[1, 0, *range(2, n)]] + [np.arange(n)] * (hidden - 1))),
        "reverse every layer": ("permutation", permute_hidden(
            theta, sizes, [np.arange(n)[::-1]] * hidden)),
        "shuffle every layer": ("permutation", permute_hidden(
            theta, sizes, [_shuffled(rng, n) for _ in range(hidden)])),
    }
    if activation == "tanh":
        copies["flip sign of unit 1"] = ("sign flip", scale_unit(theta, sizes, 0, 0, -1.0))
    else:
        copies["rescale unit 1 (×2, ×½)"] = ("rescaling", scale_unit(theta, sizes, 0, 0, 2.0))
    alphas = np.linspace(0.0, 1.0, num_alphas)
    base = float(mlp.loss(theta, X, y, sizes, activation))
    rows, paths = [], []
    for name, (kind, t) in copies.items():
        c = straight_path(theta, t, X, y, sizes, activation, alphas)
        cost = float(mlp.loss(t, X, y, sizes, activation))
        rows.append((name, kind, cost, abs(cost - base), float(np.linalg.norm(t - theta)), barrier(c)))
        if kind == "permutation":
            paths.append(pd.DataFrame({"symmetry": name, "alpha": alphas, "cost": c}))
    table = pd.DataFrame(rows, columns=["symmetry", "kind", "cost", "change", "distance", "barrier"])
    return table, pd.concat(paths, ignore_index=True)


def init_to_solution(theta0, theta, X, y, sizes, activation, num_alphas: int = 41) -> pd.DataFrame:
    """Goodfellow, Vinyals & Saxe (2015): the cost on the straight line from each restart's
    initialization theta0 (R, P) to its trained theta (R, P). Columns restart, alpha, cost,
    monotone (the cost never rises along the line, up to 1e-9 relative)."""
    alphas = np.linspace(0.0, 1.0, num_alphas)
    c = straight_path(theta0, theta, X, y, sizes, activation, alphas)
    mono = (np.diff(c, axis=1) <= 1e-9 * np.abs(c[:, :1])).all(axis=1)
    R = c.shape[0]
    return pd.DataFrame({"restart": np.repeat(np.arange(R), num_alphas), "alpha": np.tile(alphas, R),
                         "cost": c.ravel(), "monotone": np.repeat(mono, num_alphas)})


def two_relu_barrier(alpha):
    """Closed form: f(x) = relu(x) + relu(-x) = |x| interpolated toward its permuted copy
    (units swapped) has f_alpha(x) = |1 - 2 alpha| |x|, so for x ~ U[-1, 1] the mean squared error
    E[(f_alpha(x) - |x|)^2] = (1 - |1 - 2 alpha|)^2 E[x^2] = (1 - |1 - 2 alpha|)^2 / 3:
    0, 1/12, 1/3, 1/12, 0 at alpha = 0, 1/4, 1/2, 3/4, 1."""
    a = np.asarray(alpha, dtype=float)
    return (1.0 - np.abs(1.0 - 2.0 * a)) ** 2 / 3.0


def two_relu_path(alpha) -> np.ndarray:
    """The same, measured with core.mlp: a 1 -> 2 -> 1 ReLU net, the error integrated exactly by
    2-point Gauss-Legendre quadrature on [-1, 0] and [0, 1] (the integrand is quadratic on each)."""
    g, w = np.polynomial.legendre.leggauss(2)
    x = np.concatenate([(g - 1) / 2, (g + 1) / 2])[:, None]
    wts = np.concatenate([w, w]) / 4  # each half has length 1/2 of the interval's 2: mean = sum / 2
    sizes = (1, 2, 1)
    theta = mlp.flatten([mlp.Layer(np.array([[1.0, -1.0]]), np.zeros(2)),
                         mlp.Layer(np.array([[1.0], [1.0]]), np.zeros(1))])
    swapped = permute_hidden(theta, sizes, [[1, 0]])
    a = np.atleast_1d(np.asarray(alpha, dtype=float))[:, None]
    r = mlp.forward((1 - a) * theta + a * swapped, x, sizes, "relu")[..., 0] - np.abs(x[:, 0])
    return (r * r) @ wts


# --- a cost with a genuinely bad local minimum ----------------------------------------------------
def toy_cost(x):
    """f(x) = x^4 - 3x^2 + x: a global minimum near -1.30 and a local one near 1.13, 2.4 higher."""
    x = np.asarray(x, dtype=float)
    return x**4 - 3 * x**2 + x


def toy_critical_points() -> tuple[float, float, float]:
    """The roots of f'(x) = 4x^3 - 6x + 1, ascending: (global minimum, local maximum, bad minimum)."""
    r = np.sort(np.roots([4.0, 0.0, -6.0, 1.0]).real)
    return float(r[0]), float(r[1]), float(r[2])


class Toy(NamedTuple):
    """starts: start, x0, f0, x_end, f_end, minimum ('global' | 'bad'); curve: x, f;
    critical: (global min, local max, bad min); gap: f(bad min) - f(global min); measured: the
    fraction of starts that ended in the bad minimum; theory: the fraction of starts in its basin,
    (hi - x_max) / (hi - lo) for starts uniform on [lo, hi]."""

    starts: pd.DataFrame
    curve: pd.DataFrame
    critical: tuple[float, float, float]
    gap: float
    measured: float
    theory: float


def bad_minimum_toy(num_starts: int = 50, seed: int = 0, learning_rate: float = 0.01,
                    num_steps: int = 400, lo: float = -2.0, hi: float = 2.0) -> Toy:
    """Gradient descent x <- x - eps f'(x) from starts uniform on [lo, hi] (all at once). With
    eps f'' < 2 on [lo, hi] (f'' <= 42 there) each start rolls into the minimum of its basin, so
    exactly the starts right of the local maximum end in the bad minimum."""
    x0 = np.random.default_rng([int(seed), 11]).uniform(lo, hi, int(num_starts))
    x = x0.copy()
    for _ in range(int(num_steps)):
        x = x - learning_rate * (4 * x**3 - 6 * x + 1)
    crit = toy_critical_points()
    starts = pd.DataFrame({"start": np.arange(len(x0)), "x0": x0, "f0": toy_cost(x0), "x_end": x,
                           "f_end": toy_cost(x), "minimum": np.where(x > crit[1], "bad", "global")})
    grid = np.linspace(lo, hi, 201)
    return Toy(starts, pd.DataFrame({"x": grid, "f": toy_cost(grid)}), crit,
               float(toy_cost(crit[2]) - toy_cost(crit[0])), float(np.mean(x > crit[1])),
               (hi - crit[1]) / (hi - lo))
