"""Local minima (book 8.2.2): weight-space symmetry, its barriers, symmetry breaking, restarts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from core import local_minima as lm
from core import local_minima_symmetry as sy
from core import local_minima_train as lt
from core import mlp
from tests.pagetest import assert_charts_finite, open_page
from ui import show as show_module
from ui.pages import BY_ID

SHAPES = [(2, 1), (3, 2), (4, 3), (8, 3), (5, 4)]


def _net(width, depth, seed, activation="tanh"):
    sizes = lt.layer_sizes(width, depth)
    theta = mlp.init_params(sizes, np.random.default_rng(seed), gain=1.5)
    theta += 0.3 * np.random.default_rng(seed + 100).standard_normal(theta.shape)  # nonzero biases
    X = np.random.default_rng(seed + 200).standard_normal((32, sizes[0]))
    return sizes, theta, X


# --- symmetry: permutations, sign flips, rescaling ----------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("width,depth", SHAPES)
def test_permuting_hidden_units_keeps_the_function_to_round_off(width, depth, activation):
    sizes, theta, X = _net(width, depth, seed=width * 10 + depth)
    rng = np.random.default_rng(width + 7 * depth)
    perms = [rng.permutation(width)[::-1] for _ in range(depth)]
    moved = sy.permute_hidden(theta, sizes, perms)
    out, out_p = (mlp.forward(t, X, sizes, activation) for t in (theta, moved))
    assert np.abs(out_p - out).max() <= 1e-12 * max(1.0, np.abs(out).max())
    assert np.linalg.norm(moved - theta) > 0.1  # a genuinely different parameter vector


def test_permutation_count_matches_brute_force_enumeration():
    width, depth = 3, 2
    sizes, theta, X = _net(width, depth, seed=3)
    perms = list(itertools.product(itertools.permutations(range(width)), repeat=depth))
    copies = np.array([sy.permute_hidden(theta, sizes, [list(p) for p in ps]) for ps in perms])
    assert len(np.unique(copies.round(12), axis=0)) == sy.count_permutations(width, depth) == 36
    out = mlp.forward(theta, X, sizes)
    assert np.abs(mlp.forward(copies, X, sizes) - out).max() < 1e-12


@pytest.mark.parametrize("width,depth,count", [(2, 1, 2), (4, 3, 13824), (8, 3, 40320**3), (5, 2, 14400)])
def test_count_formula_and_its_readable_format(width, depth, count):
    assert sy.count_permutations(width, depth) == count == math.factorial(width) ** depth
    assert sy.count_sign_flips(width, depth) == 2 ** (width * depth)
    text = sy.format_count(count)
    if count < 10**7:
        assert int(text.replace(",", "")) == count
    else:
        mant, exp = text.split(" × 10")
        e = int(exp.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
        assert float(mant) * 10**e == pytest.approx(count, rel=0.01)
    assert sy.format_count(13824) == "13,824"
    assert sy.format_count(40320**3) == "6.55 × 10¹³"


@pytest.mark.parametrize("width,depth", SHAPES)
def test_tanh_sign_flip_is_a_symmetry_but_not_for_relu(width, depth):
    sizes, theta, X = _net(width, depth, seed=5 + width)
    flipped = sy.scale_unit(theta, sizes, depth - 1, width - 1, -1.0)
    t = [mlp.forward(p, X, sizes, "tanh") for p in (theta, flipped)]
    r = [mlp.forward(p, X, sizes, "relu") for p in (theta, flipped)]
    assert np.abs(t[1] - t[0]).max() < 1e-12
    assert np.abs(r[1] - r[0]).max() > 1e-3  # relu is not odd: the same move changes the function


@pytest.mark.parametrize("c", [0.1, 0.5, 2.0, 37.0])
@pytest.mark.parametrize("width,depth", SHAPES)
def test_relu_rescaling_is_a_continuum_of_symmetries_but_not_for_tanh(width, depth, c):
    sizes, theta, X = _net(width, depth, seed=11 + depth)
    scaled = sy.scale_unit(theta, sizes, 0, 0, c)
    r = [mlp.forward(p, X, sizes, "relu") for p in (theta, scaled)]
    t = [mlp.forward(p, X, sizes, "tanh") for p in (theta, scaled)]
    assert np.abs(r[1] - r[0]).max() < 1e-11 * max(1.0, np.abs(r[0]).max())
    assert np.abs(t[1] - t[0]).max() > 1e-4


# --- the exact two-ReLU barrier (SCIENCE.md) -----------------------------------------------------
def test_two_relu_barrier_is_exactly_0_twelfth_third_twelfth_0():
    alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
    expected = np.array([0.0, 1 / 12, 1 / 3, 1 / 12, 0.0])
    np.testing.assert_allclose(sy.two_relu_barrier(alphas), expected, atol=1e-15)
    np.testing.assert_allclose(sy.two_relu_path(alphas), expected, atol=1e-14)
    assert sy.barrier(sy.two_relu_path(np.linspace(0, 1, 41))) == pytest.approx(1 / 3, abs=1e-14)


def test_two_relu_path_matches_a_fine_riemann_sum_of_the_network_error():
    # an independent check of the quadrature: the network's squared error on a fine midpoint grid
    rng = np.random.default_rng(1)
    for a in rng.uniform(0, 1, 6):
        x = (np.arange(20000) + 0.5) / 20000 * 2 - 1
        f = np.maximum((1 - 2 * a) * x, 0) + np.maximum((2 * a - 1) * x, 0)
        assert sy.two_relu_path(a)[0] == pytest.approx(np.mean((f - np.abs(x)) ** 2), abs=1e-8)
        assert sy.two_relu_path(a)[0] == pytest.approx(sy.two_relu_barrier(a), abs=1e-14)


# --- training: backprop, symmetry breaking, padding ----------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("width,depth", [(2, 1), (4, 2), (3, 3)])
def test_batched_backprop_matches_central_finite_differences(width, depth, activation):
    X, y = lt.parity_task()
    sizes = lt.layer_sizes(width, depth)
    rng = np.random.default_rng(width + depth)
    # biases away from zero: at b = 0 a unit fed only by dead ReLUs sits exactly on its kink
    init = [(W, b + 0.1 * rng.standard_normal(b.shape))
            for W, b in lt.init_layers(sizes, seed=width + depth, num_nets=3)]
    theta = lt.flat(init)
    eps = 1e-3
    step = lt.gradient_descent(init, X, y, activation, eps, num_steps=1, record_every=1)
    g = (theta - lt.flat(step.layers)) / eps
    h = 1e-6
    fd = np.zeros_like(theta)
    for j in range(theta.shape[1]):
        e = np.zeros(theta.shape[1])
        e[j] = h
        fd[:, j] = (mlp.loss(theta + e, X, y, sizes, activation)
                    - mlp.loss(theta - e, X, y, sizes, activation)) / (2 * h)
    np.testing.assert_allclose(g, fd, atol=1e-7)
    np.testing.assert_allclose(step.grad_norm[0], np.linalg.norm(fd, axis=1), rtol=1e-6)
    np.testing.assert_allclose(step.cost[0], mlp.loss(theta, X, y, sizes, activation), rtol=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("depth,seed", [(1, 0), (2, 1), (3, 2)])
def test_identical_units_stay_identical_and_random_ones_do_not(activation, depth, seed):
    res = lm.restarts(width=4, depth=depth, activation=activation, num_restarts=10, seed=seed,
                      num_steps=300)
    assert res.twin_gap["identical start"] <= 1e-12
    assert res.twin_gap["random start"] > 1e-2
    tw = res.twins[res.twins["start"] == "identical start"]
    u1, u2 = (tw[tw["unit"] == u]["weight"].to_numpy() for u in ("unit 1", "unit 2"))
    assert np.abs(u1 - u2).max() <= 1e-12 and np.ptp(u1) > 1e-3  # they moved, together


def test_width_sweep_restart_r_is_restart_r_of_the_main_run():
    sweep = lm.width_sweep(depth=2, num_restarts=4, widths=[3, 5], num_steps=150)
    for n in (3, 5):
        main = lm.restarts(width=n, depth=2, num_restarts=6, num_steps=150).final["cost"].to_numpy()
        np.testing.assert_allclose(sweep[sweep["width"] == n]["cost"], main[:4], rtol=1e-9)


# --- the pathology: bad minima, fewer when wider; barriers between copies -------------------------
def test_narrow_nets_end_in_bad_minima_and_wide_ones_rarely():
    sweep = lm.width_sweep(depth=3, activation="tanh", learning_rate=0.15, seed=0)
    frac = sweep.assign(hit=sweep["outcome"] == "reached the best").groupby("width")["hit"].mean()
    assert frac[2] <= 0.3 and frac[8] >= 0.9
    bad = sweep[(sweep["width"] == 2) & (sweep["outcome"] == "ended higher")]["cost"]
    assert (bad > sweep["cost"].min() + lt.TOL).all() and bad.median() > 1 / 32


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_best_solution_and_its_permuted_copies_are_separated_by_a_barrier(activation):
    ex = lm.experiment(width=4, depth=2, activation=activation, num_restarts=20, seed=1)
    perm = ex.table[ex.table["kind"] == "permutation"]
    assert (perm["change"] < 1e-12).all() and (perm["distance"] > 0.5).all()
    assert perm["barrier"].max() > 0.1
    end = ex.paths.groupby("symmetry")["cost"].agg(["first", "last"])
    np.testing.assert_allclose(end["first"], end["last"], atol=1e-12)
    res = ex.restarts
    assert 0 < res.reached <= 1 and res.best_cost == res.final["cost"].min()
    hit = res.final["cost"] <= res.best_cost + lt.TOL
    assert (res.final["outcome"] == "reached the best").eq(hit).all()


def test_init_to_solution_line_runs_from_the_initial_to_the_final_cost():
    ex = lm.experiment(width=3, depth=1, num_restarts=8, seed=2)
    ip, fin = ex.init_paths, ex.restarts.final
    X, y = lt.parity_task()
    c0 = mlp.loss(ex.restarts.theta0, X, y, ex.restarts.sizes)
    np.testing.assert_allclose(ip[ip["alpha"] == 0]["cost"], c0, rtol=1e-12)
    np.testing.assert_allclose(ip[ip["alpha"] == 1]["cost"], fin["cost"], rtol=1e-9, atol=1e-15)
    rises = ip.groupby("restart")["cost"].apply(lambda c: np.diff(c.to_numpy()).max())
    assert ex.num_monotone == int((rises <= 1e-9 * c0.max()).sum())


def test_a_huge_learning_rate_diverges_as_a_state_not_an_exception():
    ex = lm.experiment(width=8, depth=3, activation="relu", learning_rate=10.0, num_restarts=20)
    fin = ex.restarts.final
    assert (fin["diverged_at"] > 0).all() and fin["cost"].isna().all()
    assert ex.table is None and ex.init_paths is None
    assert np.isnan(ex.restarts.twin_gap["random start"])


# --- the 1-D function with a genuinely bad minimum -------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_toy_starts_roll_into_the_minimum_of_their_basin(seed):
    toy = sy.bad_minimum_toy(num_starts=200, seed=seed)
    g, m, b = toy.critical
    for x in toy.critical:
        assert 4 * x**3 - 6 * x + 1 == pytest.approx(0, abs=1e-12)
    assert 12 * g**2 - 6 > 0 and 12 * m**2 - 6 < 0 and 12 * b**2 - 6 > 0
    s = toy.starts
    np.testing.assert_array_equal(s["minimum"] == "bad", s["x0"] > m)
    np.testing.assert_allclose(s["x_end"], np.where(s["x0"] > m, b, g), atol=1e-9)
    assert toy.gap == pytest.approx(sy.toy_cost(b) - sy.toy_cost(g)) and toy.gap > 2
    assert toy.theory == pytest.approx((2 - m) / 4)
    assert abs(toy.measured - toy.theory) < 0.12


# --- the page: one test per part, then every part alone --------------------------------------------
INFO = BY_ID["local_minima"]
# per part: its metric labels, its charts (export names) and the core calls it makes
PARTS = {
    "copies": (("Equivalent settings from permutations", "Loss change under permutation",
                "Barrier on the straight path"),
               {"permutation_paths"}, {"restarts", "best_copies"}),
    "minima": (("Restarts reaching the best minimum", "Lowest final cost",
                "1-D example: starts in the bad minimum"),
               {"final_costs", "gradient_norms", "toy_starts"}, {"restarts", "bad_minimum_toy"}),
    "wider": (("Best reached at width 2", "Best reached at your width", "Best reached at width 8",
               "Lowest cost at any width"),
              {"width_sweep"}, {"width_sweep"}),
    "init": (("Identical start: units' difference", "Random start: units' difference",
              "Lines from the start never rising"),
             {"twin_units", "init_to_solution"}, {"restarts", "init_lines"}),
}
COMPUTE = ("restarts", "width_sweep", "best_copies", "init_lines", "bad_minimum_toy", "experiment")


def _metric(at, prefix):
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def _charts(at) -> set[str]:
    """The export names of the charts drawn (one download button per chart)."""
    return {b.proto.id.split("-export-")[1] for b in at.get("download_button") if "-export-" in b.proto.id}


def test_page_part_copies_metrics_follow_width_and_learning_rate():
    at = open_page(INFO)  # the first part is the default
    assert not at.exception
    assert _charts(at) == PARTS["copies"][1]
    for label in PARTS["copies"][0]:
        assert _metric(at, label)
    assert at.select_slider(key="depth").value == 3  # the shared 50 is capped on this page
    assert _metric(at, "Equivalent settings from permutations") == "13,824"
    assert float(_metric(at, "Loss change under permutation")) < 1e-12
    assert float(_metric(at, "Barrier on the straight path")) > 0.1
    at.slider(key="width").set_value(8).run()
    assert not at.exception
    assert _metric(at, "Equivalent settings from permutations") == "6.55 × 10¹³"
    assert float(_metric(at, "Barrier on the straight path")) > 0.1
    assert not [w for w in at.warning if "diverged" in w.value]
    at.select_slider(key="lr").set_value(10.0).run()
    assert not at.exception
    warn = [w.value for w in at.warning if "diverged" in w.value]
    assert warn and "step" in warn[0] and "ε = 10" in warn[0]
    assert _metric(at, "Barrier on the straight path") == "—"
    assert not _charts(at)


def test_page_part_minima_metrics_follow_width_and_learning_rate():
    at = open_page(INFO, {"part": "minima"})
    assert not at.exception
    assert at.select_slider(key="depth").value == 3
    narrow = _metric(at, "Restarts reaching the best minimum")
    at.slider(key="width").set_value(8).run()
    assert not at.exception
    wide = _metric(at, "Restarts reaching the best minimum")
    frac = [int(v.split("/")[0]) for v in (narrow, wide)]
    assert frac[1] > frac[0] and wide.startswith("50/50")
    assert not [w for w in at.warning if "diverged" in w.value]
    at.select_slider(key="lr").set_value(10.0).run()
    assert not at.exception
    warn = [w.value for w in at.warning if "diverged" in w.value]
    assert warn and "step" in warn[0] and "ε = 10" in warn[0]
    assert _metric(at, "Lowest final cost") == "—"
    assert _charts(at) == {"toy_starts"}  # the 1-D example does not depend on ε


def test_page_part_wider_shows_more_restarts_reaching_the_best_when_wider():
    at = open_page(INFO, {"part": "wider"})
    assert not at.exception
    narrow, wide = (float(_metric(at, f"Best reached at width {n}").rstrip("%")) for n in (2, 8))
    assert narrow <= 30 and wide >= 90
    for n in (2, 8):  # the sweep does not depend on the width knob: only "your width" moves
        at.slider(key="width").set_value(n).run()
        assert not at.exception
        assert _metric(at, "Best reached at your width") == _metric(at, f"Best reached at width {n}")
        assert float(_metric(at, f"Best reached at width {n}").rstrip("%")) == (narrow, wide)[n == 8]


def test_page_part_init_identical_units_stay_identical():
    at = open_page(INFO, {"part": "init"})
    assert not at.exception
    assert float(_metric(at, "Identical start: units' difference")) <= 1e-12
    assert float(_metric(at, "Random start: units' difference")) > 1e-2
    mono, total = (int(v) for v in _metric(at, "Lines from the start never rising").split("/"))
    assert 0 <= mono <= total == 50


@pytest.mark.parametrize("part", list(PARTS))
def test_each_part_alone_renders_its_own_numbers_and_charts_and_computes_nothing_else(part, monkeypatch):
    calls = []
    real = show_module.cached
    monkeypatch.setattr(show_module, "cached", lambda fn: calls.append(fn.__name__) or real(fn))
    for name in ("best_copies", "init_lines"):  # the uncached core calls
        fn = getattr(lm, name)
        monkeypatch.setattr(lm, name, lambda *a, _fn=fn, **kw: calls.append(_fn.__name__) or _fn(*a, **kw))
    at = open_page(INFO, {"part": part})
    assert not at.exception, at.exception
    assert at.query_params["part"] == part
    labels, charts, computed = PARTS[part]
    assert [m.label for m in at.metric] == list(labels)
    assert all(m.value and m.value != "—" for m in at.metric)
    assert assert_charts_finite(at) == len(charts) >= 1
    assert _charts(at) == charts
    assert set(calls) & set(COMPUTE) == computed
    others = {label for p, (ls, _, _) in PARTS.items() if p != part for label in ls}
    assert not others & {m.label for m in at.metric}


@pytest.mark.parametrize("costs", [[0.0, 0.004, 0.011, 0.031, 0.19, np.nan],
                                   [3e-9, 0.5, 0.5, 2.7, np.inf, 17.0]])
def test_cost_bins_count_every_finite_restart_once_in_the_bin_that_holds_it(costs):
    from ui.charts_local_minima import OUTCOMES, cost_bins
    final = pd.DataFrame({"cost": costs, "outcome": [OUTCOMES[i % 2] for i in range(len(costs))]})
    bins, hi = cost_bins(final)
    finite = final[np.isfinite(final["cost"])]
    assert bins["count"].sum() == len(finite)
    assert hi >= 0.2 and hi > finite["cost"].max()
    for _, row in finite.iterrows():
        hit = bins[(bins["start"] <= row["cost"]) & (row["cost"] < bins["end"])]
        assert len(hit[hit["outcome"] == row["outcome"]]) == 1
    step = (bins["end"] - bins["start"]).to_numpy()
    assert np.allclose(step, step[0])  # one bin width: 0.01, or a power of ten past a cost of 1
    assert step[0] == pytest.approx(0.01 if hi <= 1 else 10 ** round(math.log10(step[0])))
    assert hi / step[0] <= 101


def test_restarts_carry_the_inputs_that_determine_them():
    """ui.show keys cached calls on a Restarts by .inputs instead of hashing its tables: sound only
    if the same inputs give the same experiment and different ones differ in .inputs."""
    a = lm.restarts(3, 1, "tanh", 0.15, 5, 0, num_steps=50)
    b = lm.restarts(3, 1, "tanh", 0.15, 5, 0, num_steps=50)
    assert a.inputs == b.inputs == (3, 1, "tanh", 0.15, 5, 0, 50)
    pd.testing.assert_frame_equal(a.history, b.history)
    np.testing.assert_array_equal(a.theta, b.theta)
    others = [lm.restarts(3, 1, "relu", 0.15, 5, 0, num_steps=50),
              lm.restarts(3, 1, "tanh", 0.15, 5, 1, num_steps=50),
              lm.restarts(3, 1, "tanh", 0.15, 5, 0, num_steps=60)]
    assert all(o.inputs != a.inputs for o in others)
