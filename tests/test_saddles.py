"""Saddle points (book 8.2.3, Fig 4.5) against closed forms, plus the page through AppTest."""

import math

import numpy as np
import pytest

from core import optim
from core import saddle_surfaces as SS
from core import saddles as S
from core.surfaces import finite_difference_grad
from tests.pagetest import assert_charts_finite, open_page
from ui import knobs as K
from ui.pages import BY_ID


# --- surfaces ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SS.SURFACES)
def test_gradient_and_hessian_match_finite_differences(name):
    s = SS.saddle_spec(name).surface
    for p in np.random.default_rng(11).uniform(-3, 3, (6, 2)):
        g = finite_difference_grad(s.value, p, h=1e-5)
        np.testing.assert_allclose(s.grad(p), g, rtol=1e-6, atol=1e-6)
        H = np.stack([(s.grad(p + e) - s.grad(p - e)) / 2e-5 for e in np.eye(2) * 1e-5], 1)
        np.testing.assert_allclose(s.hessian(p), H, rtol=1e-6, atol=1e-5)


def test_surfaces_broadcast_over_a_grid():
    grid = np.random.default_rng(2).normal(size=(4, 5, 2))
    for s in (SS.monkey_saddle(), SS.himmelblau()):
        assert s.value(grid).shape == (4, 5)
        assert s.grad(grid).shape == (4, 5, 2) and s.hessian(grid).shape == (4, 5, 2, 2)
        np.testing.assert_allclose(s.value(grid)[1, 2], s.value(grid[1, 2]))


@pytest.mark.parametrize("name,lam", [("x2-y2", (-2, 2)), ("5x2-y2", (-2, 10)), ("monkey", (0, 0))])
def test_saddles_are_critical_points_with_the_stated_hessian(name, lam):
    sp = SS.saddle_spec(name)
    np.testing.assert_array_equal(sp.surface.grad(sp.point), 0.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(sp.surface.hessian(sp.point)), lam)
    np.testing.assert_allclose(sp.lam, lam)


def test_himmelblau_has_four_minima_four_saddles_one_maximum():
    s = SS.himmelblau()
    pts = SS.himmelblau_critical_points()
    assert len({tuple(np.round(p, 6)) for _, p in pts}) == 9
    for kind, p in pts:
        assert np.linalg.norm(s.grad(p)) < 1e-10
        lam = np.linalg.eigvalsh(s.hessian(p))
        signs = {"minimum": (1, 1), "saddle": (-1, 1), "maximum": (-1, -1)}[kind]
        assert tuple(np.sign(lam)) == signs
        if kind == "minimum":
            assert s.value(p) < 1e-20
    np.testing.assert_allclose(SS.critical_point(s, (2.9, 2.1)), (3.0, 2.0), atol=1e-12)


def test_map_draws_both_eigen_directions_except_where_the_hessian_vanishes():
    assert len(SS.surface_map("x2-y2").directions) == 2
    assert SS.surface_map("monkey").directions.empty
    m = SS.surface_map("himmelblau", cells=20)
    assert len(m.grid) == 400 and len(m.landmarks) == 9 and np.isfinite(m.grid["cost"]).all()


# --- the escape-time law on x^2 - y^2 --------------------------------------------------------------
@pytest.mark.parametrize("y0,lr", [(1e-6, 0.15), (1e-12, 0.1), (1e-9, 0.15), (1e-4, 0.5),
                                   (2e-8, 0.05), (5e-11, 0.3), (1e-6, 0.9)])
def test_gd_escapes_x2_minus_y2_at_the_book_law_to_the_step(y0, lr):
    law = math.ceil(math.log(1 / y0) / math.log(1 + 2 * lr))
    run = S.three_methods("x2-y2", y0, lr, 1000)
    assert run.escape_step == law == run.law
    gd = run.path[run.path["method"] == "gradient descent"].set_index("step")
    # the plateau: the cost stays within 1 of the saddle's until that step
    assert (gd.loc[: law - 1, "gap"] > -1).all() and gd.loc[law, "gap"] <= -1


