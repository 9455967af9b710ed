"""Long-term dependencies (book 8.2.5, eq 8.11) against closed forms and exact methods."""

import math
import pickle

import numpy as np
import pytest

from core import long_term as lt
from core import long_term_depth as ld
from core import long_term_theory as th
from tests.pagetest import assert_charts_finite, open_page, spy_core_calls
from ui.charts_long_term import sci10
from ui.pages import BY_ID

EULER = 0.5772156649015329


# --- digamma and trigamma --------------------------------------------------------------------------
@pytest.mark.parametrize("x,psi", [(1.0, -EULER), (0.5, -1.9635100260214235),
                                   (2.0, 1 - EULER), (5.0, 1 + 1 / 2 + 1 / 3 + 1 / 4 - EULER),
                                   (1.5, 2 - EULER - 2 * math.log(2)), (100.0, 4.600161852738087)])
def test_digamma_known_values(x, psi):
    assert th.digamma(x) == pytest.approx(psi, abs=1e-13)


@pytest.mark.parametrize("x,d", [(1.0, math.pi**2 / 6), (0.5, math.pi**2 / 2),
                                 (2.0, math.pi**2 / 6 - 1), (3.0, math.pi**2 / 6 - 1 - 1 / 4)])
def test_trigamma_known_values(x, d):
    assert th.trigamma(x) == pytest.approx(d, abs=1e-13)


@pytest.mark.parametrize("x", [0.05, 0.7, 3.3, 9.99, 10.0, 47.5, 256.0])
def test_digamma_is_the_derivative_of_lgamma_and_trigamma_of_digamma(x):
    h = 1e-4 * x
    lg = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    assert th.digamma(x) == pytest.approx(lg, rel=1e-7, abs=1e-7)
    dg = (th.digamma(x + h) - th.digamma(x - h)) / (2 * h)
    assert th.trigamma(x) == pytest.approx(dg, rel=1e-6)
    np.testing.assert_allclose(th.digamma(np.array([x, x])), th.digamma(x), rtol=0, atol=0)


# --- eq 8.11, the matrices, rho^t ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["orthogonal", "symmetric"])
@pytest.mark.parametrize("dim", [2, 5, 10])
def test_eq_8_11_powers_by_eigendecomposition_to_machine_precision(kind, dim):
    W = lt.make_matrix(kind, dim, 1.05, seed=dim).W
    lam, V = np.linalg.eig(W)
    for t in (0, 1, 7, 30):
        exact = np.linalg.matrix_power(W, t)
        eig = lt.power_by_eigendecomposition(V, lam, t)
        assert np.abs(eig - exact).max() <= 1e-13 * (t + 1) * max(1.0, np.abs(exact).max())


def test_eq_8_11_holds_for_the_non_normal_kind_up_to_its_eigenvector_conditioning():
    W = lt.make_matrix("nonnormal", 4, 0.9, seed=3).W
    lam, V = np.linalg.eig(W)
    for t in (1, 5, 20):
        err = np.abs(lt.power_by_eigendecomposition(V, lam, t) - np.linalg.matrix_power(W, t)).max()
        assert err <= 1e-14 * np.linalg.cond(V) * (t + 1) * np.abs(np.linalg.matrix_power(W, t)).max()


@pytest.mark.parametrize("kind", lt.KINDS)
@pytest.mark.parametrize("dim", [2, 3, 8])
def test_constructed_spectrum_matches_numerical_eigenvalues_and_norm(kind, dim):
    m = lt.make_matrix(kind, dim, 0.8, seed=11)
    key = lambda z: (round(z.real, 6), round(z.imag, 6))  # noqa: E731
    got = sorted(np.linalg.eigvals(m.W), key=key)
    np.testing.assert_allclose(got, sorted(m.lam, key=key), atol=1e-6)
    assert m.sigma_max == pytest.approx(np.linalg.norm(m.W, 2), rel=1e-12)
    assert np.abs(m.lam).max() == pytest.approx(0.8, rel=1e-14)
    if m.leading is not None:  # a left eigenvector of the top eigenvalue
        np.testing.assert_allclose(m.W.T @ m.leading, 0.8 * m.leading, atol=1e-12)


