"""Ill-conditioning (book 8.2.1) against closed forms, and book Fig 8.1's measurements."""

import numpy as np
import pytest

from core import edge_of_stability as eos
from core import ill_conditioning as ic
from core import mlp, mlp_buffered, optim


@pytest.mark.parametrize("kappa,dim,lr,rotate", [(10, 10, 0.15, True), (100, 5, 0.019, False),
                                                 (3, 2, 0.9, True), (1000, 20, 0.0021, True)])
def test_taylor_ledger_equals_the_actual_change(kappa, dim, lr, rotate):
    res = ic.gradient_descent_on_quadratic(kappa, dim, lr, 60, 0.0, rotate, seed=4)
    led = res.ledger
    scale = np.maximum(led["gain"].abs(), led["penalty"].abs())
    assert (np.abs(led["predicted"] - led["actual"]) <= 1e-9 * scale + 1e-300).all()


def test_ledger_marks_exactly_the_uphill_steps_and_they_need_eps_above_2gg_over_gHg():
    res = ic.gradient_descent_on_quadratic(10, 6, 0.21, 40, 0.0, True, seed=1)
    led = res.ledger
    assert led["rose"].any()
    np.testing.assert_array_equal(led["rose"], led["penalty"] > led["gain"])


@pytest.mark.parametrize("kappa", [1.0, 10.0, 300.0])
@pytest.mark.parametrize("dim", [2, 7])
def test_converges_just_below_and_diverges_just_above_two_over_lambda_max(kappa, dim):
    crit = ic.critical_learning_rate(kappa)
    below = ic.gradient_descent_on_quadratic(kappa, dim, crit * 0.98, 1000, 0.0, True, 2)
    above = ic.gradient_descent_on_quadratic(kappa, dim, crit * 1.02, 1000, 0.0, True, 2)
    c_below = below.history.query("method == 'gradient descent'")["cost"]
    c_above = above.history.query("method == 'gradient descent'")["cost"]
    assert c_below.iloc[-1] < 1e-6 * c_below.iloc[0]
    assert below.gd.state == "converges"
    assert above.gd.state == "diverged" and "2/lambda_max" in above.gd.reason
    assert c_above.iloc[-1] > c_above.iloc[0]
    assert above.gd.step is not None and c_above.iloc[above.gd.step] > c_above.iloc[0]


def test_exactly_at_two_over_lambda_max_it_oscillates_forever():
    res = ic.gradient_descent_on_quadratic(10, 3, 0.2, 50, 0.0, False, 0)
    assert res.gd.state == "edge"
    v = res.path.query("method == 'gradient descent'")["v"].to_numpy()
    np.testing.assert_allclose(np.abs(v), 1.0, rtol=1e-12)  # the top coordinate flips, never shrinks
    assert np.all(np.sign(v[1:]) == -np.sign(v[:-1]))


@pytest.mark.parametrize("kappa", [2.0, 10.0, 50.0])
def test_measured_rate_at_the_optimal_step_is_kappa_minus_1_over_kappa_plus_1(kappa):
    lr = ic.optimal_learning_rate(1.0, kappa)
    # In 2-D both eigen-coordinates contract by exactly (kappa-1)/(kappa+1) every step.
    res = ic.gradient_descent_on_quadratic(kappa, 2, lr, 40, 0.0, True, 0)
    gd = res.history.query("method == 'gradient descent'")
    assert ic.measured_rate(gd) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)
    # In more dimensions the middle eigenvalues die faster and the extremes set the rate.
    res = ic.gradient_descent_on_quadratic(kappa, 6, lr, 250, 0.0, True, 0)
    gd = res.history.query("method == 'gradient descent'")
    assert ic.measured_rate(gd, tail=50) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-5)
    assert ic.gd_rate(lr, ic.spectrum(kappa, 5)) == pytest.approx(ic.optimal_gd_rate(kappa), rel=1e-12)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_heavy_ball_at_its_optimal_parameters_has_rate_sqrt_kappa(kappa):
    lr, beta, rate = ic.optimal_heavy_ball(1.0, kappa)
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), rel=1e-12)
    assert ic.heavy_ball_rate(lr, beta, ic.spectrum(kappa, 9)) == pytest.approx(np.sqrt(beta), rel=1e-6)
    # measured: the error after k steps is within a polynomial factor of rate^k (double root)
    res = ic.gradient_descent_on_quadratic(kappa, 9, lr, 400, beta, True, 0)
    hb = res.history.query("method == 'momentum'")
    assert ic.measured_rate(hb, tail=200) == pytest.approx(rate, rel=0.02)
    assert ic.measured_rate(hb, tail=200) < ic.optimal_gd_rate(kappa)


