"""Chart builders of the saddle-point page: DataFrames in, alt.Chart out (no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui import charts as C

METHODS = ("gradient descent", "Newton", "saddle-free Newton")
MAP_HEIGHT = 470
MAP_CAPTIONS = {
    "x2-y2": "Drag the step slider. Newton (step 1) lands on the saddle in one step; gradient descent "
             "slides in along the λ > 0 direction, lingers, then leaves along λ < 0.",
    "5x2-y2": "Drag the step slider. Newton lands on the saddle in one step; saddle-free Newton "
              "jumps to (0, 2y) and keeps doubling y; gradient descent zig-zags in, lingers, escapes.",
    "monkey": "Drag the step slider. The Hessian is zero at this saddle, so there are no "
              "eigen-directions. Newton halves the distance each step (until H falls below the "
              "solver's 1e-12 cutoff, near 1e-13); gradient descent crawls in, then leaves.",
    "himmelblau": "Drag the step slider. The start is the saddle itself moved by the offset along "
                  "its escape direction (the stable manifold is curved). Newton stays put.",
}


def clip_to_box(path: pd.DataFrame, box, x: str = "x", y: str = "y", by: str = "method") -> pd.DataFrame:
    """Each run's rows while it stays in box = (x_lo, x_hi, y_lo, y_hi); the first point outside
    is moved back along its last segment onto the box edge, and the rest of the run dropped."""
    x0, x1, y0, y1 = box
    out = []
    for _, g in path.groupby(by, sort=False):
        g = C.finite(g, [x, y])
        px, py = g[x].to_numpy(), g[y].to_numpy()
        inside = (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
        if inside.all() or not inside[0]:
            out.append(g if inside.all() else g.iloc[:1])
            continue
        j = int(np.argmin(inside))
        dx, dy = px[j] - px[j - 1], py[j] - py[j - 1]
        ts = [t for d, p, lo, hi in ((dx, px[j - 1], x0, x1), (dy, py[j - 1], y0, y1)) if d
              for t in ((lo - p) / d, (hi - p) / d) if 0 < t <= 1]
        t = min(ts, default=1.0)
        g = g.iloc[: j + 1].copy()
        g.iloc[j, g.columns.get_loc(x)] = px[j - 1] + t * dx
        g.iloc[j, g.columns.get_loc(y)] = py[j - 1] + t * dy
        out.append(g)
    return pd.concat(out, ignore_index=True)


def trim(df: pd.DataFrame, field: str, lo: float, hi: float, by: str = "method") -> pd.DataFrame:
    """Each run's rows up to and including the first whose ``field`` leaves [lo, hi] (that one is
    drawn clamped to the edge), so a run that flies off does not squash the axis."""
    out = []
    for _, g in df.groupby(by, sort=False):
        g = C.finite(g, [field])
        out_of = ((g[field] < lo) | (g[field] > hi)).to_numpy()
        out.append(g.iloc[: int(out_of.argmax()) + 1] if out_of.any() else g)
    return pd.concat(out, ignore_index=True)


def _xy(view, x: str = "x", y: str = "y", x2: str | None = None, y2: str | None = None) -> dict:
    """x and y encodings on the map's fixed view, so every layer shares one square frame."""
    enc = {"x": alt.X(f"{x}:Q", title="x", scale=alt.Scale(domain=list(view[:2]), nice=False)),
           "y": alt.Y(f"{y}:Q", title="y", scale=alt.Scale(domain=list(view[2:]), nice=False))}
    if x2:
        enc.update(x2=alt.X2(f"{x2}:Q"), y2=alt.Y2(f"{y2}:Q"))
    return enc


