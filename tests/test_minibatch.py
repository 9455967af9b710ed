"""Minibatch page (book 8.1.3) against closed forms, exact enumeration and independent simulation."""

from itertools import combinations

import numpy as np
import pytest

from core import minibatch as mb
from core import minibatch_order as mo
from core import minibatch_sgd as ms
from core import minibatch_theory as mt
from core.ill_conditioning import spectrum
from tests.pagetest import assert_charts_finite, open_page
from ui.pages import BY_ID


# --- sampling without replacement ----------------------------------------------------------------
@pytest.mark.parametrize("m,B", [(7, 1), (7, 3), (8, 4), (9, 8)])
def test_without_replacement_error_matches_exact_enumeration_of_every_batch(m, B):
    c = np.random.default_rng(m * 10 + B).standard_normal((m, 3))
    c -= c.mean(axis=0)
    exact = np.mean([np.sum(c[list(S)].mean(axis=0) ** 2) for S in combinations(range(m), B)])
    rel_var = np.sum(c**2) / m  # tr Sigma of the finite population (|mean|^2 = 1 as the unit)
    assert float(mt.relative_error(rel_var, B, m)) ** 2 == pytest.approx(exact, rel=1e-12)
    # with replacement (m = None) the error would be larger by (m - 1)/(m - B)
    assert float(mt.relative_error(rel_var, B)) ** 2 == pytest.approx(exact * (m - 1) / (m - B))


def test_block_errors_average_to_the_enumerated_expectation():
    m, B = 9, 3
    rng = np.random.default_rng(11)
    c = rng.standard_normal((m, 4)).astype(np.float32)
    c -= c.mean(axis=0)
    w = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 0.25, 4.0, 0.5]])
    exact = np.mean([(c[list(S)].mean(axis=0) ** 2) @ w.T for S in combinations(range(m), B)], axis=0)
    sq = mb.block_errors(c, w, [B], mb.draw_subsets(m, m, 20000, rng), max_draws=60000)[0]
    np.testing.assert_allclose(sq.mean(axis=1), exact, rtol=0.02)


def test_draw_subsets_never_repeats_an_example_within_a_batch():
    sub = mb.draw_subsets(50, 30, 200, np.random.default_rng(3))
    assert sub.shape == (200, 30)
    assert all(len(set(row)) == 30 for row in sub)
    counts = np.bincount(sub.ravel(), minlength=50)  # every example equally likely: 120 expected
    assert counts.min() > 70 and counts.max() < 170


# --- the standard error sigma / sqrt(B) ----------------------------------------------------------
@pytest.mark.parametrize("dim,m,seed", [(2, 400_000, 1), (10, 100_000, 2)])
def test_hundred_times_the_batch_buys_ten_times_less_error(dim, m, seed):
    s = mb.batch_size_study(dim, 10.0, seed, batches=(100, 10_000), m=m, subsets=120)
    g = s.curves[s.curves["quantity"] == "gradient"].set_index("batch")["measured"]
    ratio = g[100] / g[10_000]
    with_fpc = 10 * np.sqrt((m - 100) / (m - 10_000))  # without replacement from m examples
    assert ratio == pytest.approx(with_fpc, rel=0.10)
    if m >= 400_000:
        assert ratio == pytest.approx(10.0, rel=0.10)  # the book's 1/sqrt(m) claim itself


def test_measured_errors_follow_the_exact_expectation_at_every_batch():
    s = mb.batch_size_study(10, 10.0, seed=5, subsets=40)
    rel = s.curves["measured"] / s.curves["theory"]
    assert rel.between(0.85, 1.15).all(), s.curves
    small = s.curves[s.curves["batch"] <= 100]
    assert (small["measured"] / small["theory"]).between(0.95, 1.05).all()


