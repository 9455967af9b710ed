"""Altair chart builders shared by the pages: a DataFrame in, an ``alt.Chart`` out, no Streamlit.

One visual grammar for every page: tidy long-form data, explicit field types, the Okabe-Ito
colour-blind-safe palette with a redundant dash (or shape) per series, log scales where values span
decades, and fonts big enough for a projector. Non-positive values are filtered out of log axes,
and nothing non-finite is passed on (see :func:`finite`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui import altair_speed  # noqa: F401  (no build-time validation, fast copies)

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 2])
HEIGHT = 360


def finite(df: pd.DataFrame, fields: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows whose numeric ``fields`` (default: all numeric columns) are finite."""
    num = df[list(fields)] if fields is not None else df.select_dtypes("number")
    return df[np.isfinite(num.to_numpy(dtype=float)).all(axis=1)]


def downsample(df: pd.DataFrame, max_rows: int = 1500, by: str | None = None) -> pd.DataFrame:
    """Keep at most about ``max_rows`` rows (per group ``by``): every k-th row and the last one."""
    def one(g):
        k = max(1, int(np.ceil(len(g) / max_rows)))
        keep = np.zeros(len(g), dtype=bool)
        keep[::k] = True
        keep[-1] = True
        return g[keep]
    if by is None:
        return one(df)
    return pd.concat([one(g) for _, g in df.groupby(by, sort=False)], ignore_index=True)


def _scale(log: bool, domain=None, **kw):
    """A scale: log or linear; ``domain`` (lo, hi) written into the specification, or "data":
    exactly the extent of the layers' data (no rounding, no forced zero; see :func:`extent`)."""
    if log:
        kw["type"] = "log"
    if isinstance(domain, str) and domain == "data":
        kw.update(zero=False, nice=False)
    elif domain is not None:
        kw.update(domain=list(domain), clamp=True)
    return alt.Scale(**kw) if kw else alt.Undefined


DATA_DOMAIN = _scale(False, "data")


def extent(x: str, y: str, x_at: float, lo: float, hi: float) -> alt.Chart:
    """An invisible layer whose two points span [lo, hi] on the y-axis (at x = ``x_at``).

    Layered with charts whose y-scales are ``"data"`` (see :func:`_scale`), it makes the axis
    run from lo to hi through the chart's data instead of through a domain written into its
    specification. Streamlit's browser side swaps a chart's data in place when only the data
    changed, but rebuilds the whole chart when its specification changed, several times slower;
    a range computed from the numbers therefore belongs in the data. The other layers must stay
    inside [lo, hi] (cut them first), since the axis covers all of the data."""
    return span(x, [x_at, x_at], y, [lo, hi])


def span(x: str, xs: Sequence[float], y: str, ys: Sequence[float]) -> alt.Chart:
    """Invisible points (xs, ys) in the fields ``x`` and ``y``: the ranges of both axes as data
    (:func:`extent` for the y-axis alone)."""
    return alt.Chart(pd.DataFrame({x: np.asarray(xs, dtype=float), y: np.asarray(ys, dtype=float)})
                     ).mark_point(opacity=0, size=0).encode(x=alt.X(f"{x}:Q"), y=alt.Y(f"{y}:Q"))


def series_encoding(field: str, domain: Sequence[str] | None, title: str | None = None,
                    dash: bool = True, colors: Sequence[str] = OKABE_ITO, legend_orient: str = "top",
                    legend_columns: int | None = None, sort_by: str | None = None):
    """Colour (and dash) encodings of one categorical field with a fixed order of series.
    ``legend_columns`` lays long legends out in that many columns (default: 2 when the
    labels are long, else one row).

    With ``sort_by`` (a numeric field) instead of a ``domain``, the series are ordered by it and
    their names come from the data: a legend whose names follow a knob (B = 10, B = 100, ...)
    then leaves the chart's specification alone (see :func:`extent` for why that matters)."""
    if sort_by is not None:
        n, sort = len(colors), alt.EncodingSortField(field=sort_by, op="min")
        scales = {"color": alt.Scale(range=list(colors)), "dash": alt.Scale(range=list(DASHES[:n]))}
        legend_columns = legend_columns or 3
    else:
        n, sort = len(domain), alt.Undefined
        scales = {"color": alt.Scale(domain=list(domain), range=list(colors[:n])),
                  "dash": alt.Scale(domain=list(domain), range=list(DASHES[:n]))}
        if legend_columns is None:
            legend_columns = 2 if sum(len(str(d)) for d in domain) > 40 else n
    legend = alt.Legend(orient=legend_orient, title=title, labelLimit=320, columns=legend_columns)
    enc = {"color": alt.Color(f"{field}:N", title=title, legend=legend, sort=sort,
                              scale=scales["color"])}
    if dash:
        enc["strokeDash"] = alt.StrokeDash(f"{field}:N", title=title, legend=legend, sort=sort,
                                           scale=scales["dash"])
    return enc