def heat_map(grid: pd.DataFrame, view, mid: float, half_range: float, title: str) -> alt.Chart:
    """Cost as coloured cells (columns x, x2, y, y2, cost) on a diverging scale centred on the
    saddle's cost ``mid``: blue below it, orange above. Uses the fill channel, so the paths' colour
    legend stays separate."""
    return alt.Chart(grid).mark_rect(opacity=0.8).encode(
        **_xy(view, x2="x2", y2="y2"),
        fill=alt.Fill("cost:Q", title=title,
                      scale=alt.Scale(scheme="blueorange", domainMid=mid, clamp=True,
                                      domain=[mid - half_range, mid + half_range]),
                      legend=alt.Legend(orient="right", gradientLength=200, direction="vertical")),
        tooltip=[alt.Tooltip("x:Q", format=".3g"), alt.Tooltip("y:Q", format=".3g"),
                 alt.Tooltip("cost:Q", format=".4g")])


def arrows(segments: pd.DataFrame, view) -> alt.LayerChart:
    """Eigen-directions at the saddle: columns label, x, y, x_end, y_end, x_label, y_label (one
    row per segment)."""
    base = alt.Chart(segments)
    rule = base.mark_rule(color="#000000", strokeWidth=2, strokeDash=[6, 3]).encode(
        **_xy(view, x2="x_end", y2="y_end"))
    text = base.mark_text(fontSize=13, fontWeight="bold", dx=6, dy=-6, align="left",
                          color="#000000").encode(**_xy(view, "x_label", "y_label"), text=alt.Text("label:N"))
    return alt.layer(rule, text)


def landmarks(points: pd.DataFrame, view) -> alt.Chart:
    """Critical points and the start: columns kind, x, y."""
    kinds = list(dict.fromkeys(points["kind"]))
    shapes = {"start": "circle", "saddle": "cross", "minimum": "triangle-down",
              "maximum": "triangle-up"}
    return alt.Chart(points).mark_point(filled=True, size=170, color="#000000", opacity=0.9).encode(
        **_xy(view),
        shape=alt.Shape("kind:N", title=None, legend=alt.Legend(orient="right", direction="vertical"),
                        scale=alt.Scale(domain=kinds, range=[shapes.get(k, "square") for k in kinds])),
        tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("x:Q", format=".4f"), alt.Tooltip("y:Q", format=".4f")])


def stack(*charts, **kwargs) -> alt.LayerChart:
    """One flat alt.layer of the given charts. Layer charts are opened into their sub-layers (their
    shared data goes back into each sub-layer, their params go to the top); one with a resolve is
    kept whole. Altair copies every sub-chart each time charts are combined, so one flat layer is
    far cheaper to build than a chain of ``+``."""
    flat, params = [], list(kwargs.pop("params", []))
    for ch in charts:
        if not isinstance(ch, alt.LayerChart) or ch.resolve is not alt.Undefined:
            flat.append(ch)
            continue
        for sub in ch.layer:
            if sub.data is alt.Undefined and ch.data is not alt.Undefined:
                sub = sub.copy()
                sub.data = ch.data
            flat.append(sub)
        if ch.params is not alt.Undefined:
            params.extend(ch.params)
    return alt.layer(*flat, **kwargs, **({"params": params} if params else {}))


def saddle_map(path, grid, segments, points, start, view, mid, half_range, methods=METHODS):
    """The map: heat map, eigen-directions, landmarks (plus the ``start`` point (2,)) and the three
    paths with C.scrub_path's step slider, all in one flat layer."""
    points = pd.concat([points, pd.DataFrame({"kind": ["start"], "x": [start[0]], "y": [start[1]]})],
                       ignore_index=True)
    paths = C.scrub_path(clip_to_box(path[["method", "step", "x", "y"]], view), x="x", y="y",
                         series="method", domain=list(methods), x_title="x", y_title="y",
                         x_domain=view[:2], y_domain=view[2:], height=400)
    return stack(heat_map(grid, view, mid, half_range, "f(x, y)"), arrows(segments, view),
                 landmarks(points, view), paths, height=MAP_HEIGHT,
                 title="Three methods from the same start")