@pytest.mark.parametrize("dim", [2, 3, 10, 101, 512])
@pytest.mark.parametrize("rho", [0.5, 1.0, 1.05, 1.5])
def test_scaled_orthogonal_shared_w_ratio_is_rho_to_the_depth_exactly(dim, rho):
    depth = 1000 if dim < 512 else 200
    rec = lt.recurrent_products("orthogonal", dim, rho, depth, "linear", seed=1)
    t = rec.path["step"].to_numpy()
    np.testing.assert_allclose(rec.path["log10_linear"], t * math.log10(rho), rtol=1e-12, atol=1e-12)
    h = ld.recurrent_headline(rec, depth)
    assert h.shared == pytest.approx(h.shared_theory, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("dim", [2, 10, 64])
def test_normal_matrices_never_grow_when_rho_is_below_one(dim):
    for seed in range(3):
        rec = lt.recurrent_products("symmetric", dim, 0.95, 300, "linear", seed)
        assert rec.path["log10_linear"].max() <= 1e-12
        assert (rec.path["gain_linear"].dropna() <= 0.95 * (1 + 1e-12)).all()


@pytest.mark.parametrize("dim,rho", [(10, 0.5), (10, 0.9), (50, 0.5), (50, 0.9)])
def test_non_normal_transient_grows_although_every_eigenvalue_is_inside_the_unit_circle(dim, rho):
    for seed in range(3):
        m = lt.make_matrix("nonnormal", dim, rho, seed)
        assert np.abs(m.lam).max() < 1 and m.sigma_max > 1
        # exact powers, independent of the log-space tracker
        peak = max(np.linalg.norm(np.linalg.matrix_power(m.W, t), 2) for t in range(1, 40))
        assert peak > 3.0
        rec = lt.recurrent_products("nonnormal", dim, rho, 1000, "linear", seed)
        y = rec.path["log10_linear"].to_numpy()
        assert y.max() > 0.3  # the backpropagated vector itself grew at least x2
        # ...and yet the eigenvalues win in the long run (slowly for a very non-normal W)
        assert y[-1] < 0.5 * 1000 * math.log10(rho)
        if dim == 10:  # by step 900 it has reached the slope log10(rho)
            assert (y[-1] - y[-101]) / 100 == pytest.approx(math.log10(rho), abs=2e-3)


@pytest.mark.parametrize("dim", [3, 10, 30])
def test_power_method_alignment_rate_is_lambda2_over_lambda1(dim):
    rec = lt.recurrent_products("symmetric", dim, 1.0, 600, "linear", seed=dim)
    r = rec.lam_ratio
    lam = lt.spread_eigenvalues(1.0, dim)
    assert r == pytest.approx(np.sort(np.abs(lam))[-2] / np.abs(lam).max())
    s = rec.path["sin_theta"].to_numpy()
    tan = s / np.sqrt(1 - s**2)
    bound = th.alignment_bound(s[0], r, rec.path["step"])
    ok = s > 1e-13
    assert (tan[ok] <= bound[ok] * (1 + 1e-9) + 1e-15).all()
    late = np.flatnonzero((tan > 1e-10) & (tan < 1e-5))  # after the third eigenvalue died out
    late = late[late + 1 < len(tan)]
    assert len(late) > 5
    np.testing.assert_allclose(tan[late + 1] / tan[late], r, rtol=2e-3)


# --- through a nonlinearity: the singular-value bound and the eigenvalue trap ----------------------
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("dim", [5, 20, 64])
def test_singular_value_bound_holds_on_random_matrices(activation, dim):
    rng = np.random.default_rng(dim)
    gamma = lt.GAMMA[activation]
    for _ in range(3):
        W = rng.standard_normal((dim, dim))
        W *= 0.97 / (gamma * np.linalg.norm(W, 2))  # sigma_1 gamma = 0.97 < 1
        d = lt.forward_derivatives(W * 5, activation, 200, rng)  # some trajectory's f'
        assert d.max() <= gamma and d.min() >= 0
        logn, _ = lt.backprop_log_norms(W, rng.standard_normal(dim), 200, d)
        t = np.arange(201)
        assert (logn <= t * math.log(0.97) + 1e-9).all()
        dr = rng.uniform(0, gamma, (200, dim))  # any diagonal with entries in [0, gamma]
        logn, _ = lt.backprop_log_norms(W, rng.standard_normal(dim), 200, dr)
        assert (logn <= t * math.log(0.97) + 1e-9).all()


def test_nilpotent_two_by_two_counterexample_to_the_eigenvalue_rule():
    u, v = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    a, d = 3.0, np.array([0.1, 1.0])
    W = a * np.outer(u, v)
    assert np.abs(np.linalg.eigvals(W)).max() < 1e-12  # every eigenvalue is 0
    assert np.allclose(W @ W, 0)
    logn, _ = lt.backprop_log_norms(W, np.array([0.3, -1.0]), 60, np.tile(d, (60, 1)))
    rate = np.exp((logn[-1] - logn[-21]) / 20)
    assert rate == pytest.approx(a * abs(d[0] - d[1]) / 2, rel=1e-9)  # 1.35 > 1: it explodes


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("depth", [50, 200])
def test_page_counterexample_nonnormal_tanh_grows_while_rho_gamma_is_one_half(seed, depth):
    rec = lt.recurrent_products("nonnormal", 50, 0.5, depth, "tanh", seed)
    trap = th.eigenvalue_trap(rec)
    assert trap.rho_gamma == pytest.approx(0.5)
    assert trap.grew and trap.final > 1.0 and trap.excess > depth * 0.3
    assert trap.sigma_gamma > 1  # the singular-value rule promised nothing
    t = rec.path["step"].to_numpy()
    assert (rec.path["log10_nonlinear"] <= t * math.log10(trap.sigma_gamma) + 1e-9).all()
    assert (rec.path["gain_nonlinear"].dropna() <= trap.sigma_gamma * (1 + 1e-12)).all()


def test_sigmoid_through_an_orthogonal_w_vanishes_under_the_guarantee():
    rec = lt.recurrent_products("orthogonal", 20, 1.5, 300, "sigmoid", 0)
    trap = th.eigenvalue_trap(rec)
    assert trap.sigma_gamma == pytest.approx(0.375) and not trap.grew
    t = rec.path["step"].to_numpy()
    assert (rec.path["log10_nonlinear"] <= t * math.log10(0.375) + 1e-9).all()


def test_rate_lines_and_eigen_lines_are_straight_two_point_lines():
    rec = lt.recurrent_products("symmetric", 7, 1.2, 40, "tanh", 0)
    lines = th.rate_lines(rec, 40)
    assert set(lines["line"]) == {"(σ₁γ)ᵗ bound", "(ργ)ᵗ eigenvalue rule"}
    assert lines.groupby("line")["log10"].last().to_dict()["(ργ)ᵗ eigenvalue rule"] == \
        pytest.approx(40 * math.log10(1.2))
    eig = th.eigen_lines(rec.eig, 40)
    assert eig.groupby("line").size().eq(2).all() and np.isfinite(eig["log10"]).all()


# --- shared W versus a fresh W per layer ------------------------------------------------------------
@pytest.mark.parametrize("dim", [2, 5, 12])
def test_fresh_layers_do_the_random_walk_with_digamma_mean_and_trigamma_variance(dim):
    depth = 30
    ens = ld.shared_vs_fresh(dim, 1.0, depth, seed=dim, num_seeds=1500, method="matrices")
    assert ens.fresh_method == "matrices"
    x = ens.final_fresh * math.log(10)
    m, v = th.random_walk_step(dim)
    assert m < 0  # Var W = 1/n keeps E||g||^2 but the typical norm shrinks
    assert x.mean() == pytest.approx(depth * m, abs=4 * math.sqrt(depth * v / len(x)))
    assert x.var() == pytest.approx(depth * v, rel=0.15)


@pytest.mark.parametrize("dim,depth", [(3, 50), (512, 1000)])
def test_chi_square_shortcut_has_the_same_random_walk(dim, depth):
    ens = ld.shared_vs_fresh(dim, 1.1, depth, seed=2, num_seeds=2000, method="chi2")
    x = ens.final_fresh * math.log(10)
    m, v = th.random_walk_step(dim, 1.1)
    assert x.mean() == pytest.approx(depth * m, abs=4 * math.sqrt(depth * v / len(x)))
    assert x.var() == pytest.approx(depth * v, rel=0.15)


def test_shared_band_widens_like_t_and_fresh_band_like_sqrt_t():
    ens = ld.shared_vs_fresh(10, 1.0, 400, seed=5)
    b = ens.bands.assign(width=ens.bands["q90"] - ens.bands["q10"]).set_index(["ensemble", "step"])
    w = b["width"]
    shared = w[("shared W", 400)] / w[("shared W", 200)]
    fresh = w[("fresh W per layer", 400)] / w[("fresh W per layer", 200)]
    assert shared > 1.75 and 1.2 < fresh < 1.65
    assert w[("shared W", 400)] > 3 * w[("fresh W per layer", 400)]


def test_work_is_capped_at_the_largest_settings_and_the_sample_size_is_reported():
    ens = ld.shared_vs_fresh(512, 1.0, 1000, seed=0)
    assert ens.fresh_method == "chi2" and len(ens.final_fresh) == ld.NUM_SEEDS
    assert 4 <= len(ens.final_shared) < 10
    assert np.isfinite(ens.bands[["q10", "q50", "q90"]]).all().all()


# --- initialization ----------------------------------------------------------------------------------
def test_weight_variance_factors_of_the_schemes():
    assert th.weight_variance("lecun", 100, 300) == 1 / 100
    assert th.weight_variance("he", 100, 300) == 2 / 100
    assert th.weight_variance("glorot", 100, 300) == 2 / 400
    assert th.weight_variance("glorot", 64, 64) == th.weight_variance("lecun", 64, 64)


def test_mean_field_recursions_against_closed_forms():
    q, G = th.mean_field("relu", 1.0, 30)
    np.testing.assert_allclose(q, 2.0 ** -np.arange(30), rtol=1e-12)  # 2^-29 at layer 30
    assert G[0] == pytest.approx(2.0**-30, rel=1e-12) and G[-1] == 1
    q, G = th.mean_field("relu", 2.0, 30)
    np.testing.assert_allclose(q, 2.0, rtol=1e-12)
    np.testing.assert_allclose(G, 1.0, rtol=1e-12)
    q, G = th.mean_field("linear", 1.0, 30)
    np.testing.assert_allclose(q, 1.0, rtol=1e-12)
    # tanh: E tanh(z)^2 by brute-force integration, and a monotone decay of q
    z = np.linspace(-12, 12, 200001)
    pdf = np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    assert th.gauss_mean(lambda a: np.tanh(a) ** 2, 1.0) == pytest.approx(
        np.trapezoid(np.tanh(z) ** 2 * pdf, z), rel=1e-9)
    q, G = th.mean_field("tanh", 1.0, 200)
    assert (np.diff(q) < 0).all() and (np.diff(G) > 0).all() and q[-1] < 0.01


def test_measured_relu_layers_halve_per_layer_at_one_over_n_and_he_keeps_them():
    ini = ld.initialization_study(30, seed=3)
    assert ini.width == 64 and not ini.dead
    d = ini.data.set_index(["scheme", "direction", "layer"])["log10"].sort_index()
    lecun, he = th.SCHEMES[1].label, th.SCHEMES[2].label
    # same draws, and ReLU is positively homogeneous: the difference is exactly l log10 2
    fwd = d[(he, "forward")] - d[(lecun, "forward")]
    np.testing.assert_allclose(fwd.to_numpy(), fwd.index * math.log10(2), rtol=1e-9)
    bwd = d[(he, "backward")] - d[(lecun, "backward")]
    np.testing.assert_allclose(bwd.to_numpy(), (30 - bwd.index) * math.log10(2), atol=1e-9)
    # and the 1/n run itself is near the mean-field 2^-29 at layer 30 (a finite net wanders)
    assert d[(lecun, "forward", 30)] / math.log10(2) == pytest.approx(-29, abs=5)
    assert abs(d[(he, "forward", 30)] / math.log10(2) - 1) < 5


def test_gradient_reaching_the_input_per_scheme_against_mean_field():
    ini = ld.initialization_study(30, seed=3)
    g = {x.label: x for x in ld.gradient_to_input(ini, th.initialization_theory(ini.width, 30))}
    lin, lecun, he, tanh = (g[s.label] for s in th.SCHEMES)
    # mean field: linear 1/n and He keep the gradient variance, ReLU 1/n halves it per layer
    assert lin.theory == he.theory == 0.0
    assert lecun.theory == pytest.approx(-30 * math.log10(2), rel=1e-12)
    assert -30 * math.log10(2) < tanh.theory < 0
    # measured on the same draws: He over ReLU 1/n is exactly 2^30 (ReLU is homogeneous)
    assert he.measured - lecun.measured == pytest.approx(30 * math.log10(2), rel=1e-9)
    assert lecun.measured == pytest.approx(lecun.theory, abs=5 * math.log10(2))
    d = ld.initialization_study(300, seed=1, width=2)
    dead = {x.label: x.measured for x in ld.gradient_to_input(d, th.initialization_theory(2, 300))}
    assert dead[th.SCHEMES[1].label] == -math.inf and math.isfinite(dead[th.SCHEMES[0].label])


def test_init_study_caps_width_and_handles_a_dead_relu_network():
    ini = ld.initialization_study(1000, seed=0)
    assert ini.width == 44 and ld.initialization_study(50, seed=0).width == 64
    ini = ld.initialization_study(300, seed=1, width=2)
    assert ini.dead  # two ReLUs, a batch of 32: some layer turns every unit off
    lin = ini.data.query("scheme == 'linear · 1/n'")
    assert np.isfinite(lin["log10"]).all()


# --- extremes, warnings, pickling -----------------------------------------------------------------
@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("kind", lt.KINDS)
@pytest.mark.parametrize("activation", lt.ACTIVATIONS)
@pytest.mark.parametrize("dim,rho", [(2, 0.5), (512, 1.5)])
def test_extremes_stay_finite_without_warnings(kind, activation, dim, rho):
    depth = 1000 if dim == 2 else 300
    rec = lt.recurrent_products(kind, dim, rho, depth, activation, seed=7)
    assert np.isfinite(rec.path[["log10_linear", "log10_nonlinear"]]).all().all()
    assert rec.path["log10_linear"].abs().max() < 5000


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_depth_studies_at_extremes_without_warnings():
    for dim, depth in ((2, 1000), (512, 1), (512, 1000)):
        ens = ld.shared_vs_fresh(dim, 1.5, depth, seed=1)
        assert np.isfinite(ens.bands[["q10", "q50", "q90"]]).all().all()
        ld.initialization_study(depth, seed=1)
    ld.initialization_study(1000, seed=1, width=2)
    th.initialization_theory(64, 1000)


def test_results_pickle_for_the_cache():
    for obj in (lt.recurrent_products("nonnormal", 6, 0.9, 20, "tanh", 0),
                ld.shared_vs_fresh(6, 1.0, 20, 0), ld.initialization_study(20, 0)):
        assert pickle.loads(pickle.dumps(obj)) is not None


@pytest.mark.parametrize("x,s", [(0.0, "1"), (math.log10(11.467), "11.47"), (400.5, "3.16e+400"),
                                 (-300.0, "1.00e-300"), (-math.inf, "0"), (math.inf, "∞"),
                                 (5.0, "1.00e+05"), (-3.5, "3.16e-04"), (7.99999, "1.00e+08")])
def test_sci10_prints_numbers_given_by_their_log(x, s):
    assert sci10(x) == s


# --- the page: four parts (tabs), only the open one computed ---------------------------------------
PAGE = BY_ID["long_term"]
# each part's headline labels (prefixes) and chart names (the export buttons' keys)
PART_METRICS = {
    "power": ("Spectral radius", "Largest singular value", "Gradient norm ratio after depth (shared W)"),
    "nonlinear": ("Gradient norm ratio after depth (through ", "Bound rate σ₁γ", "Eigenvalue-rule rate ργ"),
    "fresh": ("Gradient norm ratio after depth (fresh W per layer)",
              "Gradient norm ratio after depth (shared random W)"),
    "init": ("∂L/∂h₀ variance, ",),
}
PART_CHARTS = {
    "power": {"norm_over_steps", "eigenvalues", "alignment", "step_factor"},
    "nonlinear": {"nonlinear_norm", "nonlinear_step_factor"},
    "fresh": {"shared_vs_fresh", "seed_paths"},
    "init": {"init_forward", "init_backward"},
}
# the core entry point(s) each part calls
PART_CALLS = {"power": {"recurrent_products"}, "nonlinear": {"recurrent_products"},
              "fresh": {"shared_vs_fresh"}, "init": {"initialization_study", "initialization_theory"}}


def _charts(at) -> set[str]:
    return {b.key.removeprefix("export-") for b in at.get("download_button") if b.key.startswith("export-")}


def _values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_parts_and_their_knobs_match_the_table():
    assert [p.id for p in PAGE.parts] == list(PART_METRICS)
    own = {k.name for k in PAGE.knobs}
    for p in PAGE.parts:
        assert set(p.knobs) <= own
    assert PAGE.part("power").knobs == ("rho", "matrix")
    assert "activation" in PAGE.part("nonlinear").knobs and PAGE.part("init").knobs == ()


@pytest.mark.parametrize("part", [p.id for p in PAGE.parts])
def test_each_part_renders_alone_with_its_own_metrics_and_finite_charts(part, monkeypatch):
    calls = spy_core_calls(monkeypatch, ((lt, "recurrent_products"), (ld, "shared_vs_fresh"),
                                        (ld, "initialization_study"), (th, "initialization_theory")))
    at = open_page(PAGE, {"part": part, "matrix": "symmetric"})
    assert not at.exception, at.exception
    assert at.query_params["part"] == part
    assert assert_charts_finite(at) >= 1
    labels = [m.label for m in at.metric]
    for prefix in PART_METRICS[part]:
        assert any(lab.startswith(prefix) for lab in labels), prefix
    assert _charts(at) == PART_CHARTS[part]
    # nothing of the other parts: not their numbers, not their charts, not their computations
    for other, prefixes in PART_METRICS.items():
        if other != part:
            assert not any(lab.startswith(p) for lab in labels for p in prefixes), other
            assert not _charts(at) & PART_CHARTS[other], other
    assert set(calls) == PART_CALLS[part]
    # the row under the title draws exactly this part's own knobs
    drawn = {w.key for w in list(at.radio) + list(at.slider)} & {k.name for k in PAGE.knobs}
    assert drawn == set(PAGE.part(part).knobs)


@pytest.mark.parametrize("part", [p.id for p in PAGE.parts])
@pytest.mark.parametrize("params", [
    {"dim": "2", "depth": "1", "rho": "0.5", "matrix": "orthogonal", "activation": "linear"},
    {"dim": "512", "depth": "1000", "rho": "1.5", "matrix": "nonnormal", "activation": "sigmoid"}],
    ids=["all-min", "all-max"])
def test_each_part_at_the_extremes(part, params):
    at = open_page(PAGE, {"part": part, **params})
    assert not at.exception, at.exception
    assert assert_charts_finite(at) >= 1 and len(at.metric) >= 1


def test_power_part_metrics_rho_to_the_depth():
    at = open_page(PAGE)  # the default part
    assert at.query_params["part"] == "power"
    value = _values(at)
    assert value["Gradient norm ratio after depth (shared W)"] == f"{1.05**50:.4g}"
    assert value["Spectral radius"] == "1.05" and value["Largest singular value"] == "1.05"
    at.slider(key="rho").set_value(0.9).run()
    value = _values(at)
    assert value["Gradient norm ratio after depth (shared W)"] == f"{0.9**50:.4g}"
    assert value["Spectral radius"] == "0.9"
    # the nonlinearity is part 2's: part 1's numbers do not depend on it
    at = open_page(PAGE, {"part": "power", "rho": "0.9", "activation": "sigmoid"})
    assert _values(at)["Gradient norm ratio after depth (shared W)"] == f"{0.9**50:.4g}"


def test_nonlinear_part_loads_the_counterexample_it_names():
    at = open_page(PAGE, {"part": "nonlinear"})
    assert any("Load the counterexample" in str(m.value) for m in at.markdown)
    # load the counterexample the part names: non-normal, tanh, rho 0.5, n 50
    at.radio(key="matrix").set_value("nonnormal").run()
    at.radio(key="activation").set_value("tanh").run()
    at.slider(key="rho").set_value(0.5).run()
    at.select_slider(key="dim").set_value(50).run()
    assert not at.exception
    assert any("eigenvalue rule fails" in str(w.value) for w in at.warning)
    value = _values(at)
    assert value["Eigenvalue-rule rate ργ"] == "0.5"  # rho = 0.5, gamma = 1
    assert float(value["Bound rate σ₁γ"]) > 2
    assert float(value["Gradient norm ratio after depth (through tanh)"]) > 1
    # the same W in part 1: spectral radius 0.5, largest singular value above 2
    at = open_page(PAGE, {"part": "power", "matrix": "nonnormal", "rho": "0.5", "dim": "50"})
    value = _values(at)
    assert value["Spectral radius"] == "0.5"
    assert float(value["Largest singular value"]) > 2


def test_fresh_part_metrics_are_the_ensemble_medians():
    at = open_page(PAGE, {"part": "fresh", "rho": "1.05", "dim": "10", "depth": "50", "seed": "0"})
    ens = ld.shared_vs_fresh(10, 1.05, 50, 0)
    value = _values(at)
    assert value["Gradient norm ratio after depth (fresh W per layer)"] == sci10(np.median(ens.final_fresh))
    assert value["Gradient norm ratio after depth (shared random W)"] == sci10(np.median(ens.final_shared))
    # fresh layers at rho = 1.05 stay near 1 (a random walk), the shared W grows
    assert float(value["Gradient norm ratio after depth (fresh W per layer)"]) < 2
    assert float(value["Gradient norm ratio after depth (shared random W)"]) > 1.05**50 / 2


def test_init_part_metrics_relu_one_over_n_halves_per_layer_and_he_keeps_it():
    at = open_page(PAGE, {"part": "init", "depth": "30", "seed": "3"})
    value = _values(at)
    lecun, he = float(value["∂L/∂h₀ variance, ReLU · 1/n"]), float(value["∂L/∂h₀ variance, ReLU · 2/n"])
    assert he / lecun == pytest.approx(2.0**30, rel=1e-2)  # same draws: 2^depth (3 digits shown)
    assert math.log2(lecun) == pytest.approx(-30, abs=5)
