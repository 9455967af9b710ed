"""Buffered versions of core.mlp's loss, gradient and Hessian-vector product for one network.

A training loop calls them thousands of times on the same small net (core.edge_of_stability:
4 -> 32 -> 32 -> 1, 64 examples), where the overhead of each numpy call, not arithmetic, is most
of the cost. Each factory takes the fixed data once and returns a function of theta alone that
runs the same numpy operations in the same order as the reference in core.mlp, so the numbers
are the same bit for bit (tests/test_ill_conditioning.py checks it), with every buffer allocated
once. What a returned function gives back is one of its buffers: the next call overwrites it.
"""

from __future__ import annotations

import numpy as np

from core.mlp import num_params, unflatten


def loss_and_grad_fn(X, y, sizes, activation="tanh"):
    """:func:`core.mlp.loss_and_grad` of one network (theta of shape (P,)) on fixed data X (N, n_in),
    y (N, n_out), as a function of theta alone: the same numpy operations in the same order, so
    the same numbers bit for bit, with every buffer allocated once and the gradient written in
    place into one flat vector (about half the cost on the small nets of the explorer, where the
    overhead of each numpy call is most of the work). The gradient returned is that buffer: the
    next call overwrites it."""
    N, L = X.shape[0], len(sizes) - 1
    shapes = list(zip(sizes[:-1], sizes[1:]))
    g = np.empty(num_params(sizes))
    gW, gb = zip(*unflatten(g, sizes))
    hs = [X] + [np.empty((N, b)) for _, b in shapes]
    dz = [np.empty((N, b)) for _, b in shapes]  # delta of each layer
    tmp = [np.empty((N, b)) for _, b in shapes]
    add, mul = np.add.reduce, np.multiply  # (np.sum is add.reduce behind a Python wrapper)
    views = [None, None]  # [theta, its (W, b) views]: a training loop passes the same array

    def f(theta):
        if views[0] is not theta:
            views[:] = theta, unflatten(theta, sizes)
        layers = views[1]
        for l, (W, b) in enumerate(layers):
            z = np.add(np.matmul(hs[l], W, out=hs[l + 1]), b, out=hs[l + 1])
            if l < L - 1 and activation != "linear":
                np.tanh(z, out=z) if activation == "tanh" else np.maximum(z, 0.0, out=z)
        r = np.subtract(hs[-1], y, out=tmp[-1])
        value = 0.5 * add(mul(r, r, out=dz[-1]), axis=(-2, -1)) / N
        delta = np.divide(r, N, out=dz[-1])
        for l in range(L - 1, -1, -1):
            np.matmul(hs[l].T, delta, out=gW[l])
            add(delta, axis=-2, out=gb[l])
            if l > 0:
                delta = np.matmul(delta, layers[l][0].T, out=dz[l - 1])
                if activation == "tanh":  # act'(z) = 1 - h^2
                    delta *= np.subtract(1.0, mul(hs[l], hs[l], out=tmp[l - 1]), out=tmp[l - 1])
                elif activation == "relu":  # act'(z) = [z > 0] = [h > 0]
                    delta *= np.greater(hs[l], 0.0, out=tmp[l - 1])
        return value, g

    return f


def hvp_fn(X, y, sizes, activation="tanh"):
    """:func:`core.mlp.hvp` of one network for an analytic activation (tanh or linear): a
    function (theta (P,), v (P,)) -> H v (P,), Pearlmutter's R-operator with the operations of
    core.mlp._rop in the same order. ReLU has no R-operator (core.mlp.hvp takes differences of
    the gradient instead), so it is refused here."""
    if activation not in ("tanh", "linear"):
        raise ValueError(f"hvp_fn needs tanh or linear units, not {activation!r}")
    N, L, tanh = X.shape[0], len(sizes) - 1, activation == "tanh"
    shapes = list(zip(sizes[:-1], sizes[1:]))
    out = np.empty(num_params(sizes))
    rgW, rgb = zip(*unflatten(out, sizes))
    tW = [np.empty(shape) for shape in shapes]

    def per_layer():
        return [np.empty((N, b)) for _, b in shapes]

    hs, rhs, ss = [X] + per_layer(), [None] + per_layer(), per_layer()  # h, R{h}, act'(z)
    dl, rdl, t1, t2 = per_layer(), per_layer(), per_layer(), per_layer()  # delta, R{delta}, temps
    mul = np.multiply
    views = [None, None, None, None]  # [theta, its (W, b) views, v, its (V, c) views]

    def f(theta, v):
        if views[0] is not theta:
            views[0:2] = theta, unflatten(theta, sizes)
        if views[2] is not v:
            views[2:4] = v, unflatten(v, sizes)
        layers, dirs = views[1], views[3]
        for l, ((W, b), (V, c)) in enumerate(zip(layers, dirs)):
            h, z, rz = hs[l], hs[l + 1], rhs[l + 1]
            np.add(np.matmul(h, W, out=z), b, out=z)  # z = h W + b
            if l == 0:  # R{z} = h V + c
                np.add(np.matmul(h, V, out=rz), c, out=rz)
            else:  # R{z} = R{h} W + (h V + c)
                hv = np.add(np.matmul(h, V, out=t1[l]), c, out=t1[l])
                np.add(np.matmul(rhs[l], W, out=rz), hv, out=rz)
            if l < L - 1 and tanh:  # h = tanh(z), s = 1 - h^2, R{h} = s R{z}
                np.tanh(z, out=z)
                s = np.subtract(1.0, mul(z, z, out=ss[l]), out=ss[l])
                mul(s, rz, out=rz)
        delta = np.divide(np.subtract(hs[-1], y, out=dl[-1]), N, out=dl[-1])
        rdelta = np.divide(rhs[-1], N, out=rdl[-1])
        for l in range(L - 1, -1, -1):
            np.matmul(hs[l].T, rdelta, out=rgW[l])  # R{dL/dW} = h^T R{delta} + R{h}^T delta
            if l > 0:
                np.add(rgW[l], np.matmul(rhs[l].T, delta, out=tW[l]), out=rgW[l])
            np.add.reduce(rdelta, axis=-2, out=rgb[l])
            if l == 0:
                break
            W, V = layers[l][0], dirs[l][0]
            e = np.matmul(delta, W.T, out=t1[l - 1])
            re = np.matmul(rdelta, W.T, out=rdl[l - 1])
            np.add(re, np.matmul(delta, V.T, out=t2[l - 1]), out=re)
            if tanh:  # delta = e s, R{delta} = R{e} s + e (-2 h R{h})
                s = ss[l - 1]
                q = mul(mul(-2.0, hs[l], out=t2[l - 1]), rhs[l], out=t2[l - 1])
                delta = mul(e, s, out=dl[l - 1])
                rdelta = np.add(mul(re, s, out=re), mul(e, q, out=q), out=re)
            else:  # linear units: s = 1, R{s} = 0
                delta, rdelta = e, re
        return out

    return f