# --- Newton's amplification by kappa --------------------------------------------------------------
@pytest.mark.parametrize("kappa", [1.0, 10.0, 1000.0])
def test_newton_error_never_exceeds_kappa_times_the_gradient_error_draw_by_draw(kappa):
    data = mb.make_data(20_000, 6, kappa, seed=int(kappa) + 3)
    c = mb.per_example_gradients(data, np.zeros(6))
    G = c.mean(axis=0, dtype=float)
    c -= G.astype(np.float32)
    w = np.stack([np.ones(6), 1.0 / data.lam**2])
    norms = w @ (G * G)
    sub = mb.draw_subsets(20_000, 1000, 30, np.random.default_rng(1))
    for sq in mb.block_errors(c, w, [1, 10, 100, 1000], sub):
        grad, newton = np.sqrt(sq[0] / norms[0]), np.sqrt(sq[1] / norms[1])
        assert np.all(newton <= kappa * grad * (1 + 1e-9))
        if kappa == 1.0:
            np.testing.assert_allclose(newton, grad, rtol=1e-9)


def test_the_kappa_bound_is_attained_by_the_worst_case_and_gives_kappa_squared():
    lam = spectrum(100.0, 5)
    G, e = np.eye(5)[-1], 1e-3 * np.eye(5)[0]  # G on the top eigenvector, error on the bottom one
    rel_g = np.linalg.norm(e) / np.linalg.norm(G)
    rel_n = np.linalg.norm(e / lam) / np.linalg.norm(G / lam)
    assert rel_n / rel_g == pytest.approx(100.0)
    # the batch needed to match grows as kappa^2: same relative variance times 100^2
    assert mt.match_batch(1.0 * 100.0**2, float(mt.relative_error(1.0, 100))) == pytest.approx(1e6)


@pytest.mark.parametrize("kappa,dim", [(1.0, 8), (10.0, 10), (1000.0, 20), (1e4, 3)])
def test_closed_form_amplification_lies_between_one_over_kappa_squared_and_kappa_squared(kappa, dim):
    w_star = mb.make_data(1, dim, kappa, seed=7).w_star
    a2 = mt.newton_amplification(spectrum(kappa, dim), np.zeros(dim), w_star)
    assert kappa**-2 * (1 - 1e-12) <= a2 <= kappa**2 * (1 + 1e-12)
    if kappa == 1.0:
        assert a2 == pytest.approx(1.0)


def test_measured_amplification_and_matching_batch_follow_the_closed_form():
    s = mb.batch_size_study(10, 10.0, seed=3)
    assert s.amplification == pytest.approx(s.amplification_theory, rel=0.08)
    assert s.match == pytest.approx(s.match_theory, rel=0.15)
    assert s.match > 100  # an ill-conditioned H needs the bigger batch
    flat = mb.batch_size_study(4, 1.0, seed=3)
    assert flat.match == pytest.approx(100, rel=0.05)  # kappa = 1: no amplification


def test_crossing_is_exact_on_a_power_law_and_inf_when_never_reached():
    b = np.array(mb.BATCH_GRID, dtype=float)
    err = 3.0 / np.sqrt(b)
    assert mb.crossing(b, err, 3.0 / np.sqrt(777.0)) == pytest.approx(777.0, rel=1e-12)
    assert mb.crossing(b, err, 1e-6) == float("inf")
    v, m = 40.0, 5000
    target = float(mt.relative_error(v, 250, m))
    assert mt.match_batch(v, target, m) == pytest.approx(250.0)


# --- gradient noise scale -------------------------------------------------------------------------
@pytest.mark.parametrize("kappa,dim,seed", [(1.0, 3, 0), (10.0, 5, 1), (100.0, 8, 2)])
def test_b_simple_at_w0_matches_the_closed_form_for_linear_regression(kappa, dim, seed):
    data = mb.make_data(300_000, dim, kappa, seed)
    g = mb.per_example_gradients(data, np.zeros(dim)).astype(float)
    G = g.mean(axis=0)
    measured = np.sum((g - G) ** 2) / len(g) / (G @ G)
    lam, ws = data.lam, data.w_star
    closed = 1 + (ws @ (lam * ws) + data.noise**2) * lam.sum() / np.sum((lam * ws) ** 2)
    assert mt.b_simple(lam, np.zeros(dim), ws) == pytest.approx(closed, rel=1e-12)
    assert measured == pytest.approx(closed, rel=0.04)


