"""Cliffs page (book 8.2.4; 10.11.1): clipping invariants of core/optim.py, BPTT on the one-unit
RNN of Pascanu et al. (2013) against finite differences and closed forms, the wall itself, the runs
across it, the linear derivatives and x^4 with and without clipping, and the page through AppTest."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest

from core import cliffs as cl
from core import cliffs_rnn as rnn
from core import cliffs_theory as th
from core import cliffs_train as ct
from core import optim
from core.surfaces import finite_difference_grad
from tests.pagetest import assert_charts_finite, chart_frames, open_page, spy_core_calls
from ui.pages import BY_ID

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# --- clipping invariants (core/optim.py) --------------------------------------------------------
def _vectors(seed: int, n: int = 200, dim: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)) * 10.0 ** rng.uniform(-6, 8, (n, 1))


@pytest.mark.parametrize("v", [1e-3, 0.5, 1.0, 37.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_clip_norm_bounds_the_norm_keeps_the_direction_and_is_idempotent(v, seed):
    for g in _vectors(seed):
        c = optim.clip_norm(g, v)
        n, nc = np.linalg.norm(g), np.linalg.norm(c)
        assert nc <= v * (1 + 1e-12)
        assert nc == pytest.approx(min(n, v), rel=1e-12)
        assert np.dot(c, g) == pytest.approx(nc * n, rel=1e-12)  # cosine 1: same direction
        np.testing.assert_allclose(optim.clip_norm(c, v), c, rtol=1e-12)
        if n <= v:
            assert np.array_equal(c, g)


def test_clip_norm_boundary_is_strict():
    g = np.array([3.0, 4.0])  # norm exactly 5
    assert np.linalg.norm(g) == 5.0
    assert optim.clip_norm(g, 5.0) is g  # the book's '>': at ||g|| == v nothing changes
    below = optim.clip_norm(g, np.nextafter(5.0, 0.0))
    assert np.linalg.norm(below) < 5.0 and not np.array_equal(below, g)
    assert np.array_equal(optim.clip_norm(g, 0.0), g)  # v = 0 means off


@pytest.mark.parametrize("v", [1e-3, 1.0, 37.0])
@pytest.mark.parametrize("seed", [2, 3])
def test_clip_value_changes_the_direction_but_still_descends(v, seed):
    turned = 0
    for g in _vectors(seed):
        c = optim.clip_value(g, v)
        assert np.abs(c).max() <= v
        assert np.linalg.norm(c) <= v * np.sqrt(g.size) * (1 + 1e-12)
        assert np.dot(g, c) > 0  # still a descent direction
        np.testing.assert_array_equal(optim.clip_value(c, v), c)
        cos = np.dot(g, c) / (np.linalg.norm(g) * np.linalg.norm(c))
        turned += cos < 1 - 1e-6
    assert turned > 0  # and it really does turn some gradients
    c = optim.clip_value(np.array([0.9, 100.0]), 1.0)
    assert np.array_equal(c, [0.9, 1.0])
    assert optim.clip_value(np.array([1.0, -1.0]), 1.0).tolist() == [1.0, -1.0]  # boundary kept


# --- the RNN surface: BPTT ------------------------------------------------------------------------
def _points(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-10, 10, n), rng.uniform(-10, 10, n)])


@pytest.mark.parametrize("depth", [1, 2, 5, 20, 50])
def test_bptt_gradient_matches_finite_differences(depth):
    s = rnn.rnn_cliff(depth)
    for p in _points(depth, 40):
        g = s.grad(p)
        fd = finite_difference_grad(s.value, p, h=1e-6)
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)
    P = _points(depth + 100, 40)  # the vectorized path too
    fd = np.array([finite_difference_grad(s.value, p, h=1e-6) for p in P])
    np.testing.assert_allclose(s.grad(P), fd, rtol=1e-5, atol=1e-8)


def _naive_bptt(depth: int, w: float, b: float) -> tuple[float, float, float]:
    """All T steps forward and back with the same float arithmetic as the fast path: an oracle
    for its early stop and closed-form tail."""
    def sig(x):
        return 0.5 * (1.0 + math.tanh(0.5 * x))
    xs = [rnn.X0]
    for _ in range(depth):
        xs.append(w * sig(xs[-1]) + b)
    sT = sig(xs[-1])
    delta, gw, gb = 2.0 * (sT - rnn.TARGET) * sT * (1.0 - sT), 0.0, 0.0
    for t in range(depth - 1, -1, -1):
        s = sig(xs[t])
        gw, gb, delta = gw + delta * s, gb + delta, delta * w * s * (1.0 - s)
    return (sT - rnn.TARGET) ** 2, gw, gb


@pytest.mark.parametrize("depth", [3, 10, 50, 333, 1000])
def test_fast_single_point_path_equals_plain_bptt(depth):
    """The single-point path stops when the orbit repeats and sums the tail in closed form; it must
    agree with all T steps of BPTT, also beside and on the wall (same arithmetic, tight tolerance),
    and with the vectorized path (numpy's tanh: loose tolerance, the wall amplifies ulps)."""
    s = rnn.rnn_cliff(depth)
    w = np.array([4.3, 5.0, 6.0, 8.0, -6.0])
    near = np.column_stack([np.repeat(w, 3), np.repeat(rnn.wall_b(w), 3) + np.tile([0, 1e-9, -1e-3], 5)])
    P = np.vstack([_points(depth, 100), near, [[0.0, 0.3], [-6.0, 4.0], [9.9, -6.0]]])
    cycled = 0
    for p in P:
        L, gw, gb = _naive_bptt(depth, *p)
        assert s.value(p) == L
        np.testing.assert_allclose(s.grad(p), [gw, gb], rtol=1e-9, atol=1e-300)
        cycled += rnn._orbit(depth, rnn.X0, *p)[2] is not None
    assert cycled > (0.3 if depth >= 50 else 0) * len(P)  # the closed-form tail is exercised
    R = _points(depth, 100)
    L, G = rnn.value_and_grad(depth, R)
    np.testing.assert_allclose([s.value(p) for p in R], L, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose([s.grad(p) for p in R], G, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("depth", [2, 17, 50, 333, 1000])
def test_vectorized_early_stop_equals_all_steps_of_vectorized_bptt(depth):
    """The map's BPTT drops points from the loop as their orbits repeat; same arithmetic as running
    all T steps for every point, so they agree tightly, on the wall too."""
    w = np.array([4.3, 5.0, 6.0, 8.0, -6.0])
    near = np.column_stack([np.repeat(w, 3), np.repeat(rnn.wall_b(w), 3) + np.tile([0, 1e-9, -1e-3], 5)])
    P = np.vstack([_points(depth + 7, 300), near])
    wv, bv = P[:, 0], P[:, 1]
    xs = [np.full(len(P), rnn.X0)]
    for _ in range(depth):
        xs.append(wv * rnn.sigmoid(xs[-1]) + bv)
    sT = rnn.sigmoid(xs[-1])
    d, gw, gb = 2 * (sT - rnn.TARGET) * sT * (1 - sT), 0.0, 0.0
    for t in range(depth - 1, -1, -1):
        st = rnn.sigmoid(xs[t])
        gw, gb, d = gw + d * st, gb + d, d * wv * st * (1 - st)
    L, G = rnn.value_and_grad(depth, P)
    np.testing.assert_array_equal(L, (sT - rnn.TARGET) ** 2)
    np.testing.assert_allclose(G, np.column_stack([gw, gb]), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("w", [5.0, 6.0, 8.0])
@pytest.mark.parametrize("depth", [5, 10, 20])
def test_gradient_on_the_wall_line_is_the_geometric_series(w, depth):
    """On b = x0 - w sigma(x0) the state stays at x0, so BPTT gives dL/db = delta_T (r^T - 1)/(r - 1)
    with r = w sigma'(x0), and dL/dw = sigma(x0) dL/db: the wall's height grows like r^T."""
    s0 = float(rnn.sigmoid(rnn.X0))
    r = w * s0 * (1 - s0)
    delta = 2 * (s0 - rnn.TARGET) * s0 * (1 - s0)
    gb = delta * (r**depth - 1) / (r - 1)
    g = rnn.rnn_cliff(depth).grad(np.array([w, float(rnn.wall_b(w))]))
    np.testing.assert_allclose(g, [s0 * gb, gb], rtol=1e-6)


def test_hessian_is_symmetric_and_matches_second_differences_of_the_loss():
    s = rnn.rnn_cliff(5)
    p, h = np.array([2.0, -1.0]), 1e-4
    H = s.hessian(p)
    assert np.allclose(H, H.T)
    e = np.eye(2) * h
    fd = np.array([[(s.value(p + e[i] + e[j]) - s.value(p + e[i] - e[j]) - s.value(p - e[i] + e[j])
                     + s.value(p - e[i] - e[j])) / (4 * h * h) for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(H, fd, rtol=1e-4, atol=1e-8)
    assert s.hessian(np.zeros((3, 4, 2))).shape == (3, 4, 2, 2)


# --- the wall -------------------------------------------------------------------------------------
@pytest.mark.parametrize("w", [5.0, 6.0, 8.0])
def test_the_wall_sits_on_the_unstable_fixed_point_line(w):
    b = rnn.wall_b(w) + np.linspace(-0.5, 0.5, 20001)
    L, G = rnn.value_and_grad(50, np.column_stack([np.full_like(b, w), b]))
    gn = np.linalg.norm(G, axis=-1)
    assert abs(b[np.argmax(gn)] - rnn.wall_b(w)) < 1e-3
    assert gn.max() > 1e3 * np.median(gn)
    below, above = L[b < rnn.wall_b(w) - 0.01], L[b > rnn.wall_b(w) + 0.01]
    assert below.min() > 0.3 > 0.1 > above.max()  # two plateaus, a step between them


@pytest.mark.parametrize("depth", [50, 1000])
def test_no_wall_where_the_fixed_point_is_stable(depth):
    b = np.linspace(-8, 2, 4001)
    _, G = rnn.value_and_grad(depth, np.column_stack([np.full_like(b, 3.0), b]))
    s0 = 1 / (1 + math.exp(-rnn.X0))
    assert rnn.wall_w_min() == pytest.approx(1 / (s0 * (1 - s0)), rel=1e-12)  # 4.2553
    assert np.linalg.norm(G, axis=-1).max() < 1.0


def test_cliff_sharpness_on_the_map():
    sharp = cl.cliff_map(50).sharpness
    flat = cl.cliff_map(1).sharpness
    assert sharp > 1e3
    assert flat < 30 < sharp / 30
    assert cl.cliff_sharpness([1.0, 2.0, 3.0, np.inf]) == 1.5


# --- training across the cliff -------------------------------------------------------------------
DEFAULT = dict(depth=50, w0=5.0, b0=-3.0, learning_rate=0.15, clip=1.0, num_steps=100)


def test_at_the_defaults_one_step_throws_plain_descent_off_and_clipping_survives():
    tr = ct.train(**DEFAULT)
    plain, by_norm, by_value = (tr.outcomes[m] for m in ct.METHODS)
    assert plain.state == "thrown"
    h = tr.history[tr.history["method"] == "no clipping"]
    jump = h.iloc[plain.step]
    assert jump["step_norm"] > 10 and h["grad_norm"].iloc[plain.step - 1] > 100
    assert h["cost"].iloc[-1] == pytest.approx(0.09, abs=1e-3)  # stuck on the upper plateau
    assert by_norm.state == "ok" and by_value.state == "ok"
    s = ct.summarize(tr)
    assert s.final_clipped < s.final_plain / 5
    assert s.largest_step_clipped <= ct.max_clipped_step(0.15, 1.0) * (1 + 1e-12)
    ex = tr.exits.iloc[0]  # the exit is on the window's edge, on the segment of the jump
    assert ex["b"] == pytest.approx(cl.B_RANGE[1]) and cl.W_RANGE[0] <= ex["w"] <= cl.W_RANGE[1]
    p, q = h[["w", "b"]].to_numpy()[plain.step - 1], np.array([ex["w_to"], ex["b_to"]])
    e = np.array([ex["w"], ex["b"]])
    cross = (q - p)[0] * (e - p)[1] - (q - p)[1] * (e - p)[0]
    assert cross == pytest.approx(0, abs=1e-9 * np.linalg.norm(q - p) ** 2)
    assert pickle.loads(pickle.dumps(tr)).history.equals(tr.history)


@pytest.mark.parametrize("lr,v", [(0.15, 1.0), (1.0, 0.1), (3.0, 10.0), (0.05, 0.03)])
@pytest.mark.parametrize("depth", [20, 50, 200])
def test_norm_clipped_steps_never_exceed_lr_times_v(lr, v, depth):
    tr = ct.train(depth, 5.0, -3.0, lr, v, 150, methods=("no clipping", "clip by norm", "clip by value"))
    h = tr.history
    norm = h[h["method"] == "clip by norm"]
    assert ct.summarize(tr).largest_step_clipped <= lr * v * (1 + 1e-12)
    g_prev = norm["grad_norm"].to_numpy()[:-1]
    steps = norm["step_norm"].to_numpy()[1:]
    np.testing.assert_allclose(steps, lr * np.minimum(g_prev, v), rtol=1e-9)
    np.testing.assert_array_equal(norm["clipped"].to_numpy()[1:], g_prev > v)
    value = h[h["method"] == "clip by value"]
    assert value["step_norm"].max() <= lr * v * np.sqrt(2) * (1 + 1e-12)


def test_paths_are_cut_where_they_leave_the_window():
    h = pd.DataFrame({"method": ["a"] * 4 + ["b"] * 2, "step": [0, 1, 2, 3, 0, 1],
                      "w": [0.5, 0.8, 3.0, 0.1, 5.0, 0.5], "b": [0.5, 0.5, 1.5, 0.1, 5.0, 0.5]})
    path, exits = cl.path_in_window(h, (0.0, 1.0), (0.0, 1.0))
    a = path[path["method"] == "a"]
    assert a["step"].tolist() == [0, 1, 2] and a["w"].iloc[-1] == pytest.approx(1.0)
    assert a["b"].iloc[-1] == pytest.approx(0.5 + (1.0 - 0.8) / (3.0 - 0.8))  # on the segment
    assert exits.set_index("method").loc["a", ["step", "w_to", "b_to"]].tolist() == [2, 3.0, 1.5]
    assert exits.set_index("method").loc["b", "step"] == 0  # started outside
    assert cl.first_exit(np.array([[0.5, 0.5], [1.0, 1.0]]), (0, 1), (0, 1)) is None  # edge is in


def test_clipping_off_gives_plain_descent():
    tr = ct.train(**{**DEFAULT, "clip": 0.0})
    h = tr.history
    a, b = (h[h["method"] == m].reset_index(drop=True) for m in ("no clipping", "clip by norm"))
    np.testing.assert_array_equal(a[["w", "b", "cost"]].to_numpy(), b[["w", "b", "cost"]].to_numpy())
    assert not h["clipped"].any()


def test_cached_results_pickle():
    for obj in (rnn.rnn_cliff(7), cl.cliff_map(3, n=20), th.quartic_runs(0.1, 1.0, 10), th.QUARTIC):
        pickle.loads(pickle.dumps(obj))


# --- why it happens ---------------------------------------------------------------------------------
@pytest.mark.parametrize("w", [0.9, 1.0, 1.1, -1.2])
def test_linear_derivatives_closed_form_against_the_recursion_and_differences(w):
    T = np.arange(1, 201)
    d, e = th.linear_derivatives(T, w)
    rd, re = th.linear_derivatives_by_recursion(200, w)
    np.testing.assert_allclose(rd, d, rtol=1e-10)
    np.testing.assert_allclose(re, e, rtol=1e-10, atol=1e-12)
    h = 1e-5
    for t in (1, 7, 50):
        f = [0.5 * (w + k * h) ** t for k in (-1, 0, 1)]
        assert d[t - 1] == pytest.approx((f[2] - f[0]) / (2 * h), rel=1e-6)
        assert e[t - 1] == pytest.approx((f[2] - 2 * f[1] + f[0]) / h**2, rel=1e-3, abs=1e-4)
    np.testing.assert_allclose(e[1:] / d[1:], (T[1:] - 1) / w, rtol=1e-12)  # curvature/slope grows


def test_linear_table_is_tidy_and_finite():
    t = th.linear_table(1000)
    assert set(t["source"]) == {"closed form", "recursion"} and np.isfinite(t["value"]).all()
    assert t["T"].min() == 1 and t["T"].max() == 1000


@pytest.mark.parametrize("x0", [2.0, 3.0, 10.0])
def test_quartic_plain_descent_diverges_exactly_above_one_over_two_x0_squared(x0):
    crit = th.quartic_critical_lr(x0)
    assert crit == pytest.approx(1 / (2 * x0**2))
    ok = th.quartic_runs(0.98 * crit, 0.0, 400, x0)
    bad = th.quartic_runs(1.02 * crit, 0.0, 400, x0)
    assert not ok.status["no clipping"].diverged
    x = np.abs(ok.history.loc[ok.history["method"] == "no clipping", "x"].to_numpy())
    assert np.all(np.diff(x) <= 0)
    assert bad.status["no clipping"].diverged


@pytest.mark.parametrize("lr,v", [(0.15, 1.0), (1.0, 0.1), (0.5, 0.5)])
def test_quartic_clipped_descent_stays_bounded_and_converges(lr, v):
    q = th.quartic_runs(lr, v, 1000)
    assert q.status["no clipping"].diverged  # lr > 1/18 from x0 = 3
    c = q.history[q.history["method"] == "clip by norm"]
    assert not q.status["clip by norm"].diverged
    assert np.abs(c["x"]).max() <= max(th.X0_QUARTIC, lr * v) + 1e-12
    assert c["cost"].iloc[-1] < 1e-2 * c["cost"].iloc[0]


# --- the page: two parts (tabs), only the open one computed ---------------------------------------
PAGE = BY_ID["cliffs"]
LABELS = ("Largest gradient norm", "Largest step without clipping", "Largest step with clipping",
          "Final loss without clipping", "Final loss with clipping", "Cliff sharpness")
# each part's headline labels and chart names (the export buttons' keys)
PART_METRICS = {
    "cliff": LABELS,
    "why": ("Slope ∂x_T/∂w", "Curvature ∂²x_T/∂w²", "Curvature / slope", "Critical ε for x⁴",
            "Plain x⁴ diverged at", "Clipped x⁴ final cost"),
}
PART_CHARTS = {"cliff": {"map_loss", "map_grad_norm", "cliff_runs", "cliff_steps"},
               "why": {"linear_derivatives", "quartic"}}
# the core entry points each part calls
PART_CALLS = {"cliff": {"cliff_map", "train"},
              "why": {"linear_table", "linear_derivatives", "quartic_runs"}}


def _metric(at, prefix) -> str:
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def _charts(at) -> set[str]:
    return {b.key.removeprefix("export-") for b in at.get("download_button") if b.key.startswith("export-")}


def test_the_parts_and_their_knobs():
    assert [p.id for p in PAGE.parts] == list(PART_METRICS)
    assert PAGE.part("cliff").knobs == ("w0", "b0", "steps", "clipmode")
    assert PAGE.part("why").knobs == ("steps",)


@pytest.mark.parametrize("part", [p.id for p in PAGE.parts])
def test_each_part_renders_alone_with_its_own_metrics_and_finite_charts(part, monkeypatch):
    calls = spy_core_calls(monkeypatch, ((cl, "cliff_map"), (ct, "train"), (th, "linear_table"),
                                        (th, "linear_derivatives"), (th, "quartic_runs")))
    at = open_page(PAGE, {"part": part})
    assert not at.exception, at.exception
    assert at.query_params["part"] == part
    assert assert_charts_finite(at) == len(PART_CHARTS[part])
    labels = [m.label for m in at.metric]
    assert labels == list(PART_METRICS[part])
    assert all(m.value for m in at.metric)
    assert _charts(at) == PART_CHARTS[part]
    # nothing of the other part: not its numbers, not its charts, not its computations
    for other in PART_METRICS:
        if other != part:
            assert not set(labels) & set(PART_METRICS[other]), other
            assert not _charts(at) & PART_CHARTS[other], other
    assert set(calls) == PART_CALLS[part]
    assert any("Choosing v" in str(i.value) for i in at.info) == (part == "cliff")
    # the row under the title draws exactly this part's own knobs
    drawn = {w.key for w in list(at.radio) + list(at.slider) + list(at.select_slider)}
    assert drawn & {k.name for k in PAGE.knobs} == set(PAGE.part(part).knobs)


def test_page_metrics_warning_and_clipping_knob():
    at = open_page(PAGE, {"part": "cliff"})
    assert not at.exception, at.exception
    assert at.query_params["part"] == "cliff"
    for label in LABELS:
        assert _metric(at, label)
    assert float(_metric(at, "Largest step with clipping")) <= 0.15 * 1.0 * (1 + 1e-9)
    assert float(_metric(at, "Largest step without clipping")) > 10
    assert float(_metric(at, "Cliff sharpness").rstrip("×")) > 1e3
    warn = [w.value for w in at.warning if "diverged" in w.value]
    assert len(warn) == 1 and "no clipping" in warn[0] and "step 50" in warn[0]
    assert float(_metric(at, "Final loss with clipping")) < float(_metric(at, "Final loss without clipping"))
    at.select_slider(key="clip").set_value(0.0).run()  # clipping off: both runs are the same
    assert not at.exception
    assert _metric(at, "Largest step with clipping") == _metric(at, "Largest step without clipping")
    assert _metric(at, "Final loss with clipping") == _metric(at, "Final loss without clipping")
    assert at.query_params["clip"] == "0"
    at.radio(key="clipmode").set_value("all").run()
    assert not at.exception and len([w for w in at.warning if "diverged" in w.value]) == 3


def test_the_first_part_is_the_default():
    at = open_page(PAGE)
    assert not at.exception, at.exception
    assert at.query_params["part"] == "cliff"
    assert [m.label for m in at.metric] == list(LABELS)


def test_why_part_metrics_against_the_closed_forms():
    at = open_page(PAGE, {"part": "why"})  # defaults: T = 50, eps = 0.15, v = 1
    assert not at.exception, at.exception
    w, x0, T = th.W_LINEAR, 0.5, 50
    assert _metric(at, "Slope ∂x_T/∂w") == f"{T * x0 * w ** (T - 1):.3g}"
    assert _metric(at, "Curvature ∂²x_T/∂w²") == f"{T * (T - 1) * x0 * w ** (T - 2):.3g}"
    assert _metric(at, "Curvature / slope") == f"{(T - 1) / w:.3g}"
    assert _metric(at, "Critical ε for x⁴") == f"{1 / (2 * th.X0_QUARTIC**2):.3g}"
    # eps = 0.15 > 1/18: plain descent on x^4 diverges, clipped descent converges
    assert _metric(at, "Plain x⁴ diverged at").startswith("step ")
    assert float(_metric(at, "Clipped x⁴ final cost")) < 1e-2 * th.X0_QUARTIC**4
    # the depth moves the linear case's numbers; eps just below and just above 1/(2 x0^2)
    at.select_slider(key="depth").set_value(100).run()
    assert _metric(at, "Curvature / slope") == f"{99 / w:.3g}"
    at.select_slider(key="lr").set_value(0.05).run()
    assert not at.exception and _metric(at, "Plain x⁴ diverged at") == "never"
    at.select_slider(key="lr").set_value(0.06).run()
    assert not at.exception and _metric(at, "Plain x⁴ diverged at").startswith("step ")


def _exit_note(frames) -> str:
    """The text of a map's exit note (the data of its text layer; '' when no run left)."""
    labels = [lab for f in frames if "label" in f for lab in f["label"] if str(lab).startswith("✕")]
    return " ".join(labels)


def test_a_new_learning_rate_changes_the_maps_data_but_not_their_specification():
    """The maps say where a run left the view in a text layer fed by data, so a change of ε
    leaves their Vega-Lite specification as it was (the browser then updates the data instead of
    rebuilding two maps), while the note still follows the run."""
    views = [chart_frames(open_page(BY_ID["cliffs"], {"part": "cliff", "lr": lr}))[:2]
             for lr in ("0.15", "0.16")]
    for (spec_a, frames_a), (spec_b, frames_b) in zip(*views):
        assert spec_a == spec_b
        assert "no clipping: step 50" in _exit_note(frames_a)
        assert "no clipping: step 40" in _exit_note(frames_b)


def test_a_cliff_map_is_identified_by_its_inputs():
    """ui.show keys the maps' chart specifications by CliffMap.inputs instead of hashing 40,000
    rows per rerun: that is only sound if the inputs determine the map."""
    a, b = cl.cliff_map(30, 40), cl.cliff_map(30, 40)
    assert a.inputs == b.inputs == (30, 40, cl.W_RANGE, cl.B_RANGE)
    pd.testing.assert_frame_equal(a.grid, b.grid)
    others = [cl.cliff_map(31, 40), cl.cliff_map(30, 41), cl.cliff_map(30, 40, (0.0, 9.0))]
    assert all(o.inputs != a.inputs for o in others)