@pytest.mark.parametrize("surface,lam_pos", [("x2-y2", 2.0), ("5x2-y2", 10.0)])
@pytest.mark.parametrize("lr", [0.003, 0.05, 0.15, 0.18])
@pytest.mark.parametrize("y0", [1e-12, 1e-7, 1e-3, 0.05])
def test_gd_escape_step_equals_the_closed_form_of_u_k_and_v_k(surface, lam_pos, lr, y0):
    run = S.three_methods(surface, y0, lr, 1000)
    exact = S.escape_step_exact(lam_pos, -2.0, 1.0, y0, lr, 1000)
    assert run.escape_step == exact
    law = math.ceil(math.log(1 / y0) / math.log(1 + 2 * lr))
    if exact is not None:  # the law ignores the stable coordinate: never late, rarely early
        assert law <= exact <= law + 2


def test_closer_to_the_stable_manifold_means_a_longer_plateau():
    steps = [S.three_methods("x2-y2", y0, 0.15, 1000).escape_step for y0 in (1e-2, 1e-5, 1e-8, 1e-11)]
    gaps = np.diff(steps)
    assert (gaps > 0).all()  # each 1000x closer adds 3 ln 10 / ln 1.3 = 26.3 steps
    assert np.all(np.abs(gaps - 3 * S.steps_per_decade(0.15)) <= 1)


def test_gd_diverges_along_the_stable_direction_when_it_grows_faster_than_the_escape():
    # x grows by |1 - 10 eps| = 2 and y by 1 + 2 eps = 1.6: the cost climbs to +infinity
    run = S.three_methods("5x2-y2", 1e-6, 0.3, 200)
    o = run.outcomes["gradient descent"]
    assert o.state == "diverged" and "2/λmax = 0.2" in o.reason and o.step is not None
    assert run.path.query("method == 'gradient descent'")["gap"].iloc[-1] > 1e6
    # below 2/lambda+ = 0.2 the x direction is stable and the run leaves downhill along y
    assert S.three_methods("5x2-y2", 1e-6, 0.19, 200).outcomes["gradient descent"].state == "left"


# --- Newton and saddle-free Newton -------------------------------------------------------------------
@pytest.mark.parametrize("surface", ["x2-y2", "5x2-y2"])
def test_newton_lands_on_a_quadratic_saddle_in_one_step(surface):
    sp = SS.saddle_spec(surface)
    tr = S.transforms(0.15)["Newton"]
    for x0 in np.random.default_rng(5).normal(scale=3, size=(5, 2)):
        r = optim.run(sp.surface, x0, tr, 1)
        assert np.linalg.norm(r.x[1] - sp.point) <= 1e-14 * np.linalg.norm(x0)
    assert S.three_methods(surface, 1e-6, 0.15, 50).newton_distance == 0.0


def test_saddle_free_newton_maps_x_y_to_0_2y_on_5x2_minus_y2():
    sp = SS.saddle_spec("5x2-y2")
    tr = S.transforms(0.15)["saddle-free Newton"]
    for x, y in np.random.default_rng(6).normal(size=(5, 2)):
        r = optim.run(sp.surface, (x, y), tr, 3)
        np.testing.assert_allclose(r.x[1:], [[0, 2 * y], [0, 4 * y], [0, 8 * y]], atol=1e-15)


def test_newton_halves_the_distance_to_the_monkey_saddle_every_step():
    run = S.three_methods("monkey", 1e-3, 0.15, 30)
    d = run.path[run.path["method"] == "Newton"]["dist"].to_numpy()
    np.testing.assert_allclose(d[1:] / d[:-1], 0.5, rtol=1e-12)