def test_heavy_ball_stability_edge_is_2_plus_2_beta():
    lam, beta = np.array([1.0, 10.0]), 0.5
    edge = (2 + 2 * beta) / 10.0
    assert ic.heavy_ball_rate(edge * 0.99, beta, lam) < 1
    assert ic.heavy_ball_rate(edge * 1.01, beta, lam) > 1


def test_heavy_ball_complex_regime_rate_is_sqrt_beta_not_2_sqrt_beta():
    # (1 + beta - eps lam)^2 < 4 beta  =>  complex roots of modulus sqrt(beta)
    assert ic.heavy_ball_rate(0.1, 0.81, [10.0]) == pytest.approx(0.9, rel=1e-12)


def test_condition_number_and_spectrum_endpoints():
    lam = ic.spectrum(250.0, 13)
    assert lam[0] == 1.0 and lam[-1] == 250.0
    p = ic.make_problem(250.0, 13, True, 5)
    assert ic.condition_number(p.H) == pytest.approx(250.0, rel=1e-9)


def test_rate_curve_is_a_v_with_its_floor_at_the_optimal_step():
    lam = ic.spectrum(10.0, 4)
    rc = ic.rate_curve(lam)
    best = rc.loc[rc["rate"].idxmin()]
    assert best["learning_rate"] == pytest.approx(ic.optimal_learning_rate(1, 10), rel=0.03)
    above = rc[rc["learning_rate"] > ic.critical_learning_rate(10.0) * 1.001]
    assert (above["rate"] > 1).all()


def test_ellipses_are_level_sets():
    e = ic.ellipses(0.5, 8.0, [0.1, 2.0])
    np.testing.assert_allclose(0.5 * (0.5 * e["u"] ** 2 + 8.0 * e["v"] ** 2), e["level"], rtol=1e-12)


# --- the small network of Fig 8.1 ----------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_backprop_matches_finite_differences(activation):
    rng = np.random.default_rng(7)
    sizes = [3, 5, 4, 2]
    X, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    th = mlp.init_params(sizes, rng)
    _, g = mlp.loss_and_grad(th, X, y, sizes, activation)
    h = 1e-6
    fd = np.array([(mlp.loss(th + h * e, X, y, sizes, activation)
                    - mlp.loss(th - h * e, X, y, sizes, activation)) / (2 * h) for e in np.eye(th.size)])
    np.testing.assert_allclose(g, fd, atol=1e-8)


def test_batched_networks_match_one_at_a_time():
    rng = np.random.default_rng(1)
    sizes = [2, 4, 1]
    X, y = rng.standard_normal((7, 2)), rng.standard_normal((7, 1))
    thetas = mlp.init_params(sizes, rng, num_nets=5)
    L, G = mlp.loss_and_grad(thetas, X, y, sizes)
    for i in range(5):
        li, gi = mlp.loss_and_grad(thetas[i], X, y, sizes)
        assert L[i] == pytest.approx(li, rel=1e-12)
        np.testing.assert_allclose(G[i], gi, rtol=1e-12, atol=1e-15)


def test_sharpness_matches_the_exact_hessian_of_a_tiny_net():
    rng = np.random.default_rng(2)
    sizes = [2, 3, 1]
    X, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    th = mlp.init_params(sizes, rng, gain=1.5)
    P, h = th.size, 1e-4
    # Independent oracle: second differences of the loss itself (no gradient code involved).
    f = lambda t: mlp.loss(t, X, y, sizes)  # noqa: E731
    E = np.eye(P) * h
    H = np.array([[(f(th + E[i] + E[j]) - f(th + E[i] - E[j]) - f(th - E[i] + E[j])
                    + f(th - E[i] - E[j])) / (4 * h * h) for j in range(P)] for i in range(P)])
    lam_exact = np.linalg.eigvalsh(0.5 * (H + H.T)).max()
    lam, v = mlp.sharpness(th, X, y, sizes, num_iters=300)
    assert lam == pytest.approx(lam_exact, rel=1e-5)
    np.testing.assert_allclose(mlp.hvp(th, v, X, y, sizes), lam * v, atol=1e-6 * abs(lam))


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize("sizes", [(3, 5, 4, 2), (4, 32, 32, 1), (2, 1)])
def test_buffered_loss_and_grad_is_loss_and_grad_bit_for_bit(activation, sizes):
    rng = np.random.default_rng(len(sizes) + sizes[1])
    X, y = rng.standard_normal((9, sizes[0])), rng.standard_normal((9, sizes[-1]))
    f = mlp_buffered.loss_and_grad_fn(X, y, sizes, activation)
    th = mlp.init_params(sizes, rng, gain=0.5) + 0.1 * rng.standard_normal(mlp.num_params(sizes))
    for step in range(3):  # later calls reuse the buffers
        value, g = mlp.loss_and_grad(th, X, y, sizes, activation)
        value_f, g_f = f(th)
        assert value_f == value and np.array_equal(g_f, g)
        if step == 0:
            th -= 0.3 * g  # the same array, changed in place: f's views of it must follow
        else:
            th = 3.0 * th  # a new array, on a larger scale