def test_noise_moments_match_monte_carlo_away_from_w0():
    data = mb.make_data(400_000, 4, 20.0, seed=9)
    w = np.array([0.3, -0.2, 0.5, 0.1])
    g = mb.per_example_gradients(data, w).astype(float)
    G, S = g.mean(axis=0), np.cov(g.T, bias=True)
    H = np.diag(data.lam)
    assert mt.b_noise(data.lam, w, data.w_star) == pytest.approx(
        np.trace(H @ S) / (G @ H @ G), rel=0.05)
    assert mt.b_simple(data.lam, w, data.w_star) == pytest.approx(np.trace(S) / (G @ G), rel=0.05)


# --- random versus ordered batches ----------------------------------------------------------------
@pytest.mark.parametrize("B", [5, 20, 100, 250])
def test_contiguous_batches_keep_tau_squared_and_random_ones_average_it_away(B):
    s = mo.order_study(B, seed=B, reps=200, grid=(B,))
    v = s.variance.set_index("order")["measured"]
    tau2, sig2 = mo.TAU**2, mo.SIGMA**2
    assert v[mo.ORDERS[0]] == pytest.approx(tau2 + sig2 / B, rel=0.1)
    assert v[mo.ORDERS[1]] == pytest.approx((tau2 + sig2) / B, rel=0.1)


@pytest.mark.parametrize("B", [1, 10, 250, 500])
def test_contiguous_theory_reduces_to_the_simple_forms(B):
    m, k, t2, s2 = mo.M_ORDER, mo.PATIENT, mo.TAU**2, mo.SIGMA**2
    var, _ = mo.contiguous_theory(B, m, k)
    assert var == pytest.approx(t2 * (1 - k / m) + s2 * (1 / B - 1 / m), rel=1e-12)
    var, _ = mo.contiguous_theory(k * 4, m, k)  # k divides B: k tau^2 + sigma^2 over B
    assert var == pytest.approx((k * t2 + s2) * (1 / (4 * k) - 1 / m), rel=1e-12)