def test_gd_creeps_to_the_monkey_saddle_like_a_power_law():
    # along the stable ray x_{k+1} = x_k - 3 eps x_k^2, so 1/x_{k+1} = 1/x_k + 3 eps + 9 eps^2 x_k
    # + ...: 1/x_k ~ 1 + 3 eps k + 3 eps ln(1 + 3 eps k), a 1/k decay with no geometric rate
    lr = 0.15
    run = S.three_methods("monkey", 1e-12, lr, 400)
    d = run.path[run.path["method"] == "gradient descent"].set_index("step")["dist"]
    for k in (50, 100, 200, 400):
        t = 3 * lr * k
        assert 1 / d[k] == pytest.approx(1 + t + 3 * lr * np.log1p(t), rel=0.01)
    assert 0.5 < d[400] / d[200] < d[100] / d[50] < 0.56  # doubling k halves d: a power law
    assert run.escape_step is None


def test_on_himmelblau_gd_escapes_to_a_minimum_newton_stays_and_sfn_escapes():
    run = S.three_methods("himmelblau", 1e-6, 0.1, 300)
    last = run.path.groupby("method").tail(1).set_index("method")
    assert run.escape_step is not None
    np.testing.assert_allclose(last.loc["gradient descent", ["x", "y"]], (3.584428, -1.848126),
                               atol=1e-5)
    assert run.newton_distance < 1e-10
    assert last.loc["saddle-free Newton", "gap"] < -1


def test_runs_that_fly_off_downhill_are_not_called_divergence():
    run = S.three_methods("x2-y2", 1e-6, 0.15, 1000)
    assert run.outcomes["gradient descent"].state == "left"
    assert run.outcomes["saddle-free Newton"].state == "left"
    assert np.isfinite(run.path[["x", "y", "cost"]].to_numpy()).all()


# --- n dimensions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dim,k,seed", [(2, 1, 0), (10, 1, 1), (64, 5, 2), (512, 511, 3)])
def test_high_dim_escape_steps_equal_the_closed_form_for_each_run(dim, k, seed):
    hd = S.high_dim_escape(dim, k, 1e-6, 0.15, 400, seed, repeats=3)
    for r in hd.runs.itertuples():
        exact = S.escape_step_exact(2.0, -2.0, r.u0, r.v0, 0.15, 400)
        assert (np.isnan(r.steps) and exact is None) or r.steps == exact
        # the offset's share along the k escape directions is at most the whole offset
        assert r.v0 <= r.offset * (1 + 1e-12) and r.steps >= r.law


def test_fewer_escape_directions_mean_a_longer_plateau():
    hd = S.high_dim_escape(256, 1, 1e-6, 0.15, 400, seed=7, repeats=16)
    by_k = hd.runs[hd.runs["sweep"] == "k"].groupby("k")["steps"].mean()
    assert by_k.iloc[0] > by_k.iloc[-1] + 5
    assert by_k.index[-1] == 255  # k is at most n - 1


def test_k_is_clamped_to_n_minus_one():
    assert S.high_dim_escape(4, 512, 1e-6, 0.15, 100, 0).k == 3


# --- the page, one part (tab) at a time ------------------------------------------------------------
PAGE = BY_ID["saddle_points"]
# each part's headline labels (prefixes) and chart names (the keys of their export buttons)
PART_METRICS = {
    "saddle": ("GD steps to escape", "Newton distance to saddle"),
    "dimensions": ("Extra steps per 10× closer", "Mean escape steps, k = "),
    "hessians": ("Fraction of negative eigenvalues", "P(all eigenvalues positive), n = "),
    "plateaus": ("Critical ε = 1/s_max", "Plateau of the s = ", "Final loss"),
}
PART_CHARTS = {
    "saddle": {"saddle_paths", "saddle_cost"},
    "dimensions": {"escape_vs_offset", "escape_vs_k"},
    "hessians": {"goe_spectrum", "index_vs_cost", "p_all_positive"},
    "plateaus": {"linear_network_modes", "plateau_length"},
}


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _charts(at):
    return {b.key.removeprefix("export-") for b in at.get("download_button")
            if b.key.startswith("export-")}


