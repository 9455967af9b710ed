"""Chart builders of the minibatch page: DataFrame in, ``alt.Chart`` out, no Streamlit.

They reuse ui/charts.py (Okabe-Ito colours with a redundant dash per series, log scales) and add
what the page needs beyond it: reference lines at chosen batch sizes and a band of +-2 standard
errors around a measured mean.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui import charts as C

GRAD, NEWTON, BOUND = "gradient g_B", "Newton H⁻¹g_B", "κ × gradient (bound)"


def vrules(values: dict[str, float], *, color: str = "#555555") -> alt.LayerChart:
    """Vertical reference lines with a label at the top: {label: x}."""
    data = C.finite(pd.DataFrame({"label": list(values), "x": list(values.values())}), ["x"])
    base = alt.Chart(data).encode(x="x:Q")
    return alt.layer(base.mark_rule(color=color, strokeDash=[4, 4], strokeWidth=1.5),
                     base.mark_text(align="left", dx=4, y=10, color=color, fontSize=12)
                     .encode(text="label:N"))


def error_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Part 1's tidy plotting frame: columns batch, series, curve ('measured' | 'theory'), error."""
    g = curves[curves["quantity"] == "gradient"]
    n = curves[curves["quantity"] == "newton"]
    parts = [pd.DataFrame({"batch": d["batch"], "series": s, "curve": c, "error": d[col]})
             for d, s in ((g, GRAD), (n, NEWTON)) for c, col in (("measured", "measured"),
                                                                   ("theory", "theory"))]
    parts.append(pd.DataFrame({"batch": n["batch"], "series": BOUND, "curve": "measured",
                               "error": n["bound"]}))
    return pd.concat(parts, ignore_index=True)


def error_vs_batch(df: pd.DataFrame, target: float, match: float) -> alt.LayerChart:
    """Relative error of g_B and H^-1 g_B against B (log-log), with the 100 / 10,000 markers."""
    ch = C.lines(df, "batch", "error", series="series", domain=[GRAD, NEWTON, BOUND], dash="curve",
                 dash_domain=["measured", "theory"], log_x=True, log_y=True,
                 x_title="batch size B (log)", y_title="relative RMS error (log)",
                 title="Error of the minibatch estimate against the full-data one")
    ch = ch + vrules({"B = 100": 100, "B = 10,000": 10_000}) + C.hrules(
        {f"gradient error at B = 100: {target:.3g}": target})
    if np.isfinite(match):
        ch = ch + C.marker(match, target, f"Newton matches: B ≈ {match:,.0f}", color="#E69F00",
                           dx=-9, dy=18, align="right")
    return ch


def match_vs_kappa(df: pd.DataFrame, kappa: float, match: float) -> alt.LayerChart:
    """Batch the Newton direction needs against kappa: this problem and the kappa^2 worst case."""
    df = df[df["batch"] <= 1e8]  # the kappa^2 line leaves the chart: cut it, do not flatten it
    ch = C.lines(df, "kappa", "batch", series="case", domain=["this problem", "worst case κ²"],
                 log_x=True, log_y=True, y_domain=(30, 1e8), x_title="condition number κ (log)",
                 y_title="batch B for H⁻¹g_B to match g at B = 100",
                 title="Batch the Newton direction needs")
    ch = ch + C.hrules({"book: about 10,000": 10_000})
    if np.isfinite(match):
        ch = ch + C.marker(kappa, match, "measured here", color="#D55E00", dx=-9, align="right")
    return ch


def band_line(df: pd.DataFrame, x: str, y: str, se: str, *, x_title: str, y_title: str,
              title: str, color: str = C.OKABE_ITO[0]) -> alt.LayerChart:
    """A measured mean with a +-2 standard error band."""
    data = C.finite(df.assign(lo=df[y] - 2 * df[se], hi=df[y] + 2 * df[se]), [x, y, "lo", "hi"])
    base = alt.Chart(data, title=title, height=C.HEIGHT)
    band = base.mark_area(opacity=0.25, color=color).encode(
        x=alt.X(f"{x}:Q", title=x_title), y=alt.Y("lo:Q", title=y_title), y2="hi:Q")
    line = base.mark_line(color=color, strokeWidth=2.5, point=True).encode(
        x=f"{x}:Q", y=f"{y}:Q", tooltip=[f"{x}:Q", alt.Tooltip(f"{y}:Q", format=".3f"),
                                        alt.Tooltip(f"{se}:Q", format=".3f")])
    return alt.layer(band, line)


def symlog_x(chart: alt.Chart, field: str, title: str) -> alt.Chart:
    """The same chart with a symlog x axis: log-like, but 0 (the starting point) stays visible."""
    return chart.encode(x=alt.X(f"{field}:Q", title=title, scale=alt.Scale(type="symlog")))
