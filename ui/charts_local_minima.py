"""Chart builders of the local-minima page: a DataFrame in, an ``alt.Chart`` out, no Streamlit.

The page-level builders (``*_chart``, ``cost_histogram``, ``width_strip``) return finished charts
and depend on their arguments only, so the page builds them through ``ui.show.chart_spec`` (once
per distinct input, shared by every session)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.local_minima_symmetry import toy_cost
from ui import charts as C

OUTCOMES = ["reached the best", "ended higher"]
OUTCOME_COLORS = ["#009E73", "#D55E00"]
MAX_LINES = 60  # restarts drawn as individual lines


def _outcome_color(title: str | None = None):
    return alt.Color("outcome:N", title=title, legend=alt.Legend(orient="top", title=title),
                     scale=alt.Scale(domain=OUTCOMES, range=OUTCOME_COLORS))


def _outcome_dash():
    return alt.StrokeDash("outcome:N", legend=alt.Legend(orient="top", title=None),
                          scale=alt.Scale(domain=OUTCOMES, range=[[1, 0], [6, 3]]))


def legend_columns(chart: alt.Chart, columns: int) -> alt.Chart:
    """A chart from ui.charts.lines with its colour/dash legend laid out in ``columns`` columns
    (long series names would otherwise run off the right edge)."""
    legend = alt.Legend(orient="top", title=None, columns=columns, labelLimit=400, symbolStrokeWidth=3)
    for channel in ("color", "strokeDash"):
        enc = getattr(chart.encoding, channel, alt.Undefined)
        if enc is not alt.Undefined:
            enc.legend = legend
    return chart


def cost_bins(final: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The histogram of the finite final costs, per outcome: columns start, end, outcome, count
    (bins of 0.01 from 0, coarser past a cost of 1: at most about 100 bins), and the right end
    of the axis (at least 0.2, and past the largest cost)."""
    data = C.finite(final, ["cost"])
    top = float(data["cost"].max()) if len(data) else 0.0
    hi = max(0.2, float(np.ceil((top + 0.03) * 20) / 20))
    step = 0.01 if hi <= 1 else float(10 ** np.ceil(np.log10(hi / 50)))
    hi = float(np.ceil(hi / step) * step)
    k = np.floor(data["cost"].to_numpy() / step).astype(int)
    counts = (pd.DataFrame({"k": k, "outcome": data["outcome"].to_numpy()})
              .groupby(["k", "outcome"], as_index=False).size().rename(columns={"size": "count"}))
    counts.insert(0, "start", counts["k"] * step)
    counts.insert(1, "end", (counts["k"] + 1) * step)
    return counts.drop(columns="k"), hi


def cost_histogram(final: pd.DataFrame, best: float, tol: float, num_steps: int) -> alt.LayerChart:
    """Final costs of the restarts, stacked by outcome, with the 'best + tolerance' line.

    Binned here rather than by Vega-Lite: its bins' extent would be written into the chart's
    specification, which would then change with the costs (see ui.charts.extent)."""
    counts, hi = cost_bins(final)
    bars = alt.Chart(counts, height=C.HEIGHT, title="Final cost of every restart").mark_bar(
        orient="vertical", stroke="white", strokeWidth=0.5).encode(
        x=alt.X("start:Q", title=f"final cost L after {num_steps} steps", axis=alt.Axis(format=".2f"),
                scale=C.DATA_DOMAIN),
        x2=alt.X2("end:Q"),
        y=alt.Y("count:Q", title="restarts", stack=True),
        color=_outcome_color(),
        tooltip=[alt.Tooltip("start:Q", title="cost from", format=".2f"),
                 alt.Tooltip("end:Q", title="to", format=".2f"),
                 alt.Tooltip("count:Q", title="restarts"), alt.Tooltip("outcome:N")])
    layers = [bars, C.span("start", [0, hi], "count", [0, 0])]  # the x-axis from 0 to hi
    if np.isfinite(best):
        layers.append(C.vrule(best + tol, f"best + {tol:g}", color="#555555"))
    return C.finish(alt.layer(*layers))


def width_strip(sweep: pd.DataFrame, width: int) -> alt.LayerChart:
    """Final cost of each restart against the width (deterministically jittered dots), with the
    fraction that reached the lowest cost found at any width written above each column."""
    data = C.finite(sweep, ["cost"]).copy()
    data["x"] = data["width"] + ((data["restart"] * 0.618034) % 1.0 - 0.5) * 0.5
    frac = (sweep.assign(hit=sweep["outcome"] == OUTCOMES[0]).groupby("width", as_index=False)
            ["hit"].mean())
    frac["label"] = (100 * frac["hit"]).round().astype(int).astype(str) + "%"
    gone = sweep.groupby("width")["cost"].apply(lambda c: c.isna().all()).to_numpy()
    frac.loc[gone, "label"] = "—"
    top = max(0.55, float(data["cost"].max()) if len(data) else 0.55) * 1.08
    frac["y"] = top
    ws = sorted(sweep["width"].unique())
    x = alt.X("x:Q", title="hidden width n", scale=alt.Scale(domain=[ws[0] - 0.6, ws[-1] + 0.6]),
              axis=alt.Axis(values=ws, format="d"))
    band = alt.Chart(pd.DataFrame({"a": [width - 0.45], "b": [width + 0.45]})).mark_rect(
        color="#56B4E9", opacity=0.15).encode(x=alt.X("a:Q"), x2=alt.X2("b:Q"))
    dots = alt.Chart(data, height=C.HEIGHT, title="Final costs as the net gets wider").mark_point(
        filled=True, size=45, opacity=0.8).encode(
        x=x, y=alt.Y("cost:Q", title="final cost L", scale=alt.Scale(domain=[0, top * 1.04])),
        color=_outcome_color(), shape=alt.Shape("outcome:N", legend=alt.Legend(orient="top", title=None),
                                                scale=alt.Scale(domain=OUTCOMES,
                                                                range=["circle", "triangle-up"])),
        tooltip=[alt.Tooltip("width:Q"), alt.Tooltip("restart:Q"), alt.Tooltip("cost:Q", format=".3g"),
                 alt.Tooltip("outcome:N")])
    text = alt.Chart(frac).mark_text(fontSize=13, fontWeight="bold", color="#009E73").encode(
        x=alt.X("width:Q"), y=alt.Y("y:Q"), text=alt.Text("label:N"))
    return C.finish(alt.layer(band, dots, text))