def test_parts_are_the_four_sections_in_order():
    assert [p.id for p in PAGE.parts] == list(PART_METRICS) == list(PART_CHARTS)


@pytest.mark.parametrize("part", list(PART_METRICS))
def test_each_part_draws_its_own_numbers_and_charts_and_nothing_of_the_others(part):
    at = open_page(PAGE, {"part": part})
    assert not at.exception, at.exception
    labels = list(_metrics(at))
    assert len(labels) >= 1
    for prefix in PART_METRICS[part]:
        assert any(lbl.startswith(prefix) for lbl in labels), prefix
    for other, prefixes in PART_METRICS.items():
        if other != part:
            assert not any(lbl.startswith(p) for p in prefixes for lbl in labels), other
    assert assert_charts_finite(at) == len(PART_CHARTS[part]) >= 1
    assert _charts(at) == PART_CHARTS[part]  # no chart of another part was drawn
    assert at.query_params["part"] == part


def test_part_1_shows_the_metrics_and_reacts_to_the_offset_as_the_law_says():
    at = open_page(PAGE, {"part": "saddle"})
    assert not at.exception
    before = _metrics(at)
    assert before["GD steps to escape"] == "53" and before["Newton distance to saddle"] == "0"
    at.select_slider(key="offset").set_value(1e-9).run()
    assert not at.exception
    assert _metrics(at)["GD steps to escape"] == str(math.ceil(math.log(1e9) / math.log(1.3)))
    at.radio(key="surface").set_value("5x2-y2").run()
    at.select_slider(key="lr").set_value(0.5).run()
    assert not at.exception
    assert any("diverged" in w.value and "step" in w.value for w in at.warning)
    assert at.query_params["part"] == "saddle"


def _mean_escape(hd, k):
    runs = hd.runs[(hd.runs["sweep"] == "k") & (hd.runs["k"] == k)]
    return f"{runs['steps'].mean():.1f}"


def test_part_2_means_match_the_core_and_fewer_escape_directions_take_longer():
    at = open_page(PAGE, {"part": "dimensions"})
    assert not at.exception
    m = _metrics(at)
    assert m["Extra steps per 10× closer"] == f"{S.steps_per_decade(0.15):.1f}" == "8.8"
    hd = S.high_dim_escape(10, 1, 1e-6, 0.15, 200, 0)
    assert hd.runs["steps"].notna().all()
    assert m["Mean escape steps, k = 1"] == _mean_escape(hd, 1)
    assert m["Mean escape steps, k = 9"] == _mean_escape(hd, 9)
    assert float(m["Mean escape steps, k = 1"]) > float(m["Mean escape steps, k = 9"]) + 3
    at.slider(key="negative").set_value(5).run()
    assert not at.exception
    assert "k = 5 escape directions" in at.subheader[0].value


def test_part_2_clamps_k_to_n_minus_one_and_counts_runs_that_never_escape():
    at = open_page(PAGE, {"part": "dimensions", "dim": "2", "negative": "5"})
    assert not at.exception
    assert "n = 2 dimensions with k = 1" in at.subheader[0].value
    assert [lbl for lbl in _metrics(at) if lbl.startswith("Mean escape")] == ["Mean escape steps, k = 1"]
    # 10 steps are too few for the smallest offsets: those runs are not counted as escaped
    knobs = {k.name: k for k in PAGE.knobs}
    at = open_page(PAGE, {"part": "dimensions", "offset": K.encode(knobs["offset"], 1e-12),
                          "steps": K.encode(knobs["steps"], 10)})
    assert not at.exception
    assert _metrics(at)["Mean escape steps, k = 1"] == "> 10"
    assert any("did not escape within 10 steps" in c.value for c in at.caption)
