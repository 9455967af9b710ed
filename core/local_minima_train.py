"""Batched gradient descent for the local-minima page (book 8.2.2): many restarts at once.

The task is 4-bit parity: the 16 corners x of {-1, +1}^4 with target y = x1 x2 x3 x4, fitted by an
MLP 4 -> width^depth -> 1 (tanh or ReLU hidden units, linear output) under the mean squared error
L = 1/(2N) sum_i (yhat_i - y_i)^2 of core.mlp. Parity is the classic hard case for a narrow net:
a run that gives up on an example (predicting 0 instead of +-1) is stuck at least 1/32 above zero,
so good and bad end points are far apart. All restarts train as one batch: weights of shape
(R, n_in, n_out), so R networks cost a few numpy calls per step, not R.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

NUM_BITS = 4
NUM_STEPS = 1000
RECORD_EVERY = 20
TOL = 0.01  # a third of 1/32, the cost of missing one of the 16 examples by 1
BLOWUP = 1e6  # a cost above this (or non-finite) counts as diverged


def parity_task(num_bits: int = NUM_BITS) -> tuple[np.ndarray, np.ndarray]:
    """X: the 2^b corners of {-1, 1}^b (2^b, b); y = prod_j x_j (2^b, 1) (Minsky & Papert 1969)."""
    X = np.array(list(itertools.product((-1.0, 1.0), repeat=num_bits)))
    return X, np.prod(X, axis=1, keepdims=True)


def layer_sizes(width: int, depth: int, num_inputs: int = NUM_BITS) -> tuple[int, ...]:
    """(num_inputs, width, ..., width, 1) with ``depth`` hidden layers."""
    return (int(num_inputs),) + (int(width),) * int(depth) + (1,)


def init_layers(sizes, seed: int, num_nets: int) -> list:
    """Restart r draws W ~ N(0, 1/n_in), b = 0 (as core.mlp.init_params) from its own stream
    default_rng([seed, r]), so restart r is the same network whatever the number of restarts.
    Returns [(W (R, a, b), b (R, 1, b))] per layer."""
    layers = [(np.zeros((num_nets, a, b)), np.zeros((num_nets, 1, b)))
              for a, b in zip(sizes[:-1], sizes[1:])]
    for r in range(num_nets):
        rng = np.random.default_rng([int(seed), r])
        for (W, _), a, b in zip(layers, sizes[:-1], sizes[1:]):
            W[r] = rng.standard_normal((a, b)) / np.sqrt(a)
    return layers


def flat(layers) -> np.ndarray:
    """The layers as core.mlp's flat parameter vectors theta (R, P)."""
    R = layers[0][0].shape[0]
    return np.concatenate([p.reshape(R, -1) for Wb in layers for p in Wb], axis=1)


class Training(NamedTuple):
    """layers: final [(W, b)]; cost, grad_norm: (K, R) at steps ``steps`` (K,), NaN where not
    reached (the loop stops once every net has diverged); diverged_at (R,): the first step whose
    cost was non-finite or above BLOWUP (-1: never); watched:
    (K, len(watch), n_in + 1, width) incoming weights and biases of layer 1 of the watched nets."""

    layers: list
    steps: np.ndarray
    cost: np.ndarray
    grad_norm: np.ndarray
    diverged_at: np.ndarray
    watched: np.ndarray


def gradient_descent(layers, X, y, activation: str, learning_rate: float,
                     num_steps: int = NUM_STEPS, record_every: int = RECORD_EVERY,
                     watch=()) -> Training:
    """Full-batch gradient descent theta <- theta - eps dL/dtheta on R networks at once.

    Backpropagation (book algorithm 6.4) for L = 1/(2N) sum (yhat - y)^2: delta_L = (yhat - y)/N,
    dL/dW_l = h_{l-1}^T delta_l, dL/db_l = 1^T delta_l, delta_{l-1} = delta_l W_l^T * act'(z).
    The learning rate is folded into delta, so each update is one in-place subtraction. A diverged
    net keeps running (its numbers are garbage, never shown); divergence is a state, not an error.
    """
    layers = [(W.copy(), b.copy()) for W, b in layers]
    N, L, eps = X.shape[0], len(layers), float(learning_rate)
    ones, XT, watch = np.ones((1, N)), X.T, list(watch)
    rec_steps = sorted(set(range(0, num_steps + 1, record_every)) | {num_steps})
    R = layers[0][0].shape[0]
    cost, gnorm = np.full((len(rec_steps), R), np.nan), np.full((len(rec_steps), R), np.nan)
    watched = np.full((len(rec_steps), len(watch), X.shape[1] + 1, layers[0][0].shape[2]), np.nan)
    diverged = np.full(R, -1)
    i = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(num_steps + 1):
            hs = [X]
            for l, (W, b) in enumerate(layers):
                z = hs[-1] @ W
                z += b
                if l < L - 1:
                    z = np.tanh(z, out=z) if activation == "tanh" else np.maximum(z, 0.0, out=z)
                hs.append(z)
            resid = hs[-1] - y
            c = np.einsum("rnj,rnj->r", resid, resid) * (0.5 / N)
            if not c.max() <= BLOWUP:  # true for NaN too; once a net diverged, every step
                diverged[(diverged < 0) & ~(c <= BLOWUP)] = k
                if (diverged >= 0).all():
                    break
            record = k == rec_steps[i]
            if record:
                cost[i] = np.where(diverged < 0, c, np.nan)
                sq = np.zeros(R)
                if watch:
                    W1, b1 = layers[0]
                    watched[i] = np.concatenate([W1[watch], b1[watch]], axis=1)
            delta = resid * (eps / N)
            for l in range(L - 1, -1, -1):
                W, b = layers[l]
                h = hs[l]
                gW = XT @ delta if l == 0 else h.transpose(0, 2, 1) @ delta
                gb = ones @ delta
                if l > 0:  # (a contiguous W^T multiplies twice as fast; same numbers)
                    d = delta @ W.transpose(0, 2, 1).copy()
                    if activation == "tanh":
                        hh = np.multiply(h, h)
                        d *= np.subtract(1.0, hh, out=hh)
                    else:
                        d *= h > 0
                    delta = d
                if record:
                    sq += np.einsum("rab,rab->r", gW, gW) + np.einsum("rab,rab->r", gb, gb)
                if k < num_steps:
                    W -= gW
                    b -= gb
            if record:
                gnorm[i] = np.where(diverged < 0, np.sqrt(sq) / eps, np.nan)
                i += 1
    return Training(layers, np.array(rec_steps), cost, gnorm, diverged, watched)