@pytest.mark.parametrize("m,k", [(20_000, 500), (1001, 7), (1000, 10), (60, 60), (99, 3), (500, 1)])
def test_contiguous_theory_matches_the_dense_patient_by_block_counts(m, k):
    """Oracle: the formula with the full matrix c[b, j] of records of patient j in block b, and
    the lag-1 covariance from consecutive rows of it (the core only visits the nonzero entries)."""
    t2, s2 = mo.TAU**2, mo.SIGMA**2
    for B in sorted({b for b in (1, 2, 3, 5, 7, 13, k, k + 1, 2 * k, 3 * k - 1, m // 4, m // 2,
                                 m - 1) if 1 <= b <= m}):
        pos = np.arange((m // B) * B)
        c = np.zeros((m // B, -(-m // k)))
        np.add.at(c, (pos // B, pos // k), 1.0 / B)
        var = t2 * ((c * c).sum(1) - k / m) + s2 * (1 / B - 1 / m)
        cov = t2 * ((c[:-1] * c[1:]).sum(1) - k / m) - s2 / m
        got = mo.contiguous_theory(B, m, k)
        assert got[0] == pytest.approx(var.mean(), rel=1e-9, abs=1e-12), B
        if len(cov):
            assert got[1] == pytest.approx(cov.mean() / var.mean(), rel=1e-9, abs=1e-9), B
        else:
            assert np.isnan(got[1])

def test_successive_estimates_correlate_in_stored_order_and_not_when_shuffled():
    s = mo.order_study(100, seed=4, reps=200)
    c = s.correlation.set_index(["order", "batch"])
    stored, shuffled = c.loc[(mo.ORDERS[0], 100)], c.loc[(mo.ORDERS[1], 100)]
    assert stored["measured"] > 0.6 and stored["measured"] == pytest.approx(stored["theory"], abs=0.05)
    assert abs(shuffled["measured"] - shuffled["theory"]) < 0.02  # -B/(m - B) ~ -0.005
    assert s.corr_at[mo.ORDERS[0]] == pytest.approx(stored["measured"])


def test_reusing_examples_in_a_second_epoch_biases_the_loss_estimate_low():
    r = ms.reuse_bias(seed=2, runs=800)
    ep = r.epochs.set_index("epoch")
    assert abs(ep.loc[1, "bias"]) < 3 * ep.loc[1, "se"]  # fresh examples: unbiased
    for e in (2, 3, 4):
        assert ep.loc[e, "bias"] < -5 * ep.loc[e, "se"]
    assert r.fit_gap < ep.loc[4, "bias"] < 0


# --- SGD: stability and divergence ----------------------------------------------------------------
def test_stability_limit_closed_cases():
    assert mt.stability_limit(np.ones(10), 1) == pytest.approx(2 / 12, rel=1e-9)
    assert mt.stability_limit(spectrum(10.0, 6), 1e12) == pytest.approx(0.2, rel=1e-6)
    lims = [mt.stability_limit(spectrum(10.0, 10), b) for b in (1, 10, 100, 1000)]
    assert np.all(np.diff(lims) > 0) and lims[-1] < 0.2
    # an array of batches runs one bisection for all: the same limits as one at a time
    np.testing.assert_array_equal(mt.stability_limit(spectrum(10.0, 10), [1, 10, 100, 1000]), lims)


@pytest.mark.parametrize("batch,factor,grows", [(1, 0.7, False), (1, 1.4, True), (8, 0.7, False),
                                                (8, 1.4, True)])
def test_stability_limit_against_simulated_mean_square_error(batch, factor, grows):
    lam = spectrum(10.0, 5)
    eps = factor * mt.stability_limit(lam, batch)
    rng = np.random.default_rng(batch * 10 + int(factor * 10))
    e = np.ones((4000, 5))  # 4000 independent runs on fresh Gaussian examples, no label noise
    for _ in range(150):
        X = rng.standard_normal((4000, batch, 5)) * np.sqrt(lam)
        e = e - eps * np.einsum("rbi,rb->ri", X, np.einsum("rbi,ri->rb", X, e)) / batch
    ms_err = np.mean(np.sum(e**2, axis=1))
    assert (ms_err > 5.0) if grows else (ms_err < 1e-2)


def test_sgd_diverges_above_two_over_lambda_max_and_says_so():
    s = ms.sgd_study(5, 10.0, seed=1, learning_rate=0.5, batch=100)
    assert all(r.diverged and r.step is not None and "2/λmax" in r.reason for r in s.runs)
    assert np.isfinite(s.history["loss"]).all() and np.isfinite(s.noise["value"]).all()


def test_sgd_converges_below_the_limit_and_bigger_batches_reach_lower_loss():
    s = ms.sgd_study(5, 10.0, seed=1, learning_rate=0.05, batch=100)
    assert not any(r.diverged for r in s.runs)
    last = s.history.groupby("batch")["loss"].last()
    first = s.history.groupby("batch")["loss"].first()
    assert (last < 0.05 * first).all()
    assert last[10] > last[100] > last[1000]  # the noise floor falls with B
    assert s.end > s.start  # the noise scale grows as the gradient shrinks


def test_unshuffled_label_sorted_batches_blow_up_where_shuffled_ones_do_not():
    on = ms.sgd_study(10, 10.0, seed=0, learning_rate=0.15, batch=100, shuffle=True)
    off = ms.sgd_study(10, 10.0, seed=0, learning_rate=0.15, batch=100, shuffle=False)
    assert not any(r.diverged for r in on.runs)
    bad = [r for r in off.runs if r.diverged]
    assert bad and all("sorted by y" in r.reason for r in bad)


# --- the page: three parts (tabs), only the open one computed -------------------------------------
INFO = BY_ID["minibatch"]
LABELS = ("Gradient error at batch 100", "Gradient error at batch 10000",
          "Newton-step error at batch 100", "Batch for Newton step to match", "Gradient noise scale")
PART_METRICS = {
    "error": LABELS,
    "order": ("Variance at B, stored", "Variance at B, shuffled", "Successive correlation",
              "Second-epoch bias"),
    "sgd": ("Noise scale along the run", "Stability limit at B", "Final loss at B"),
}
PART_CHARTS = {
    "error": ("error_vs_batch", "newton_batch_vs_kappa"),
    "order": ("variance_by_order", "successive_gradients", "successive_correlation", "reuse_bias"),
    "sgd": ("sgd_loss_vs_step", "sgd_loss_vs_examples", "noise_scale", "step_vs_batch"),
}
# the core calls behind each part (a part must not call another part's)
PART_CALLS = {"error": ((mb, "batch_size_study"), (mb, "match_against_kappa")),
              "order": ((mo, "order_study"), (ms, "reuse_bias")),
              "sgd": ((ms, "sgd_study"), (mb, "learning_rate_limits"))}


def _metric(at, prefix):
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def _number(text):
    return float(text.replace(",", "").replace(">", "").replace("+", "").strip())


def _charts(at):
    """The names of the charts drawn (each has its export button, key export-<name>)."""
    return {d.proto.id.split("-export-", 1)[1] for d in at.get("download_button")
            if "-export-" in d.proto.id}


def _switch(at, part):
    """Open another tab in the same session (as a link inside the app would)."""
    at.query_params["part"] = part
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_parts_use_exactly_the_knobs_they_draw():
    assert [p.id for p in INFO.parts] == ["error", "order", "sgd"]
    assert {n for p in INFO.parts for n in p.knobs} == {k.name for k in INFO.knobs}
    at = open_page(INFO, {"part": "error"})
    assert [w.key for w in at.select_slider if w.key in ("batch", "kappa")] == ["kappa"]
    assert not any(w.key == "shuffle" for w in at.toggle)


@pytest.mark.parametrize("part", [p.id for p in INFO.parts])
def test_each_part_renders_its_own_numbers_and_charts_and_computes_nothing_else(part, monkeypatch):
    for other, calls in PART_CALLS.items():
        if other != part:
            for module, name in calls:
                def boom(*args, _name=name, **kwargs):
                    raise AssertionError(f"part {part!r} computed {_name}")
                monkeypatch.setattr(module, name, boom)
    at = open_page(INFO, {"part": part})
    assert not at.exception, at.exception
    assert at.query_params["part"] == part
    labels = [m.label for m in at.metric]
    assert labels == list(PART_METRICS[part])
    assert all(m.value and m.value != "nan" for m in at.metric)
    assert _charts(at) == set(PART_CHARTS[part])
    assert assert_charts_finite(at) == len(PART_CHARTS[part])
    for other in PART_METRICS:
        if other != part:
            assert not set(PART_METRICS[other]) & set(labels)
            assert not set(PART_CHARTS[other]) & _charts(at)


def test_page_metrics_respond_to_kappa_and_divergence_is_a_warning():
    at = open_page(INFO, {"part": "error"})
    assert not at.exception
    for label in LABELS:
        assert any(m.label.startswith(label) for m in at.metric), label
    before = {p: _number(_metric(at, p)) for p in LABELS}
    assert before["Gradient error at batch 100"] > 5 * before["Gradient error at batch 10000"]
    _switch(at, "sgd")
    assert not any("diverged" in w.value for w in at.warning)
    at.toggle(key="shuffle").set_value(False).run()  # label-sorted batches at the same lr
    warned = [w.value for w in at.warning if "diverged" in w.value]
    assert warned and all("step" in w and "sorted by y" in w for w in warned)
    _switch(at, "error")
    assert at.query_params["shuffle"] == "0"
    assert {p: _number(_metric(at, p)) for p in LABELS} == before  # part 1 uses random batches
    assert not any("diverged" in w.value for w in at.warning)  # part 3's warnings stay there
    at.select_slider(key="kappa").set_value(1000.0).run()
    assert not at.exception
    after = {p: _number(_metric(at, p)) for p in LABELS}
    assert after["Newton-step error at batch 100"] > 3 * before["Newton-step error at batch 100"]
    assert after["Batch for Newton step to match"] > 10 * before["Batch for Newton step to match"]
    _switch(at, "sgd")
    assert at.select_slider(key="kappa").value == 1000.0
    at.toggle(key="shuffle").set_value(True).run()
    warned = [w.value for w in at.warning if "diverged" in w.value]  # lr 0.15 > 2/1000
    assert warned and all("step" in w and "2/λmax" in w for w in warned)


def test_order_part_shows_the_patient_variance_and_responds_to_the_batch():
    at = open_page(INFO, {"part": "order"})
    stored, shuffled = (_number(_metric(at, f"Variance at B, {o}")) for o in ("stored", "shuffled"))
    t2, s2 = mo.TAU**2, mo.SIGMA**2
    assert stored == pytest.approx(mo.contiguous_theory(100)[0], rel=0.15)  # tau^2 + sigma^2/B
    assert shuffled == pytest.approx(mo.random_theory(100)[0], rel=0.15)  # (tau^2 + sigma^2)/B
    assert stored > 5 * shuffled
    assert _number(_metric(at, "Successive correlation")) > 0.6
    assert _number(_metric(at, "Second-epoch bias")) < 0
    at.select_slider(key="batch").set_value(20).run()
    assert not at.exception
    assert _number(_metric(at, "Variance at B, shuffled")) == pytest.approx((t2 + s2) / 20, rel=0.15)
    assert _number(_metric(at, "Variance at B, stored")) == pytest.approx(t2 + s2 / 20, rel=0.15)


def test_sgd_part_noise_scale_grows_and_the_stability_limit_is_the_closed_form():
    at = open_page(INFO, {"part": "sgd"})
    start, end = (float(v) for v in _metric(at, "Noise scale along the run").split("→"))
    assert end > 3 * start  # the gradient shrinks faster than its noise: the best batch grows
    assert _number(_metric(at, "Stability limit at B")) == pytest.approx(
        mt.stability_limit(spectrum(10.0, 10), 100), rel=1e-3)
    at.select_slider(key="batch").set_value(10).run()
    assert _number(_metric(at, "Stability limit at B")) == pytest.approx(
        mt.stability_limit(spectrum(10.0, 10), 10), rel=1e-3)


def test_patient_data_is_the_documented_model_record_by_record():
    # v_i = u_(i // k) + eps_i, drawn from stream 2 of the seed: u first, then the noise
    rng = np.random.default_rng([4, 2])
    u = 1.5 * rng.standard_normal((3, 1000 // 10))
    eps = 2.0 * rng.standard_normal((3, 1000))
    expected = u[:, np.arange(1000) // 10] + eps
    np.testing.assert_array_equal(mo.patient_data(1000, 10, 1.5, 2.0, reps=3, seed=4), expected)


@pytest.mark.parametrize("batch", [1, 3, 7, 250])
def test_block_deviations_are_block_means_minus_the_data_set_mean(batch):
    v = np.random.default_rng(batch).standard_normal((4, 1000))
    m = (1000 // batch) * batch
    direct = v[:, :m].reshape(4, -1, batch).mean(axis=2) - v.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(mo.block_deviations(np.cumsum(v, axis=1), batch), direct, atol=1e-12)
