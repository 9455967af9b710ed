"""Plateaus in a deep linear network (Saxe et al. 2013; book 8.2.3) against the closed forms,
plus the saddle-point page's part that shows them."""

import numpy as np
import pytest

from core import plateaus as PL
from tests.pagetest import assert_charts_finite, open_page
from ui.pages import BY_ID


@pytest.mark.parametrize("s,u0", [(1.0, 1e-3), (0.5, 1e-6), (3.0, 0.1)])
def test_saxe_sigmoid_solves_its_ode_and_starts_at_u0(s, u0):
    lr = 0.01
    t = np.linspace(0, 3000, 301)
    u = PL.mode_strength(t, s, u0, lr, discrete=False)
    assert u[0] == pytest.approx(u0)
    h = 1e-3
    du = (PL.mode_strength(t + h, s, u0, lr, False) - PL.mode_strength(t - h, s, u0, lr, False)) / (2 * h)
    np.testing.assert_allclose(du, 2 * lr * u * (s - u), rtol=1e-5, atol=1e-12)
    assert PL.mode_strength(1e6, s, u0, lr) == pytest.approx(s)


def test_plateau_time_is_where_the_sigmoid_reaches_half():
    for s, u0 in ((2.0, 1e-4), (0.3, 1e-2)):
        t = PL.plateau_time(s, u0, 0.05)
        assert PL.mode_strength(t, s, u0, 0.05) == pytest.approx(s / 2)


@pytest.mark.parametrize("lr", [0.003, 0.01])
def test_gradient_descent_plateau_matches_saxe_within_a_few_percent(lr):
    sw = PL.plateau_sweep(lr, 20000)
    assert sw["measured"].notna().all()
    ratio = sw["measured"] / sw["flow"]
    assert ((ratio > 0.98) & (ratio < 1.03)).all()  # Saxe's continuous-time formula


def test_the_discrete_growth_rate_fixes_large_steps():
    sw = PL.plateau_sweep(0.15, 1000)
    ok = sw["measured"].notna()
    ratio = sw.loc[ok, "measured"] / sw.loc[ok, "theory"]
    assert ok.all() and ((ratio > 0.9) & (ratio < 1.1)).all()
    flow = sw.loc[ok, "measured"] / sw.loc[ok, "flow"]
    assert flow.max() > 1.2  # the gradient-flow formula is visibly late at eps s = 0.6


def test_halving_s_doubles_the_plateau_and_a_smaller_start_adds_a_constant():
    sw = PL.plateau_sweep(0.003, 40000, strengths=(0.25, 0.5, 1.0, 2.0), inits=(1e-6, 1e-8))
    for _, g in sw.groupby("u0"):
        t = g.sort_values("s")["measured"].to_numpy()
        np.testing.assert_allclose(t[:-1] / t[1:], 2.0, rtol=0.08)
    a, b = (sw[sw["u0"] == u]["measured"].to_numpy() for u in (1e-6, 1e-8))
    # 100x smaller start: (tau/2s) ln 100 more steps
    np.testing.assert_allclose(b - a, np.log(100) / (2 * 0.003 * np.array([0.25, 0.5, 1, 2])),
                               rtol=0.05)


def test_network_modes_follow_the_sigmoid_and_are_learned_in_order_of_strength():
    net = PL.train_network(0.01, 1200, seed=3, strengths=(2.0, 1.0, 0.5), u0=1e-3)
    assert net.diverged_at is None
    c = net.curves
    halves = {}
    for s, g in c.groupby("s"):
        halves[s] = int(g.loc[g["measured"] >= s / 2, "step"].min())
        assert halves[s] == pytest.approx(PL.plateau_time(s, 1e-3, 0.01, discrete=False), rel=0.03)
        assert abs(g["measured"] - g["theory"]).max() < 0.03 * s
    assert halves[2.0] < halves[1.0] < halves[0.5]
    assert net.loss["loss"].iloc[-1] < 1e-6 * net.loss["loss"].iloc[0]


def test_network_settles_below_one_over_s_max_oscillates_above_and_diverges_far_above():
    crit = PL.critical_learning_rate((2.0, 1.0))
    assert crit == 0.5
    below = PL.train_network(crit * 0.9, 400, seed=1, strengths=(2.0, 1.0))
    above = PL.train_network(crit * 1.1, 400, seed=1, strengths=(2.0, 1.0))
    far = PL.train_network(crit * 2.0, 400, seed=1, strengths=(2.0, 1.0))
    assert below.diverged_at is None and below.loss["loss"].iloc[-1] < 1e-8
    # just above: a bounded period-2 cycle of the strong mode, never settling
    assert above.diverged_at is None
    tail = above.loss["loss"].iloc[-10:].to_numpy()
    assert tail.min() > 0.05 and np.allclose(tail[2:], tail[:-2])
    assert far.diverged_at is not None
    assert np.isfinite(far.curves[["measured", "theory"]].to_numpy()).all()


def test_sweep_leaves_out_unstable_runs():
    sw = PL.plateau_sweep(0.5, 500)
    assert sw.loc[sw["s"] * 0.5 >= 1, "measured"].isna().all()
    assert sw.loc[sw["s"] * 0.5 < 0.9, "measured"].notna().all()


# --- the page's part 4 ('plateaus' tab) ------------------------------------------------------------
def test_page_part_4_plateaus_match_the_law_and_large_steps_are_flagged():
    at = open_page(BY_ID["saddle_points"], {"part": "plateaus"})
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["Critical ε = 1/s_max"] == "0.5"
    curves = PL.train_network(0.15, 200, 0).curves
    for s in (max(PL.STRENGTHS), min(PL.STRENGTHS)):
        g = curves[curves["s"] == s]
        first = int(g.loc[g["measured"] >= s / 2, "step"].iloc[0])
        assert m[f"Plateau of the s = {s:g} mode"] == str(first)
        assert abs(first - PL.plateau_time(s, PL.INIT, 0.15)) <= 1  # the discrete law, to the step
    assert int(m["Plateau of the s = 0.25 mode"]) > 4 * int(m["Plateau of the s = 2 mode"])
    assert assert_charts_finite(at) == 2
    assert not at.warning and not at.info
    at.select_slider(key="lr").set_value(0.6).run()  # above 1/s_max: the strong mode oscillates
    assert not at.exception and not at.warning
    assert any("oscillates" in x.value for x in at.info)
    at.select_slider(key="lr").set_value(2.0).run()  # far above: the weights blow up
    assert not at.exception
    assert any("diverged at step" in x.value for x in at.warning)
    assert assert_charts_finite(at) == 2