def lines(df: pd.DataFrame, x: str, y: str, *, series: str | None = None,
          domain: Sequence[str] | None = None, dash: str | None = None,
          dash_domain: Sequence[str] | None = None, log_x: bool = False, log_y: bool = False,
          x_title: str = "", y_title: str = "", title: str = "", y_domain=None, x_domain=None,
          height: int = HEIGHT, tooltip: Sequence[str] = (), points: bool = False,
          series_sort: str | None = None) -> alt.Chart:
    """Lines of y against x, one per value of ``series`` (colour, and dash unless ``dash`` names
    another field: then colour tells the series and dash tells e.g. measured versus theory).
    ``series_sort`` orders the series by a numeric field instead of ``domain`` (see
    :func:`series_encoding`)."""
    data = finite(df, [x, y])
    if log_y:
        data = data[data[y] > 0]
    if log_x:
        data = data[data[x] > 0]
    cols = [c for c in dict.fromkeys(([series] if series else []) + ([dash] if dash else [])
                                     + [x, y] + list(tooltip))]
    enc = dict(
        x=alt.X(f"{x}:Q", title=x_title or x, scale=_scale(log_x, x_domain)),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=_scale(log_y, y_domain)),
        tooltip=[alt.Tooltip(f"{c}:Q", format=".4g") if pd.api.types.is_numeric_dtype(df[c])
                 else alt.Tooltip(f"{c}:N") for c in cols],
    )
    if series:
        enc.update(series_encoding(series, None, dash=dash is None, sort_by=series_sort)
                   if series_sort else
                   series_encoding(series, domain or list(dict.fromkeys(data[series])),
                                   dash=dash is None))
    if dash:
        dd = list(dash_domain or dict.fromkeys(data[dash]))
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None, legend=alt.Legend(orient="bottom"),
                                           scale=alt.Scale(domain=dd, range=list(DASHES[: len(dd)])))
    line = dict(strokeWidth=2.5, clip=True)
    if points:
        line["point"] = True
    return alt.Chart(data, title=title or alt.Undefined, height=height).mark_line(**line).encode(**enc)


# The small layered helpers below give their data to the layer, not to each mark: Altair would
# otherwise hash the two marks' (equal) frames to hoist them, which cost more than the rest.
def hrules(values: dict[str, float], *, color: str = "#555555", dash=(4, 4)) -> alt.LayerChart:
    """Horizontal reference lines with a text label at the left end: {label: y}."""
    data = pd.DataFrame({"label": list(values), "y": list(values.values())})
    data = finite(data, ["y"])
    base = alt.Chart().encode(y=alt.Y("y", type="quantitative"))
    rule = base.mark_rule(color=color, strokeDash=list(dash), strokeWidth=2)
    text = base.mark_text(align="left", baseline="bottom", dx=4, dy=-3, color=color, fontSize=13,
                          x=0).encode(text=alt.Text("label", type="nominal"))
    return alt.layer(rule, text, data=data)


def vrule(x: float, label: str, *, color: str = "#D55E00") -> alt.LayerChart:
    """A vertical marker (e.g. the step where a run diverged) with its label."""
    data = pd.DataFrame({"x": [x], "label": [label]})
    base = alt.Chart().encode(x=alt.X("x", type="quantitative"))
    return alt.layer(base.mark_rule(color=color, strokeWidth=2.5),
                     base.mark_text(align="left", dx=5, y=8, color=color, fontSize=13,
                                    fontWeight="bold").encode(text=alt.Text("label", type="nominal")),
                     data=data)


# What the browser evaluates for every data point on every redraw, trimmed. Streamlit runs Vega
# expressions through an interpreter (no eval, for its content security policy), so each
# per-point expression costs: on the line-heavy parts these two took up to 20 ms of a 150-180 ms
# change.
# - aria=False: no per-point ARIA description string ("step: 3; loss: 0.52") for each of the
#   hundreds of points of a line; axes, legends and titles keep theirs.
# - invalid=None: no per-point finiteness test; every chart's data is finite already (ui.charts
#   .finite, and tests/test_robustness.py checks every page at every knob's extremes).
MARK_CONFIG = alt.MarkConfig(aria=False, invalid=None)