def scatter(df: pd.DataFrame, x: str, y: str, *, color: str = "#555555", log_x: bool = False,
            log_y: bool = False, tooltip: Sequence[str] = (), size: int = 45) -> alt.Chart:
    """Measured points in one colour (theory lines are drawn over them with C.lines)."""
    data = C.finite(df, [x, y])
    return alt.Chart(data).mark_point(filled=True, size=size, opacity=0.6, color=color).encode(
        x=alt.X(f"{x}:Q", scale=alt.Scale(type="log") if log_x else alt.Undefined),
        y=alt.Y(f"{y}:Q", scale=alt.Scale(type="log") if log_y else alt.Undefined),
        tooltip=[alt.Tooltip(f"{c}:Q", format=".4g") for c in (x, y, *tooltip)])


def error_bars(df: pd.DataFrame, x: str, lo: str, hi: str, *, color: str = "#000000") -> alt.Chart:
    """Vertical bars from lo to hi (e.g. a 95% interval), on a log y axis."""
    data = C.finite(df, [x, lo, hi])
    data = data[(data[lo] > 0) & (data[hi] > 0)]
    return alt.Chart(data).mark_rule(color=color, strokeWidth=2).encode(
        x=alt.X(f"{x}:Q"), y=alt.Y(f"{lo}:Q", scale=alt.Scale(type="log")), y2=alt.Y2(f"{hi}:Q"))


def histogram(df: pd.DataFrame, *, title: str, x_title: str) -> alt.Chart:
    """Bars from columns lo, hi, density."""
    return alt.Chart(C.finite(df), title=title, height=C.HEIGHT).mark_rect(
        color="#56B4E9", opacity=0.75, stroke="#ffffff", strokeWidth=0.5).encode(
        x=alt.X("lo:Q", title=x_title), x2=alt.X2("hi:Q"), y=alt.Y("density:Q", title="density"),
        y2=alt.Y2Datum(0),
        tooltip=[alt.Tooltip("lo:Q", format=".3f"), alt.Tooltip("hi:Q", format=".3f"),
                 alt.Tooltip("density:Q", format=".3f")])


def cost_chart(path: pd.DataFrame, escape_step: int | None, law: int | None,
               methods=METHODS) -> tuple[alt.LayerChart, pd.DataFrame]:
    """f - f(saddle) against step for the three runs, in a window that keeps the plateau readable
    (runs that plunge are cut where they leave it), with the escape line at -1, GD's escape step
    and the law's prediction."""
    low = float(path["gap"].min())
    lo = -3.0 if low < -30 else low - 1.0
    hi = max(1.5, float(path["gap"].iloc[0]) + 0.5)
    data = trim(path[["method", "step", "gap"]], "gap", lo, hi)
    parts = [C.lines(data, "step", "gap", series="method", domain=list(methods), y_domain=(lo, hi),
                     x_title="step k", y_title="f(x_k) − f(saddle)",
                     title="Cost relative to the saddle"),
             C.hrules({"1 below the saddle": -1.0})]
    if escape_step is not None:
        parts.append(C.vrule(escape_step, f"GD escapes: step {escape_step}"))
    if law is not None:
        parts.append(C.marker(law, -1.0, f"law: {law}", dy=18))
    return stack(*parts), data


THEORY = {"law": "law ⌈ln(1/δ)/ln(1+2ε)⌉", "law_share": "law with δ·√(k/n)"}


def escape_chart(runs: pd.DataFrame, x: str, x_title: str) -> alt.LayerChart:
    """Measured escape steps (dots, one per run) against ``x`` with the two laws as lines."""
    th = runs.groupby(x, as_index=False)[["law", "law_share"]].first().melt(
        id_vars=x, var_name="curve", value_name="steps")
    th["curve"] = th["curve"].map(THEORY)
    return stack(scatter(runs, x, "steps", log_x=True, tooltip=("k", "v0")),
                 C.lines(th, x, "steps", series="curve", domain=list(THEORY.values()), log_x=True,
                         x_title=x_title, y_title="GD steps to escape",
                         title=f"Escape time against {x_title}"))