@pytest.mark.parametrize("activation", ["tanh", "linear"])
@pytest.mark.parametrize("sizes", [(3, 5, 4, 2), (4, 32, 32, 1), (2, 1)])
def test_buffered_hessian_vector_product_is_hvp_bit_for_bit(activation, sizes):
    rng = np.random.default_rng(7 * len(sizes) + sizes[1])
    X, y = rng.standard_normal((9, sizes[0])), rng.standard_normal((9, sizes[-1]))
    P = mlp.num_params(sizes)
    hv = mlp_buffered.hvp_fn(X, y, sizes, activation)
    th = mlp.init_params(sizes, rng, gain=1.5) + 0.2 * rng.standard_normal(P)
    for _ in range(3):  # later calls reuse the buffers: a new v, then theta changed in place
        v = rng.standard_normal(P)
        np.testing.assert_array_equal(hv(th, v), mlp.hvp(th, v, X, y, sizes, activation))
        th += 0.1 * rng.standard_normal(P)


def test_buffered_hessian_vector_product_refuses_relu():
    X, y = np.ones((2, 2)), np.ones((2, 1))
    with pytest.raises(ValueError, match="tanh or linear"):
        mlp_buffered.hvp_fn(X, y, (2, 3, 1), "relu")


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_hessian_vector_product_matches_differences_of_the_gradient_and_is_symmetric(activation):
    rng = np.random.default_rng(3)
    sizes = [3, 6, 5, 2]
    X, y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
    P = mlp.num_params(sizes)
    th = mlp.init_params(sizes, rng, num_nets=2, gain=1.5) + 0.2 * rng.standard_normal((2, P))
    u, v = rng.standard_normal((2, 2, P))
    Hv = mlp.hvp(th, v, X, y, sizes, activation)
    h = 1e-5  # independent oracle: central differences of the backprop gradient
    fd = (mlp.loss_and_grad(th + h * v, X, y, sizes, activation)[1]
          - mlp.loss_and_grad(th - h * v, X, y, sizes, activation)[1]) / (2 * h)
    np.testing.assert_allclose(Hv, fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max())
    uHv = np.sum(u * Hv, axis=-1)
    vHu = np.sum(v * mlp.hvp(th, u, X, y, sizes, activation), axis=-1)
    np.testing.assert_allclose(uHv, vHu, rtol=1e-12)  # H is symmetric
    for i in range(2):  # a batch of networks is each network on its own
        np.testing.assert_array_equal(Hv[i], mlp.hvp(th[i], v[i], X, y, sizes, activation))


def test_fig_8_1_training_follows_the_plain_loop_exactly():
    X, y = eos.make_task(0)
    theta = mlp.init_params(eos.SIZES, np.random.default_rng(1))
    costs, norms = [], []
    for _ in range(121):  # the reference: mlp.loss_and_grad and theta - eps g, nothing cached
        cost, g = mlp.loss_and_grad(theta, X, y, eos.SIZES)
        costs.append(cost), norms.append(np.linalg.norm(g))
        theta = theta - 0.15 * g
    h = eos.train(0.15, 120, seed=0, every=20).history
    np.testing.assert_array_equal(h["cost"], costs[::20])
    np.testing.assert_array_equal(h["grad_norm"], norms[::20])


def test_fig_8_1_gradient_grows_while_cost_falls_and_sharpness_meets_2_over_eps():
    # What this net does at the default step (measured once, asserted as the phenomenon):
    # the gradient norm ends well above its minimum while the cost keeps falling.
    res = eos.train(0.15, 1500, seed=0)
    s = eos.summarize(res, 0.15)
    assert res.diverged_at is None
    assert s.grad_growth > 5 and s.cost_fall > 1
    assert s.sharpness_start < s.edge
    assert s.sharpness_end == pytest.approx(s.edge, rel=0.1)


def test_fig_8_1_network_diverges_cleanly_when_eps_is_far_above_2_over_sharpness():
    res = eos.train(5.0, 200, seed=0)
    assert res.diverged_at is not None
    assert np.isfinite(res.history.to_numpy(dtype=float)).all()


def test_gradient_descent_transform_is_the_same_as_the_loop_used_by_the_page():
    p = ic.make_problem(10, 4, True, 0)
    r = optim.run(p.surface, p.x0, optim.chain(optim.scale_by_learning_rate(0.1)), 5)
    res = ic.gradient_descent_on_quadratic(10, 4, 0.1, 5, 0.0, True, 0)
    np.testing.assert_allclose(res.history.query("method == 'gradient descent'")["cost"], r.history["cost"])