def finish(chart, legend_orient: str = "top"):
    """Projector-sized fonts on a finished (possibly layered) chart, and the lean per-point
    settings of MARK_CONFIG. One configure() call: each configure_* method deep-copies the whole
    chart."""
    return chart.configure(
        axis=alt.AxisConfig(labelFontSize=13, titleFontSize=14, grid=True, gridOpacity=0.4),
        legend=alt.LegendConfig(labelFontSize=13, titleFontSize=13, orient=legend_orient,
                                symbolStrokeWidth=3, symbolSize=220),
        title=alt.TitleConfig(fontSize=15, anchor="start"), mark=MARK_CONFIG)


def marker(x: float, y: float, label: str, *, color: str = "#000000", shape: str = "diamond",
           dx: int = 9, dy: int = -9, align: str = "left") -> alt.LayerChart:
    """One labelled point (e.g. 'your lr' on a curve); dx, dy, align place the label."""
    data = finite(pd.DataFrame({"x": [x], "y": [y], "label": [label]}), ["x", "y"])
    base = alt.Chart().encode(x=alt.X("x", type="quantitative"), y=alt.Y("y", type="quantitative"))
    return alt.layer(base.mark_point(shape=shape, size=180, filled=True, color=color, clip=True),
                     base.mark_text(align=align, dx=dx, dy=dy, fontSize=13, color=color,
                                    fontWeight="bold").encode(text=alt.Text("label", type="nominal")),
                     data=data)


def scrub_path(path: pd.DataFrame, *, x: str, y: str, series: str, domain: Sequence[str],
               background: alt.Chart | None = None, x_title: str = "", y_title: str = "",
               x_domain=None, y_domain=None, height: int = HEIGHT + 60) -> alt.LayerChart:
    """Optimizer paths (columns step, x, y, series) drawn up to a step chosen with a slider inside
    the chart: the scrubbing happens in the browser, with no rerun of the page."""
    data = finite(path, [x, y])
    last = int(data["step"].max()) if len(data) else 0
    step = alt.param(name="step", value=last,
                     bind=alt.binding_range(min=0, max=max(last, 1), step=1, name="Step "))
    enc = dict(x=alt.X(f"{x}:Q", title=x_title or x, scale=_scale(False, x_domain)),
               y=alt.Y(f"{y}:Q", title=y_title or y, scale=_scale(False, y_domain)),
               **series_encoding(series, domain))
    base = alt.Chart(data, height=height)
    trail = base.mark_line(point=alt.OverlayMarkDef(size=25), strokeWidth=2, clip=True).encode(
        order=alt.Order("step:Q"), **enc).transform_filter(alt.datum.step <= step)
    head = base.mark_point(size=260, filled=True, shape="circle", opacity=1, clip=True).encode(
        x=enc["x"], y=enc["y"], color=enc["color"],
        tooltip=[alt.Tooltip(f"{series}:N"), alt.Tooltip("step:Q"), alt.Tooltip(f"{x}:Q", format=".4g"),
                 alt.Tooltip(f"{y}:Q", format=".4g")],
    ).transform_filter(alt.datum.step == step)
    layers = ([background] if background is not None else []) + [trail, head]
    return alt.layer(*layers).add_params(step)


def level_curves(curves: pd.DataFrame, *, x: str = "u", y: str = "v", group: str = "level",
                 order: str = "t") -> alt.Chart:
    """Closed level-set curves (one polyline per ``group``) in light grey, as a backdrop."""
    return alt.Chart(finite(curves, [x, y])).mark_line(color="#9a9a9a", strokeWidth=1.2,
                                                       clip=True).encode(
        x=f"{x}:Q", y=f"{y}:Q", detail=f"{group}:N", order=f"{order}:Q")


def points(df: pd.DataFrame, x: str, y: str, *, shape: str, domain: Sequence[str],
           log_y: bool = False, colors: Sequence[str] = ("#555555", "#D55E00"),
           shapes: Sequence[str] = ("circle", "triangle-up")) -> alt.Chart:
    """Points whose colour and shape both tell their category (e.g. cost fell / cost rose)."""
    data = finite(df, [x, y])
    if log_y:
        data = data[data[y] > 0]
    legend = alt.Legend(orient="top", title=None)
    return alt.Chart(data).mark_point(filled=True, size=30, opacity=0.8, clip=True).encode(
        x=f"{x}:Q", y=alt.Y(f"{y}:Q", scale=_scale(log_y)),
        color=alt.Color(f"{shape}:N", legend=legend,
                        scale=alt.Scale(domain=list(domain), range=list(colors[: len(domain)]))),
        shape=alt.Shape(f"{shape}:N", legend=legend,
                        scale=alt.Scale(domain=list(domain), range=list(shapes[: len(domain)]))),
        tooltip=[f"{x}:Q", alt.Tooltip(f"{y}:Q", format=".4g"), f"{shape}:N"])