def spectrum_chart(hist: pd.DataFrame, theory: pd.DataFrame) -> alt.LayerChart:
    """Histogram of eigenvalues with the semicircle density on top."""
    return stack(histogram(hist, title="Spectrum against the semicircle", x_title="eigenvalue λ"),
                 C.lines(theory.assign(curve="semicircle √(4−λ²)/2π"), "lam", "density",
                         series="curve", x_title="eigenvalue λ"))


def index_chart(index: pd.DataFrame, unshifted: float) -> tuple[alt.LayerChart, pd.DataFrame]:
    """Fraction of negative eigenvalues of H - e I against e, measured and semicircle CDF."""
    data = index.melt(id_vars="level", var_name="curve", value_name="fraction")
    return stack(C.lines(data, "level", "fraction", series="curve", domain=["measured", "theory"],
                         x_title="cost level e (spectrum shifted: H − e·I)",
                         y_title="fraction of negative eigenvalues", title="Index against cost"),
                 C.marker(0.0, unshifted, f"unshifted: {unshifted:.3f}")), data


def p_positive_chart(pos: pd.DataFrame) -> alt.LayerChart:
    """Monte Carlo P(all eigenvalues > 0) with 95% bars, the exp(-(ln 3/4) n^2) rate and 2^-n."""
    curves = pos.melt(id_vars="n", value_vars=["rate", "coin"], var_name="curve", value_name="P")
    curves["curve"] = curves["curve"].map({"rate": "exp(−(ln 3/4) n²)",
                                           "coin": "2⁻ⁿ (book's coin flip, heuristic)"})
    pos = pos[["n", "hits", "p", "lo", "hi"]]  # not the closed-form column: NaN beyond n = 2
    hits = C.finite(pos[pos["hits"] > 0], ["n", "p"])
    dots = alt.Chart(hits).mark_point(filled=True, size=80, color="#000000").encode(
        x=alt.X("n:Q"), y=alt.Y("p:Q", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("n:Q"), alt.Tooltip("hits:Q"), alt.Tooltip("p:Q", format=".3g"),
                 alt.Tooltip("lo:Q", format=".3g"), alt.Tooltip("hi:Q", format=".3g")])
    lines = C.lines(curves, "n", "P", series="curve", log_y=True, y_title="P(all eigenvalues > 0)",
                    title="How rare a minimum is").encode(
        x=alt.X("n:Q", title="matrix size n", axis=alt.Axis(tickMinStep=1, format="d"),
                scale=alt.Scale(domain=[0.5, float(pos["n"].max()) + 0.5], nice=False)))
    return stack(lines, error_bars(pos, "n", "lo", "hi"), dots)


def modes_chart(curves: pd.DataFrame) -> alt.Chart:
    """Each mode's strength u/s against step: gradient descent solid, Saxe's sigmoid dashed."""
    data = curves.assign(measured=curves["measured"] / curves["s"],
                         theory=curves["theory"] / curves["s"]).melt(
        id_vars=["mode", "step"], value_vars=["measured", "theory"], var_name="curve",
        value_name="learned")
    data = C.downsample(data, max_rows=400, by=["mode", "curve"])  # <= ~3,200 rows at 1000 steps
    return C.lines(data, "step", "learned", series="mode", domain=list(dict.fromkeys(curves["mode"])),
                   dash="curve", x_title="step", y_title="mode strength u/s",
                   title="Each mode: plateau, then a jump")


def plateau_chart(sweep: pd.DataFrame) -> alt.LayerChart:
    """Steps to s/2 against s (log-log), one line per initial strength u0, measured dots."""
    sw = sweep.assign(u0=sweep["u0"].map(lambda v: f"u₀ = {v:.0e}"))
    lo, hi = float(sw["s"].min()), float(sw["s"].max())
    return stack(C.lines(sw[["s", "u0", "theory"]], "s", "theory", series="u0", log_x=True,
                         log_y=True, x_title="mode strength s", y_title="steps to reach s/2",
                         title="Plateau length against s and u₀", x_domain=(lo / 1.15, hi * 1.15)),
                 scatter(sw[["s", "measured"]], "s", "measured", log_x=True, log_y=True))
