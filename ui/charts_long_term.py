"""Chart builders of the long-term-dependencies page: DataFrames in, alt.Chart out, no Streamlit.

Norms that span hundreds of decades are drawn as log10 values on a linear axis. Straight
reference lines (rate^t is straight in log space) arrive as two points and are cut where they
leave the frame, so no clamped line runs along an edge.

The page-level builders (``*_chart``) return finished charts and depend on their arguments only,
so the page builds them through ``ui.show.chart_spec`` (once per distinct input, shared by every
session); the closed-form overlays they need are computed inside them, so on a warm rerun only
the cached spec is looked up.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from core import long_term_theory as th
from core.long_term import Recurrent
from ui import charts as C

GREY = "#9a9a9a"
HEIGHT = 420  # the whole chart, legend and titles included (Streamlit fits the spec into it)


def sci10(log10: float) -> str:
    """A number given by its log10, printed without ever forming it (1e-400 is fine)."""
    if not math.isfinite(log10):
        return "0" if log10 < 0 else "∞"
    if -3 <= log10 < 5:
        return f"{10**log10:.4g}"
    e = math.floor(log10)
    m = 10 ** (log10 - e)
    if m >= 9.995:
        m, e = 1.0, e + 1
    return f"{m:.2f}e{e:+03d}"


def _legend_encodings(chart):
    """The colour/dash/shape encodings with a legend, in a (layered, concatenated) chart."""
    for key in ("layer", "hconcat"):
        subs = getattr(chart, key, alt.Undefined)
        for sub in subs if subs is not alt.Undefined else []:
            yield from _legend_encodings(sub)
    enc = getattr(chart, "encoding", alt.Undefined)
    if enc is alt.Undefined:
        return
    for name in ("color", "strokeDash", "shape"):
        e = enc[name]  # item access: the attribute is a property setter on channels
        if e is not alt.Undefined and isinstance(e["legend"], alt.Legend):
            yield e


def finish(chart, max_chars: int = 40):
    """C.finish, and legends whose labels add up to more than ``max_chars`` characters wrap into
    two columns: a half-width chart cuts a longer single row off."""
    out = C.finish(chart)
    for e in _legend_encodings(out):
        domain = e["scale"]["domain"] if isinstance(e["scale"], alt.Scale) else alt.Undefined
        labels = list(domain) if isinstance(domain, list) else []
        if len(labels) >= 3 and sum(len(str(v)) for v in labels) > max_chars:
            e["legend"]["columns"] = 2
    return out


def y_range(*values, pad: float = 0.08, grid: float = 0.25) -> tuple[float, float]:
    """A y-range around the finite values (at least 2 decades tall), padded, its ends rounded
    outwards to multiples of ``grid`` (round numbers at the axis ends). The charts hand it to
    Vega-Lite as data (ui.charts.extent), not as a domain in the specification."""
    v = np.concatenate([np.asarray(x, dtype=float).ravel() for x in values])
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (-1.0, 1.0)
    if hi - lo < 2:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - 1, mid + 1
    p = pad * (hi - lo)
    return float(np.floor((lo - p) / grid) * grid), float(np.ceil((hi + p) / grid) * grid)


def cut(lines: pd.DataFrame, lo: float, hi: float, group: str = "line") -> pd.DataFrame:
    """Shorten straight lines from (0, 0) so they end where they leave [lo, hi]."""
    out = []
    for name, g in lines.groupby(group, sort=False):
        t1, y1 = float(g["step"].iloc[-1]), float(g["log10"].iloc[-1])
        edge = hi if y1 > hi else lo if y1 < lo else None
        if edge is not None and y1 != 0:
            t1, y1 = t1 * edge / y1, edge
        out.append(pd.DataFrame({group: name, "step": [0.0, t1], "log10": [0.0, y1]}))
    return pd.concat(out, ignore_index=True) if out else lines


def log_norm(path: pd.DataFrame, cols: dict[str, str], lines: pd.DataFrame, *, title: str,
             y_title: str, eigen: pd.DataFrame | None = None) -> alt.LayerChart:
    """log10 norms against steps: the measured ``path`` columns {column: label}, the two-point
    rate ``lines`` (line, step, log10) and, underneath, thin grey |lambda_i|^t ``eigen`` lines.
    The y-range follows the measured curves; lines are cut where they leave it."""
    meas = path.melt(id_vars="step", value_vars=list(cols), var_name="series", value_name="log10")
    meas["series"] = meas["series"].map(cols)
    lo, hi = y_range(meas["log10"], [0.0])
    meas = C.downsample(C.finite(meas, ["log10"]), 1200, by="series")
    ref = cut(lines.rename(columns={"line": "series"}), lo, hi, group="series")
    order = list(cols.values()) + list(dict.fromkeys(ref["series"]))
    ch = C.lines(pd.concat([meas, ref], ignore_index=True), "step", "log10", series="series",
                 domain=order, x_title="steps back t", y_title=y_title, title=title,
                 y_domain="data", height=HEIGHT)
    span = C.extent("step", "log10", 0, lo, hi)  # the y-range as data: see C.extent
    if eigen is None or eigen.empty:
        return alt.layer(ch, span)
    grey = alt.Chart(cut(eigen, lo, hi)).mark_line(color=GREY, strokeWidth=1, opacity=0.7,
                                                   clip=True).encode(
        x=alt.X("step:Q"), y=alt.Y("log10:Q", scale=C.DATA_DOMAIN), detail=alt.Detail("line:N"),
        tooltip=[alt.Tooltip("line:N")])
    return alt.layer(grey, ch, span)


def eigen_plane(eig: pd.DataFrame, rho: float) -> alt.HConcatChart:
    """Eigenvalues in the complex plane with the unit circle and the circle |lambda| = rho."""
    a = np.linspace(0, 2 * np.pi, 181)
    circles = pd.concat([pd.DataFrame({"circle": name, "k": np.arange(181), "re": r * np.cos(a),
                                       "im": r * np.sin(a)})
                         for name, r in (("|λ| = 1 (unit circle)", 1.0), (f"|λ| = ρ = {rho:.2f}", rho))])
    # 1.15 max(1, rho) rounded up, so round-off in rho leaves the specification as it is
    R = float(np.ceil(115 * max(1.0, rho)) / 100)
    sc = alt.Scale(domain=[-R, R])
    names = list(dict.fromkeys(circles["circle"]))
    ring = alt.Chart(circles).mark_line(strokeWidth=2, clip=True).encode(
        x=alt.X("re:Q", scale=sc, title="Re λ"), y=alt.Y("im:Q", scale=sc, title="Im λ"),
        order=alt.Order("k:Q"), **C.series_encoding("circle", names, colors=("#000000", "#E69F00")))
    pts = alt.Chart(eig).mark_point(filled=True, size=70, color="#0072B2", opacity=0.85,
                                    clip=True).encode(
        x=alt.X("re:Q", scale=sc), y=alt.Y("im:Q", scale=sc),
        tooltip=[alt.Tooltip("re:Q", format=".4g"), alt.Tooltip("im:Q", format=".4g"),
                 alt.Tooltip("modulus:Q", format=".4g", title="|λ|")])
    side = HEIGHT - 120  # a square plot area (an hconcat keeps its own width in Streamlit)
    return alt.hconcat(alt.layer(ring, pts).properties(width=side, height=side),
                       title="Eigenvalues of W (dots) against the unit circle")


def merge_rules(rules: dict[str, float], tol: float = 0.03) -> dict[str, float]:
    """Join rules closer than ``tol`` (relative) into one label, so their texts do not overlap."""
    out: dict[str, float] = {}
    for name, v in sorted(rules.items(), key=lambda kv: kv[1]):
        last = next(reversed(out), None)
        if last is not None and abs(v - out[last]) <= tol * max(abs(v), 1e-300):
            out[f"{last}; {name}"] = out.pop(last)
        else:
            out[name] = v
    return out


def step_factor(path: pd.DataFrame, cols: dict[str, str], rules: dict[str, float],
                title: str) -> alt.LayerChart:
    """Per-step factor ||J_t u|| of the ``path`` columns {column: label}, log axis, with
    horizontal rate rules {label: value}."""
    df = path.melt(id_vars="step", value_vars=list(cols), var_name="series", value_name="gain")
    df["series"] = df["series"].map(cols)
    data = C.downsample(C.finite(df, ["gain"]), 1200, by="series")
    data = data[data["gain"] > 0]
    v = np.concatenate([data["gain"].to_numpy(), list(rules.values())])
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (v.min() / 1.6, v.max() * 1.6) if len(v) else (0.1, 10.0)
    lo, hi = 10 ** (np.floor(4 * np.log10(lo)) / 4), 10 ** (np.ceil(4 * np.log10(hi)) / 4)  # round ends
    ch = C.lines(data, "step", "gain", series="series", domain=list(cols.values()), log_y=True,
                 x_title="steps back t", y_title="factor of step t: ‖Jₜu‖", title=title,
                 y_domain="data", height=HEIGHT)
    first = float(data["step"].min()) if len(data) else 0.0
    return alt.layer(ch, C.hrules(merge_rules(rules)), C.extent("step", "gain", first, lo, hi))


def alignment(path: pd.DataFrame, bound) -> alt.Chart:
    """sin(angle to the leading eigenvector) and the power-method bound min(1, tan θ0 r^t)."""
    order = ["measured sin θₜ", "bound tan θ₀·|λ₂/λ₁|ᵗ"]
    df = pd.concat([pd.DataFrame({"series": order[0], "step": path["step"], "value": path["sin_theta"]}),
                    pd.DataFrame({"series": order[1], "step": path["step"], "value": bound})])
    df["value"] = df["value"].clip(upper=1.0)  # sin is at most 1 anyway
    df = df[(df["series"] == order[0]) | (df["value"] >= 1e-16)]
    return C.lines(C.downsample(C.finite(df, ["value"]), 1200, by="series"), "step", "value",
                   series="series", domain=order, log_y=True, x_title="steps back t",
                   y_title="sin θₜ to the leading eigenvector", y_domain=(1e-16, 1.5),
                   title="Power method: gᵀWᵗ turns toward the leading eigenvector",
                   height=HEIGHT)


def ensembles(bands: pd.DataFrame, theory: pd.DataFrame, rho_line: pd.DataFrame) -> alt.LayerChart:
    """Medians and 10-90% bands of two ensembles, the random-walk theory band and rho^t."""
    names = ["shared W (median)", "fresh W per layer (median)", "random-walk theory", "ρᵗ"]
    meds = bands.assign(series=bands["ensemble"] + " (median)", log10=bands["q50"])
    th = theory.assign(series=names[2], log10=theory["mean"])
    lo, hi = y_range(bands["q10"], bands["q90"], theory["lo"], theory["hi"], [0.0])
    data = pd.concat([meds[["series", "step", "log10"]], th[["series", "step", "log10"]],
                      cut(rho_line.assign(series=names[3]), lo, hi, group="series")])
    ch = C.lines(data, "step", "log10", series="series", domain=names, x_title="depth t (layers)",
                 y_title="log₁₀ ‖gₜ‖ / ‖g₀‖", y_domain="data", height=HEIGHT,
                 title="Same W every layer versus a fresh W per layer")
    areas = [alt.Chart(bands[bands["ensemble"] == e]).mark_area(opacity=0.18, color=col, clip=True)
             .encode(x=alt.X("step:Q"), y=alt.Y("q10:Q", scale=C.DATA_DOMAIN),
                     y2=alt.Y2("q90:Q"))
             for e, col in (("shared W", C.OKABE_ITO[0]), ("fresh W per layer", C.OKABE_ITO[1]))]
    edges = theory.melt(id_vars="step", value_vars=["lo", "hi"], var_name="edge", value_name="log10")
    band = alt.Chart(edges).mark_line(color=C.OKABE_ITO[2], strokeDash=[2, 2], strokeWidth=1.5,
                                      clip=True).encode(
        x=alt.X("step:Q"), y=alt.Y("log10:Q", scale=C.DATA_DOMAIN), detail=alt.Detail("edge:N"))
    return alt.layer(*areas, band, ch, C.extent("step", "log10", 0, lo, hi))


def sample_paths(paths: pd.DataFrame) -> alt.Chart:
    """One thin line per seed, coloured (and dashed) by ensemble."""
    names = ["shared W", "fresh W per layer"]
    return alt.Chart(C.finite(paths, ["log10"]), height=HEIGHT,
                     title="Individual seeds: straight lines versus random walks").mark_line(
        strokeWidth=1.4, opacity=0.75, clip=True).encode(
        x=alt.X("step:Q", title="depth t (layers)"), y=alt.Y("log10:Q", title="log₁₀ ‖gₜ‖ / ‖g₀‖"),
        detail=alt.Detail("seed:N"), **C.series_encoding("ensemble", names),
        tooltip=[alt.Tooltip("ensemble:N"), alt.Tooltip("seed:Q"), alt.Tooltip("step:Q"),
                 alt.Tooltip("log10:Q", format=".3g")])


def init_chart(measured: pd.DataFrame, theory: pd.DataFrame, direction: str, order, *,
               y_title: str, title: str) -> alt.Chart:
    """Measured (solid) and mean-field (dashed) log10 variances per layer, one colour per scheme."""
    df = pd.concat([measured.assign(curve="measured"), theory.assign(curve="mean-field theory")])
    df = df[df["direction"] == direction]
    return C.lines(C.downsample(C.finite(df, ["log10"]), 400, by=["scheme", "curve"]), "layer",
                   "log10", series="scheme", domain=list(order), dash="curve",
                   dash_domain=["measured", "mean-field theory"], x_title="layer l",
                   y_title=y_title, title=title, height=HEIGHT)


# --- finished charts of the page (built through ui.show.chart_spec) -----------------------------
def norm_chart(rec: Recurrent, depth: int, title: str):
    """Part 1: the backpropagated norm through the shared W, with ρᵗ, σ₁ᵗ and the |λᵢ|ᵗ lines."""
    return finish(log_norm(rec.path, {"log10_linear": "measured ‖(Wᵀ)ᵗg‖/‖g‖"},
                           th.rate_lines(rec, depth, False), eigen=th.eigen_lines(rec.eig, depth),
                           y_title="log₁₀ ‖(Wᵀ)ᵗg‖ / ‖g‖", title=title))


def eigen_chart(eig: pd.DataFrame, rho: float):
    """Part 1: the eigenvalues of W in the complex plane."""
    return finish(eigen_plane(eig, rho))


def alignment_chart(path: pd.DataFrame, lam_ratio: float):
    """Part 1: the angle to the leading eigenvector against the power-method bound."""
    bound = th.alignment_bound(path["sin_theta"].iloc[0], lam_ratio, path["step"])
    return finish(alignment(path, bound))


def step_factor_chart(path: pd.DataFrame, cols: dict[str, str], rules: dict[str, float],
                      title: str):
    """Parts 1 and 2: :func:`step_factor`, finished."""
    return finish(step_factor(path, cols, rules, title))


def nonlinear_norm_chart(rec: Recurrent, depth: int):
    """Part 2: the product through f against the true bound (σ₁γ)ᵗ and the eigenvalue rule."""
    return finish(log_norm(rec.path, {"log10_nonlinear": f"through {rec.activation}",
                                      "log10_linear": "linear (part 1)"},
                           th.rate_lines(rec, depth), y_title="log₁₀ ‖gₜ‖ / ‖g‖",
                           title="Backpropagated Jacobian product against the two rules"))


def ensembles_chart(bands: pd.DataFrame, dim: int, rho: float, depth: int):
    """Part 3: :func:`ensembles` with the random-walk theory band for ``dim`` and ρᵗ."""
    band = th.random_walk_band(dim, rho, bands["step"].drop_duplicates())
    return finish(ensembles(bands, band, th.power_line(rho, depth, "ρᵗ")))


def sample_paths_chart(paths: pd.DataFrame):
    """Part 3: :func:`sample_paths`, finished."""
    return finish(sample_paths(paths))


def init_variance_chart(measured: pd.DataFrame, theory: pd.DataFrame, direction: str, order,
                        y_title: str, title: str):
    """Part 4: :func:`init_chart`, finished."""
    return finish(init_chart(measured, theory, direction, order, y_title=y_title, title=title))