def restart_lines(data: pd.DataFrame, x: str, field: str, *, x_title: str, y_title: str, title: str,
                  log_y: bool = True) -> alt.Chart:
    """One thin line per restart (the first MAX_LINES), coloured and dashed by outcome."""
    data = C.finite(data[(data["restart"] < MAX_LINES) & data["outcome"].isin(OUTCOMES)], [field, x])
    if log_y:
        data = data[data[field] > 0]
    return alt.Chart(data, height=C.HEIGHT, title=title).mark_line(
        strokeWidth=1.3, opacity=0.6, clip=True).encode(
        x=alt.X(f"{x}:Q", title=x_title),
        y=alt.Y(f"{field}:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Undefined),
        detail=alt.Detail("restart:N"), color=_outcome_color(), strokeDash=_outcome_dash(),
        tooltip=[alt.Tooltip("restart:Q"), alt.Tooltip("outcome:N"), alt.Tooltip(f"{field}:Q", format=".3g")])


def toy_chart(toy) -> alt.LayerChart:
    """f(x) with the starts coloured by the minimum gradient descent reached from them."""
    g, m, b = toy.critical
    curve = alt.Chart(toy.curve, height=C.HEIGHT, title="f(x) = x⁴ − 3x² + x: a genuinely bad minimum"
                      ).mark_line(color="#555555", strokeWidth=2.5).encode(
        x=alt.X("x:Q", title="x"), y=alt.Y("f:Q", title="f(x)"))
    starts = toy.starts.assign(ended=toy.starts["minimum"].map(
        {"global": "rolled to the global minimum", "bad": "rolled to the bad minimum"}))
    dom = ["rolled to the global minimum", "rolled to the bad minimum"]
    dots = alt.Chart(starts).mark_point(filled=True, size=60, opacity=0.85).encode(
        x=alt.X("x0:Q"), y=alt.Y("f0:Q"),
        color=alt.Color("ended:N", legend=alt.Legend(orient="top", title=None),
                        scale=alt.Scale(domain=dom, range=OUTCOME_COLORS)),
        shape=alt.Shape("ended:N", legend=alt.Legend(orient="top", title=None),
                        scale=alt.Scale(domain=dom, range=["circle", "triangle-up"])),
        tooltip=[alt.Tooltip("x0:Q", format=".3f"), alt.Tooltip("x_end:Q", format=".3f"),
                 alt.Tooltip("minimum:N")])
    return C.finish(alt.layer(
        curve, dots,
        C.marker(g, float(toy_cost(g)), "global minimum", color="#009E73", dx=12, dy=4),
        C.marker(b, float(toy_cost(b)), "bad minimum", color="#D55E00", dy=22, align="center",
                 dx=0),
        C.vrule(m, "basin edge", color="#555555")))


def permutation_chart(paths: pd.DataFrame) -> alt.Chart:
    """Part 1: the cost along straight lines from the best restart to its permuted copies."""
    return C.finish(legend_columns(C.lines(
        paths, "alpha", "cost", series="symmetry", y_title="cost L",
        x_title="α (0 = best restart θ*, 1 = its permuted copy πθ*)",
        title="Straight line from a solution to its permuted copy"), 2))


def grad_norm_chart(history: pd.DataFrame) -> alt.Chart:
    """Part 2: the gradient norm of each restart over training (log scale)."""
    return C.finish(restart_lines(history, "step", "grad_norm", x_title="step",
                                  y_title="‖g‖ (log scale)",
                                  title="The book's test: gradient norm over training"))


def twins_chart(twins: pd.DataFrame) -> alt.Chart:
    """Part 3: the first incoming weight of two hidden units, from identical and random starts."""
    return C.finish(C.lines(twins, "step", "weight", series="start",
                            domain=["identical start", "random start"], dash="unit",
                            dash_domain=["unit 1", "unit 2"], x_title="step",
                            y_title="first incoming weight",
                            title="Two hidden units of layer 1 during training"))


def init_path_chart(init_paths: pd.DataFrame) -> alt.Chart:
    """Part 3: the cost along the straight line from each initialization to its trained weights."""
    return C.finish(restart_lines(init_paths, "alpha", "cost", y_title="cost L", log_y=False,
                                  x_title="α (0 = initialization θ₀, 1 = trained θ)",
                                  title="Straight line from initialization to solution"))
