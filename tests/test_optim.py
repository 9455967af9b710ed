"""The optimization backbone: surfaces' derivatives, the transforms and the loop."""

import numpy as np
import pytest

from core import optim
from core.surfaces import finite_difference_grad, quadratic, random_rotation, rosenbrock


def _fd_hessian(surface, x, h=1e-5):
    return np.array([(surface.grad(x + h * e) - surface.grad(x - h * e)) / (2 * h)
                     for e in np.eye(x.size)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadratic_derivatives_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(-3, 5, 6)
    s = quadratic(lam, random_rotation(6, rng))
    x = rng.standard_normal(6)
    np.testing.assert_allclose(s.grad(x), finite_difference_grad(s.value, x), atol=1e-7)
    np.testing.assert_allclose(s.hessian(x), _fd_hessian(s, x), atol=1e-7)
    np.testing.assert_allclose(np.linalg.eigvalsh(s.hessian(x)), np.sort(lam), atol=1e-12)


def test_rosenbrock_hessian_at_minimum_is_the_textbook_matrix():
    s = rosenbrock()
    np.testing.assert_allclose(s.hessian(np.array([1.0, 1.0])), [[802, -400], [-400, 200]])
    assert s.value(np.array([1.0, 1.0])) == 0
    np.testing.assert_allclose(s.grad(np.array([1.0, 1.0])), [0, 0])


@pytest.mark.parametrize("point", [(-1.2, 1.0), (0.3, -0.7), (2.0, 3.5)])
def test_rosenbrock_derivatives_match_finite_differences(point):
    s, x = rosenbrock(), np.array(point)
    np.testing.assert_allclose(s.grad(x), finite_difference_grad(s.value, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(s.hessian(x), _fd_hessian(s, x), rtol=1e-6, atol=1e-4)


def test_surfaces_broadcast_over_a_grid():
    s = rosenbrock()
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4)), axis=-1)
    assert s.value(grid).shape == (4, 5)
    assert s.grad(grid).shape == (4, 5, 2)
    assert s.hessian(grid).shape == (4, 5, 2, 2)
    np.testing.assert_allclose(s.value(grid)[2, 3], s.value(grid[2, 3]))


def test_haar_rotation_is_orthogonal():
    Q = random_rotation(7, np.random.default_rng(3))
    np.testing.assert_allclose(Q.T @ Q, np.eye(7), atol=1e-12)


# --- clipping (book 10.11.1); the invariants over many magnitudes are in test_cliffs.py -----------
def test_clipping_threshold_zero_means_off():
    g = np.array([100.0, -200.0])
    np.testing.assert_array_equal(optim.clip_norm(g, 0.0), g)
    np.testing.assert_array_equal(optim.clip_value(g, 0.0), g)


def test_clip_by_norm_of_an_infinite_gradient_is_finite():
    c = optim.clip_norm(np.array([np.inf, 1.0, -np.inf]), 2.0)
    assert np.all(np.isfinite(c)) and np.linalg.norm(c) <= 2.0 + 1e-12


# --- transforms and the loop ---------------------------------------------------------------------
def test_gradient_descent_on_a_quadratic_follows_the_closed_form():
    lam, x0, eps = np.array([1.0, 4.0, 9.0]), np.array([1.0, -2.0, 0.5]), 0.1
    r = optim.run(quadratic(lam), x0, optim.chain(optim.scale_by_learning_rate(eps)), 30)
    k = np.arange(31)[:, None]
    np.testing.assert_allclose(r.x, x0 * (1 - eps * lam) ** k, rtol=1e-12, atol=1e-300)
    assert not r.status.diverged


def test_heavy_ball_matches_the_two_step_recurrence():
    lam, x0, eps, beta = np.array([1.0, 10.0]), np.array([1.0, 1.0]), 0.1, 0.6
    r = optim.run(quadratic(lam), x0, optim.chain(optim.momentum(beta),
                                                  optim.scale_by_learning_rate(eps)), 20)
    xs = [x0, x0 - eps * lam * x0]
    for _ in range(19):
        xs.append(xs[-1] - eps * lam * xs[-1] + beta * (xs[-1] - xs[-2]))
    np.testing.assert_allclose(r.x, np.array(xs), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("lam", [[2.0, -3.0], [5.0, -1.0], [1.0, 2.0, -0.5]])
def test_newton_lands_on_a_quadratic_critical_point_in_one_step(lam):
    rng = np.random.default_rng(0)
    s = quadratic(lam, random_rotation(len(lam), rng))
    r = optim.run(s, rng.standard_normal(len(lam)),
                  optim.chain(optim.newton(), optim.scale_by_learning_rate(1.0)), 1)
    np.testing.assert_allclose(r.x[-1], 0, atol=1e-12)


def test_saddle_free_newton_maps_5x2_minus_y2_to_0_2y():
    s = quadratic([10.0, -2.0])  # 5x^2 - y^2 has Hessian diag(10, -2)
    r = optim.run(s, [0.7, 0.3], optim.chain(optim.saddle_free_newton(),
                                             optim.scale_by_learning_rate(1.0)), 1)
    np.testing.assert_allclose(r.x[-1], [0.0, 0.6], atol=1e-12)


def test_clipping_composes_as_a_transform_and_bounds_every_step():
    s = quadratic([100.0, 1.0])
    eps, v = 0.05, 0.5
    r = optim.run(s, [3.0, 3.0], optim.chain(optim.clip_by_norm(v),
                                             optim.scale_by_learning_rate(eps)), 50)
    assert r.history["step_norm"].max() <= eps * v * (1 + 1e-12)


def test_divergence_is_a_reported_result_not_an_exception():
    s = quadratic([1.0, 10.0])
    r = optim.run(s, [1.0, 1.0], optim.chain(optim.scale_by_learning_rate(0.25)), 10_000)
    assert r.status.diverged and r.status.step is not None and r.status.step < 10_000
    assert "passed" in r.status.reason
    assert np.isfinite(r.history.to_numpy(dtype=float)).all()
    assert len(r.history) == len(r.x) == r.status.step + 1


def test_overflow_to_infinity_is_caught_and_never_recorded():
    s = quadratic([1.0, 1e150])
    r = optim.run(s, [1.0, 1.0], optim.chain(optim.scale_by_learning_rate(1.0)), 5,
                  max_cost=np.inf, max_norm=np.inf)
    assert r.status.diverged and "infinite" in r.status.reason
    assert np.isfinite(r.history.to_numpy(dtype=float)).all()
