"""Random Hessians (book 8.2.3): the GOE against the semicircle and P(all eigenvalues positive),
plus the saddle-point page's part that shows them."""

import math

import numpy as np
import pytest

from core import random_hessians as RH
from tests.pagetest import assert_charts_finite, open_page
from ui.pages import BY_ID


def _quad(f, a=-2.0, b=2.0, n=200001):
    x = np.linspace(a, b, n)
    y = f(x)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


@pytest.mark.parametrize("p", range(0, 9))
def test_semicircle_moments_are_catalan_numbers(p):
    expected = {0: 1, 2: 1, 4: 2, 6: 5, 8: 14}.get(p, 0)
    assert RH.semicircle_moment(p) == expected
    assert _quad(lambda x: x**p * RH.semicircle_density(x)) == pytest.approx(expected, rel=1e-6,
                                                                             abs=1e-6)


def test_semicircle_cdf_is_the_integral_of_the_density_with_edges_at_plus_minus_two():
    assert RH.semicircle_cdf(-2.0) == 0.0 and RH.semicircle_cdf(2.0) == pytest.approx(1.0)
    assert RH.semicircle_cdf(0.0) == pytest.approx(0.5) and RH.semicircle_cdf(-5.0) == 0.0
    assert RH.semicircle_density(2.0) == 0.0 and RH.semicircle_density(2.5) == 0.0
    for x in (-1.5, -0.3, 0.7, 1.9):
        assert RH.semicircle_cdf(x) == pytest.approx(_quad(RH.semicircle_density, -2.0, x), abs=1e-6)


def test_goe_has_twice_the_variance_on_the_diagonal():
    H = RH.goe(6, 20000, np.random.default_rng(3))
    np.testing.assert_array_equal(H, np.swapaxes(H, 1, 2))
    assert H[:, 0, 0].var() * 6 == pytest.approx(2.0, rel=0.03)
    assert H[:, 0, 1].var() * 6 == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("n,seed", [(200, 1), (512, 2)])
def test_large_goe_spectrum_matches_the_semicircle(n, seed):
    spec = RH.spectrum(n, seed)
    lam = spec.eigenvalues
    assert np.mean(lam**2) == pytest.approx(1.0, abs=0.03)
    assert np.mean(lam**4) == pytest.approx(2.0, abs=0.1)
    assert lam.max() == pytest.approx(2.0, abs=0.15) and lam.min() == pytest.approx(-2.0, abs=0.15)
    assert spec.fraction_negative == pytest.approx(0.5, abs=0.03)
    idx = spec.index
    assert np.abs(idx["measured"] - idx["theory"]).max() < 0.04
    # the histogram is a density and stays close to the semicircle in the bulk
    h = spec.histogram
    assert np.sum(h["density"] * (h["hi"] - h["lo"])) == pytest.approx(1.0)
    mid = h[(h["lo"] > -1.5) & (h["hi"] < 1.5)]
    centre = (mid["lo"] + mid["hi"]) / 2
    assert np.abs(mid["density"] - RH.semicircle_density(centre)).max() < 0.08


def test_index_grows_with_cost_low_cost_points_are_minima_high_cost_ones_maxima():
    idx = RH.spectrum(100, 4).index
    assert (np.diff(idx["measured"]) >= 0).all()
    assert idx.loc[idx["level"] <= -2.3, "measured"].max() == 0.0
    assert idx.loc[idx["level"] >= 2.3, "measured"].min() == 1.0


def test_p_all_positive_closed_forms_for_n_1_and_2():
    assert RH.p_all_positive_exact(1) == 0.5
    assert RH.p_all_positive_exact(2) == pytest.approx(0.1464466, abs=1e-7)
    pos = RH.p_all_positive(4, 400_000, seed=5)
    for n in (1, 2):
        row = pos.iloc[n - 1]
        se = math.sqrt(row["exact"] * (1 - row["exact"]) / row["samples"])
        assert abs(row["p"] - row["exact"]) < 4 * se


@pytest.mark.parametrize("n", [2, 3, 4])
def test_growing_cholesky_agrees_with_dense_eigenvalues(n):
    # independent oracle: the smallest eigenvalue of dense GOE matrices, other seed
    M = 200_000
    lam_min = np.linalg.eigvalsh(RH.goe(n, M, np.random.default_rng(100 + n)))[:, 0]
    p_dense = float(np.mean(lam_min > 0))
    p = float(RH.p_all_positive(n, M, seed=200 + n)["p"].iloc[-1])
    se = math.sqrt(p_dense * (1 - p_dense) / M) * math.sqrt(2)
    assert abs(p - p_dense) < 4 * se


def test_minima_are_far_rarer_than_the_coin_flip_heuristic():
    pos = RH.p_all_positive(6, 1_000_000, seed=6)
    assert (np.diff(pos["p"]) < 0).all()
    five = pos.iloc[4]
    assert five["hi"] < five["coin"] / 50  # 2^-5 = 0.031 against about 1.3e-4
    # the decay speeds up: log-ratios between successive n grow, as for exp(-c n^2)
    logp = np.log(pos["p"].iloc[:5].to_numpy())
    assert (np.diff(np.diff(logp)) < 0).all()
    np.testing.assert_allclose(pos["rate"], np.exp(-math.log(3) / 4 * pos["n"] ** 2))
    np.testing.assert_allclose(pos["coin"], 2.0 ** -pos["n"])
    np.testing.assert_allclose(10 ** RH.p_all_positive_rate_log10(pos["n"]), pos["rate"])
    np.testing.assert_allclose(10 ** RH.coin_flip_log10(pos["n"]), pos["coin"])
    assert RH.p_all_positive_rate_log10(512) == pytest.approx(-512**2 * math.log10(3) / 4)


# --- the page's part 3 ('hessians' tab) -------------------------------------------------------------
def test_page_part_3_shows_the_measured_fraction_and_p_all_positive_and_follows_n():
    page = BY_ID["saddle_points"]
    at = open_page(page, {"part": "hessians"})
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["Fraction of negative eigenvalues"] == f"{RH.spectrum(10, 0).fraction_negative:.3f}"
    pos = RH.p_all_positive(RH.P_NMAX, RH.P_SAMPLES, seed=0)
    last = pos[pos["hits"] > 0].iloc[-1]
    assert m[f"P(all eigenvalues positive), n = {int(last['n'])}"] == f"{last['p']:.1e}"
    closed = " ".join(x.value for x in at.markdown if "Closed forms" in x.value)
    assert f"{RH.p_all_positive_exact(2):.4f}" in closed and f"{pos['p'].iloc[1]:.4f}" in closed
    assert assert_charts_finite(at) == 3
    at.select_slider(key="dim").set_value(100).run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    frac = RH.spectrum(100, 0).fraction_negative
    assert m["Fraction of negative eigenvalues"] == f"{frac:.3f}" and abs(frac - 0.5) < 0.03
    assert "n = 100" in at.subheader[0].value and at.query_params["part"] == "hessians"
