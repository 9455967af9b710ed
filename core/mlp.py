"""A small multilayer perceptron with hand-written backpropagation (book 6.5).

Parameters are one flat vector theta of shape (..., P); leading axes index independent networks,
so many restarts train at once with the same code. Layer l maps n_{l-1} -> n_l with
h_l = act(h_{l-1} W_l + b_l); the output layer is linear. The loss is the mean squared error
L = 1/(2N) sum_i ||yhat_i - y_i||^2.

Hessian-vector products use Pearlmutter's R-operator (Pearlmutter 1994: H v without H, in real
arithmetic, exact to round-off) for the analytic activations (tanh, linear). ReLU is not twice
differentiable; it falls back to central differences of the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

ACTIVATIONS = ("tanh", "relu", "linear")


class Layer(NamedTuple):
    W: np.ndarray  # (..., n_in, n_out)
    b: np.ndarray  # (..., n_out)


def num_params(sizes: Sequence[int]) -> int:
    """P = sum over layers of n_in n_out + n_out."""
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


def unflatten(theta: np.ndarray, sizes: Sequence[int]) -> list[Layer]:
    """Views of the flat vector theta (..., P) as one (W, b) pair per layer."""
    lead = theta.shape[:-1]
    layers, i = [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        W = theta[..., i : i + a * b].reshape(lead + (a, b))
        i += a * b
        layers.append(Layer(W, theta[..., i : i + b]))
        i += b
    return layers


def flatten(layers: Sequence[Layer]) -> np.ndarray:
    """Inverse of :func:`unflatten`."""
    parts = []
    for W, b in layers:
        parts += [W.reshape(W.shape[:-2] + (-1,)), b]
    return np.concatenate(parts, axis=-1)


def init_params(sizes: Sequence[int], rng: np.random.Generator, num_nets: int | None = None,
                gain: float = 1.0) -> np.ndarray:
    """Glorot-style init W ~ N(0, gain^2 / n_in), b = 0 (book 8.4). Shape (P,) or (num_nets, P)."""
    lead = () if num_nets is None else (num_nets,)
    layers = [Layer(rng.standard_normal(lead + (a, b)) * gain / np.sqrt(a), np.zeros(lead + (b,)))
              for a, b in zip(sizes[:-1], sizes[1:])]
    return flatten(layers)


def _act(z, activation):
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    return z


def _act_deriv(z, a, activation):
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


def forward(theta, X, sizes, activation="tanh"):
    """Network output yhat (..., N, n_out) for inputs X (N, n_in)."""
    h = X
    layers = unflatten(theta, sizes)
    for l, (W, b) in enumerate(layers):
        z = h @ W + b[..., None, :]
        h = z if l == len(layers) - 1 else _act(z, activation)
    return h


def loss(theta, X, y, sizes, activation="tanh"):
    """Mean squared error 1/(2N) sum ||yhat - y||^2, shape (...)."""
    r = forward(theta, X, sizes, activation) - y
    return 0.5 * np.sum(r * r, axis=(-2, -1)) / X.shape[0]


def loss_and_grad(theta, X, y, sizes, activation="tanh"):
    """(loss (...), gradient (..., P)) by backpropagation (book algorithm 6.4)."""
    layers = unflatten(theta, sizes)
    hs, zs = [X], []
    for l, (W, b) in enumerate(layers):
        z = hs[-1] @ W + b[..., None, :]
        zs.append(z)
        hs.append(z if l == len(layers) - 1 else _act(z, activation))
    N = X.shape[0]
    r = hs[-1] - y
    value = 0.5 * np.sum(r * r, axis=(-2, -1)) / N
    delta = r / N  # dL/dz of the output layer
    grads = []
    for l in range(len(layers) - 1, -1, -1):
        h_in = hs[l]
        gW = np.swapaxes(h_in, -1, -2) @ delta if h_in.ndim == delta.ndim else h_in.T @ delta
        grads.append(Layer(gW, delta.sum(axis=-2)))
        if l > 0:
            delta = (delta @ np.swapaxes(layers[l].W, -1, -2)) * _act_deriv(zs[l - 1], hs[l], activation)
    return value, flatten(grads[::-1])


def _rop(theta, v, X, y, sizes, activation):
    """H v by Pearlmutter's R-operator (forward-over-reverse in real arithmetic) for an analytic
    activation: R{.} = d/dr (.)(theta + r v) at r = 0, pushed through the forward pass and then
    through backpropagation. With s = act'(z) (1 - h^2 for tanh): R{z_l} = R{h_(l-1)} W_l +
    h_(l-1) V_l + c_l, R{h_l} = s R{z_l}, R{delta_L} = R{yhat} / N, R{dL/dW_l} = R{h_(l-1)}^T
    delta_l + h_(l-1)^T R{delta_l}, R{delta_(l-1)} = (R{delta_l} W_l^T + delta_l V_l^T) s +
    (delta_l W_l^T) R{s} with R{s} = -2 h R{h}."""
    layers, dirs = unflatten(theta, sizes), unflatten(v, sizes)
    tanh = activation == "tanh"
    hs, rhs, ss = [X], [None], []
    for l, ((W, b), (V, c)) in enumerate(zip(layers, dirs)):
        z = hs[-1] @ W + b[..., None, :]
        rz = hs[-1] @ V + c[..., None, :] if rhs[-1] is None else rhs[-1] @ W + (hs[-1] @ V + c[..., None, :])
        if l < len(layers) - 1 and tanh:
            h = np.tanh(z)
            s = 1.0 - h * h
            hs.append(h), rhs.append(s * rz), ss.append(s)
        else:
            hs.append(z), rhs.append(rz), ss.append(None)
    N = X.shape[0]
    delta, rdelta = (hs[-1] - y) / N, rhs[-1] / N
    out = []
    for l in range(len(layers) - 1, -1, -1):
        h_in = (hs[l] if hs[l].ndim == rdelta.ndim
                else np.broadcast_to(hs[l], rdelta.shape[:-1] + hs[l].shape[-1:]))
        rgW = np.swapaxes(h_in, -1, -2) @ rdelta
        if rhs[l] is not None:
            rgW = rgW + np.swapaxes(rhs[l], -1, -2) @ delta
        out.append(Layer(rgW, rdelta.sum(axis=-2)))
        if l > 0:
            WT, VT = np.swapaxes(layers[l].W, -1, -2), np.swapaxes(dirs[l].W, -1, -2)
            e, re = delta @ WT, rdelta @ WT + delta @ VT
            s = ss[l - 1]
            if s is None:  # linear hidden units: s = 1, R{s} = 0
                delta, rdelta = e, re
            else:
                delta, rdelta = e * s, re * s + e * (-2.0 * hs[l] * rhs[l])
    return flatten(out[::-1])


def hvp(theta, v, X, y, sizes, activation="tanh"):
    """Hessian-vector product H v (..., P): Pearlmutter's R-operator (exact to round-off) for
    tanh/linear, central differences of the gradient for ReLU (not twice differentiable)."""
    if activation == "relu":
        h = 1e-5 * max(1.0, float(np.linalg.norm(theta)))
        gp = loss_and_grad(theta + h * v, X, y, sizes, activation)[1]
        gm = loss_and_grad(theta - h * v, X, y, sizes, activation)[1]
        return (gp - gm) / (2 * h)
    return _rop(theta, v, X, y, sizes, activation)


def sharpness(theta, X, y, sizes, activation="tanh", num_iters=30, rng=None, v0=None, product=None):
    """lambda_max(H) by power iteration on Hessian-vector products (Cohen et al. 2021).

    Returns (eigenvalue, unit eigenvector). Power iteration finds the eigenvalue of largest
    magnitude; if that one is negative the spectrum is shifted by it and iterated again, so the
    result is the largest *algebraic* eigenvalue. Pass the previous eigenvector as v0 to warm-start,
    and as ``product`` a function v -> H v at theta (core.mlp_buffered.hvp_fn) to save
    allocations; by default it is :func:`hvp`.
    """
    if product is None:
        def product(v):
            return hvp(theta, v, X, y, sizes, activation)
    rng = np.random.default_rng(0) if rng is None else rng
    P = theta.shape[-1]

    def top(shift):
        v = rng.standard_normal(P) if v0 is None else np.array(v0, dtype=float)
        v /= np.linalg.norm(v)
        lam = 0.0
        for _ in range(num_iters):
            w = product(v) + shift * v
            lam = float(v @ w)
            n = np.linalg.norm(w)
            if n == 0 or not np.isfinite(n):
                break
            v = w / n
        return lam - shift, v

    lam, v = top(0.0)
    if lam < 0:
        lam, v = top(-lam)
    return lam, v
