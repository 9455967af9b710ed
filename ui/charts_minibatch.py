"""Chart builders of the minibatch page: DataFrame in, ``alt.Chart`` out, no Streamlit.

They reuse ui/charts.py (Okabe-Ito colours with a redundant dash per series, log scales) and add
what the page needs beyond it: reference lines at chosen batch sizes and a band of +-2 standard
errors around a measured mean. The page-level builders (``*_chart``, ``error_vs_batch``,
``match_vs_kappa``) return finished charts and depend on their arguments only, so the page builds
them through ``ui.show.chart_spec`` (once per distinct input, shared by every session).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui import charts as C

GRAD, NEWTON, BOUND = "gradient g_B", "Newton H⁻¹g_B", "κ × gradient (bound)"


def stack(*charts) -> alt.LayerChart:
    """One flat layer of charts, layers and lists of charts (cheaper to build and serialize than
    chained '+'; a list of marks on one frame also skips alt.layer's hoisting of their shared
    data, which hashes the frame's text)."""
    parts = []
    for ch in charts:
        if isinstance(ch, (list, tuple)):
            parts.extend(ch)
        elif not isinstance(ch, alt.LayerChart):
            parts.append(ch)
        else:
            for sub in ch.layer:  # alt.layer hoists shared data to the parent: hand it back
                parts.append(sub.properties(data=ch.data) if sub.data is alt.Undefined else sub)
    return alt.layer(*parts)


def vrules(values: dict[str, float], *, color: str = "#555555") -> list[alt.Chart]:
    """Vertical reference lines with a label at the top: {label: x} (marks for :func:`stack`)."""
    data = C.finite(pd.DataFrame({"label": list(values), "x": list(values.values())}), ["x"])
    base = alt.Chart(data).encode(x=alt.X("x:Q"))
    return [base.mark_rule(color=color, strokeDash=[4, 4], strokeWidth=1.5),
            base.mark_text(align="left", dx=4, y=10, color=color, fontSize=12)
            .encode(text=alt.Text("label:N"))]


def error_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Part 1's tidy plotting frame: columns batch, series, curve ('measured' | 'theory'), error."""
    q = curves["quantity"].to_numpy()
    g, n = (q == "gradient"), (q == "newton")
    cols = {c: curves[c].to_numpy() for c in ("batch", "measured", "theory", "bound")}
    # one frame built from arrays (this runs on every rerun: a concat of five frames cost ~3 ms)
    parts = [(g, GRAD, "measured", "measured"), (g, GRAD, "theory", "theory"),
             (n, NEWTON, "measured", "measured"), (n, NEWTON, "theory", "theory"),
             (n, BOUND, "measured", "bound")]
    sizes = [int(m.sum()) for m, *_ in parts]
    return pd.DataFrame({
        "batch": np.concatenate([cols["batch"][m] for m, *_ in parts]),
        "series": np.repeat([s for _, s, _, _ in parts], sizes),
        "curve": np.repeat([c for _, _, c, _ in parts], sizes),
        "error": np.concatenate([cols[col][m] for m, _, _, col in parts])})


def error_vs_batch(df: pd.DataFrame, target: float, match: float) -> alt.LayerChart:
    """Relative error of g_B and H^-1 g_B against B (log-log), with the 100 / 10,000 markers.
    The kappa bound is drawn only up to 30 times the largest measured error, so a huge kappa does
    not squash the measured curves."""
    top = 30 * df.loc[df["series"] != BOUND, "error"].max()
    df = df[(df["series"] != BOUND) | (df["error"] <= top)]
    ch = C.lines(df, "batch", "error", series="series", domain=[GRAD, NEWTON, BOUND], dash="curve",
                 dash_domain=["measured", "theory"], log_x=True, log_y=True,
                 x_title="batch size B (log)", y_title="relative RMS error (log)",
                 title="Error of the minibatch estimate against the full-data one")
    extra = [vrules({"B = 100": 100, "B = 10,000": 10_000}),
             C.hrules({f"gradient error at B = 100: {target:.3g}": target})]
    if np.isfinite(match):
        extra.append(C.marker(match, target, f"Newton matches: B ≈ {match:,.0f}", color="#E69F00",
                              dx=-9, dy=18, align="right"))
    return C.finish(stack(ch, *extra))


def match_vs_kappa(df: pd.DataFrame, kappa: float, match: float) -> alt.LayerChart:
    """Batch the Newton direction needs against kappa: this problem and the kappa^2 worst case."""
    df = df[df["batch"] <= 1e8]  # the kappa^2 line leaves the chart: cut it, do not flatten it
    ch = C.lines(df, "kappa", "batch", series="case", domain=["this problem", "worst case κ²"],
                 log_x=True, log_y=True, y_domain=(30, 1e8), x_title="condition number κ (log)",
                 y_title="batch B for H⁻¹g_B to match g at B = 100",
                 title="Batch the Newton direction needs")
    extra = [C.hrules({"book: about 10,000": 10_000})]
    if np.isfinite(match):
        extra.append(C.marker(kappa, match, "measured here", color="#D55E00", dx=-9, align="right"))
    return C.finish(stack(ch, *extra))


def band_line(df: pd.DataFrame, x: str, y: str, se: str, *, x_title: str, y_title: str,
              title: str, color: str = C.OKABE_ITO[0]) -> list[alt.Chart]:
    """A measured mean with a +-2 standard error band (marks for :func:`stack`)."""
    data = C.finite(df.assign(lo=df[y] - 2 * df[se], hi=df[y] + 2 * df[se]), [x, y, "lo", "hi"])
    base = alt.Chart(data, title=title, height=C.HEIGHT)
    band = base.mark_area(opacity=0.25, color=color).encode(
        x=alt.X(f"{x}:Q", title=x_title), y=alt.Y("lo:Q", title=y_title), y2=alt.Y2("hi:Q"))
    line = base.mark_line(color=color, strokeWidth=2.5, point=True).encode(
        x=alt.X(f"{x}:Q"), y=alt.Y(f"{y}:Q"),
        tooltip=[alt.Tooltip(f"{x}:Q"), alt.Tooltip(f"{y}:Q", format=".3f"),
                 alt.Tooltip(f"{se}:Q", format=".3f")])
    return [band, line]


def symlog_x(chart: alt.Chart, field: str, title: str) -> alt.Chart:
    """The same chart with a symlog x axis: log-like, but 0 (the starting point) stays visible;
    ticks at 0, 1, 10, 100, ... up to the data's largest x."""
    top = float(chart.data[field].max()) if len(chart.data) else 1.0
    ticks = [0] + [10**e for e in range(9) if 10**e <= top]
    return chart.encode(x=alt.X(f"{field}:Q", title=title, scale=alt.Scale(type="symlog"),
                                axis=alt.Axis(values=ticks, labelExpr="format(datum.value, ',')")))


def by_order(df: pd.DataFrame, y: str, orders, batch: int, *, y_title: str, title: str,
             log_y: bool = True, dash: str | None = None, y_domain=None,
             zero: bool = False) -> alt.LayerChart:
    """Part 2: a quantity against batch size, one colour per order, a rule at the page's B (and
    a reference line at 0 labelled 'independent' when ``zero``)."""
    ch = C.lines(df, "batch", y, series="order", domain=list(orders), dash=dash, log_x=True,
                 log_y=log_y, x_title="batch size B (log)", y_title=y_title, title=title,
                 y_domain=y_domain)
    return stack(ch, C.vrule(batch, "your B"), *([C.hrules({"independent": 0.0})] if zero else []))


def variance_chart(variance: pd.DataFrame, orders, batch: int) -> alt.LayerChart:
    """Part 2: variance of the batch mean against B per order, measured (solid) and theory
    (dashed), with a rule at the page's B."""
    var = variance.melt(id_vars=["batch", "order"], value_vars=["measured", "theory"],
                        var_name="curve", value_name="variance")
    return C.finish(by_order(var, "variance", orders, batch, dash="curve",
                             title="Contiguous batches keep the patient's variance τ²",
                             y_title="variance of the batch mean (log)"))


def trace_chart(trace: pd.DataFrame, orders) -> alt.Chart:
    """Part 2: the minibatch gradient error step by step over one epoch, per order. (The batch
    size is in the page's caption, not the title: a title that changes with B would make the
    browser rebuild the chart instead of swapping its data; see ui.charts.extent.)"""
    return C.finish(C.lines(trace, "step", "error", series="order", domain=list(orders),
                            x_title="step (one epoch)", y_title="minibatch gradient error",
                            title="Successive minibatch gradients"))


def correlation_chart(correlation: pd.DataFrame, orders, batch: int) -> alt.LayerChart:
    """Part 2: lag-1 correlation of successive minibatch errors against B, per order."""
    return C.finish(by_order(correlation, "measured", orders, batch, log_y=False,
                             y_domain=(-0.3, 1.0), y_title="correlation of successive errors",
                             zero=True, title="Successive estimates are not independent"))


def reuse_chart(trace: pd.DataFrame, fit_gap: float, steps_per_epoch: int, epochs: int):
    """Part 2: bias of the minibatch loss over SGD steps, epoch boundaries marked."""
    ch = band_line(trace, "step", "gap", "se", x_title="SGD step",
                   y_title="minibatch loss − true loss", title="Reusing examples biases the estimate")
    return C.finish(stack(ch, C.hrules({"unbiased": 0.0,
                                        f"gap at the exact fit {fit_gap:.2f}": fit_gap}),
                          vrules({f"epoch {e + 1}": e * steps_per_epoch + 0.5
                                  for e in range(1, epochs)})))


def loss_chart(history: pd.DataFrame, x: str) -> alt.Chart:
    """Part 3: the true excess loss of each SGD run against steps or examples (symlog x), runs in
    the order they appear in ``history``."""
    name = {"step": "steps"}.get(x, x)
    ch = C.lines(history, x, "loss", series="run", series_sort="batch",
                 log_y=True, y_title="excess true loss (log)", title=f"Loss against {name}")
    return C.finish(symlog_x(ch, x, f"{name} processed (symlog)"))


def noise_chart(noise: pd.DataFrame, batch: int) -> alt.LayerChart:
    """Part 3: B_simple (measured and closed form) and B_noise along the run at B = ``batch``
    (named by the rule's label and the page's caption, not the title: see ui.charts.extent)."""
    qs = ["B_simple (data)", "B_simple", "B_noise"]
    ch = symlog_x(C.lines(noise, "step", "value", series="quantity", domain=qs, log_y=True,
                          y_title="batch size (log)", title="Gradient noise scale along your run"),
                  "step", "step (symlog)")
    return C.finish(stack(ch, C.hrules({f"your B = {batch:,}": batch})))


def step_chart(curves: pd.DataFrame, learning_rate: float, batch: int) -> alt.LayerChart:
    """Part 3: the stability limit and the best step against batch size, with the page's lr, B."""
    ch = C.lines(curves, "batch", "learning_rate", series="curve", log_x=True, log_y=True,
                 x_title="batch size B (log)", y_title="learning rate ε (log)",
                 title="Which step each batch allows")
    return C.finish(stack(ch, C.hrules({f"your ε = {learning_rate:g}": learning_rate}),
                          C.vrule(batch, "your B")))
