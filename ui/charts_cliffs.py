"""Chart builders of the cliffs page: the loss/gradient map as an image with the training paths on
top, and per-step lines with the clipped steps marked. DataFrame in, ``alt.Chart`` out.

The map is a PNG (a few tens of kB) instead of tens of thousands of rectangles, so the page stays
light for a class; its colours follow Vega's viridis on a log scale, and an invisible layer with
the same scale draws the legend. A coarse invisible grid on top gives tooltips and clicks.

The page-level builders (``map_chart``, ``*_chart``) return finished charts and depend on their
arguments only, so the page builds them through ``ui.show.chart_spec`` (once per distinct input,
shared by every session).
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core import cliffs as cl
from ui import charts as C

# viridis at 0, 1/8, ..., 1 (matplotlib's, which Vega's 'viridis' scheme samples)
_VIRIDIS = np.array([[0x44, 0x01, 0x54], [0x47, 0x2D, 0x7B], [0x3B, 0x52, 0x8B], [0x2C, 0x72, 0x8E],
                     [0x21, 0x91, 0x8C], [0x28, 0xAE, 0x80], [0x5E, 0xC9, 0x62], [0xAD, 0xDC, 0x30],
                     [0xFD, 0xE7, 0x25]], dtype=float)
METHOD_COLORS = {"no clipping": C.OKABE_ITO[3], "clip by norm": C.OKABE_ITO[0],
                 "clip by value": C.OKABE_ITO[2], "clipped": C.OKABE_ITO[0]}
METHOD_DASH = {"no clipping": [1, 0], "clip by norm": [6, 3], "clip by value": [2, 2]}
MAP_HEIGHT = 480
_CONFIG = C.finish(alt.Chart()).config  # the projector fonts every finished chart carries


def _png(rgb: np.ndarray) -> bytes:
    """A minimal RGB PNG (8 bit, no filter) of an (h, w, 3) uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def log_domain(values, floor_ratio: float = 1e-8) -> tuple[float, float]:
    """A log colour domain: from the 1st percentile (at least max * floor_ratio) to the max."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1e-12, 1.0
    hi = float(v.max())
    lo = max(float(np.percentile(v, 1)), hi * floor_ratio)
    return (lo, hi) if hi > lo else (hi / 10, hi)


def _image_url(values: np.ndarray, domain) -> str:
    lo, hi = np.log10(domain[0]), np.log10(domain[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.log10(np.where(np.isfinite(values) & (values > 0), values, domain[0])) - lo) / (hi - lo)
    t = np.clip(np.nan_to_num(t, nan=0.0), 0, 1) * (len(_VIRIDIS) - 1)
    i = np.minimum(t.astype(int), len(_VIRIDIS) - 2)
    f = (t - i)[..., None]
    rgb = (_VIRIDIS[i] * (1 - f) + _VIRIDIS[i + 1] * f).round().astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(_png(rgb)).decode()


def _scales(w_range, b_range):
    """The map's w and b scales: exactly the extent of the data, which the legend layer of
    :func:`heatmap` pins to the window's corners (every other layer is cut to the window). A
    window written into the specification would change it whenever the start moves, and the
    browser would rebuild the whole map instead of swapping its data (see ui.charts.extent)."""
    return (alt.Scale(nice=False, zero=False), alt.Scale(nice=False, zero=False))


def _axes(w_range, b_range):
    sw, sb = _scales(w_range, b_range)
    return alt.X("w:Q", title="recurrent weight w", scale=sw), alt.Y("b:Q", title="bias b", scale=sb)


def _finished(layers: Sequence[alt.Chart | alt.LayerChart], **kwargs) -> alt.Chart | alt.LayerChart:
    """One flat layer chart of ``layers`` (or the one chart) with the projector fonts of
    :func:`ui.charts.finish`, built in one go: every LayerChart construction or copy deep-copies
    all of its layers, and nesting multiplies that, which made building these charts cost more
    than the numbers behind them."""
    if len(layers) == 1 and not kwargs:
        return C.finish(layers[0])
    return alt.LayerChart(layer=list(layers), config=_CONFIG, **kwargs)


def heatmap(grid: pd.DataFrame, n: int, field: str, legend_title: str, domain, *, w_range, b_range,
            coarse: int = 25, select: str | None = None) -> list[alt.Chart]:
    """The layers of the map of ``field`` (rows as :func:`core.cliffs.cliff_map` orders them): an
    image on a log colour scale, a legend, and a coarse invisible grid for tooltips and clicks (a
    point selection named ``select`` holding the clicked cell's w and b)."""
    x, y = _axes(w_range, b_range)
    sw, sb = _scales(w_range, b_range)
    img = pd.DataFrame({"w": [w_range[0]], "w2": [w_range[1]], "b": [b_range[1]], "b2": [b_range[0]],
                        "url": [_image_url(grid[field].to_numpy().reshape(n, n), domain)]})
    image = alt.Chart(img).mark_image(aspect=False, smooth=False).encode(
        x=x, x2=alt.X2("w2:Q"), y=y, y2=alt.Y2("b2:Q"), url=alt.Url("url:N"))
    # The colour scale's range is the legend layer's two values (data, like the window's corners).
    scale = alt.Scale(type="log", scheme="viridis", clamp=True, nice=False)
    legend = alt.Chart(pd.DataFrame({"w": list(w_range), "b": list(b_range), "v": list(domain)})
                       ).mark_point(opacity=0).encode(
        x=alt.X("w:Q"), y=alt.Y("b:Q"), color=alt.Color("v:Q", scale=scale, title=legend_title,
                                          legend=alt.Legend(orient="right", gradientLength=240)))
    k, rows, cols = _coarse_index(n, coarse)
    cells = grid.iloc[(rows * n + cols).ravel()].reset_index(drop=True)
    pw, pb = (w_range[1] - w_range[0]) / n, (b_range[1] - b_range[0]) / n
    cells = pd.DataFrame({
        "w": cells["w"].round(3), "b": cells["b"].round(3),
        "loss": cells["loss"].map(_sig4), "grad_norm": cells["grad_norm"].map(_sig4),
        "w_lo": (w_range[0] + cols.ravel() // k * k * pw).round(4),
        "w_hi": (w_range[0] + (cols.ravel() // k + 1) * k * pw).round(4),
        "b_hi": (b_range[1] - rows.ravel() // k * k * pb).round(4),
        "b_lo": (b_range[1] - (rows.ravel() // k + 1) * k * pb).round(4)})
    hover = alt.Chart(cells).mark_rect(opacity=0, cursor="pointer").encode(
        x=alt.X("w_lo:Q", scale=sw), x2=alt.X2("w_hi:Q"), y=alt.Y("b_lo:Q", scale=sb), y2=alt.Y2("b_hi:Q"),
        tooltip=[alt.Tooltip("w:Q", title="w"), alt.Tooltip("b:Q", title="b"),
                 alt.Tooltip("loss:Q", title="loss L", format=".3g"),
                 alt.Tooltip("grad_norm:Q", title="‖∇L‖", format=".3g")])
    if select:
        hover = hover.add_params(alt.selection_point(name=select, fields=["w", "b"], on="click",
                                                     clear=False, toggle=False))
    return [image, legend, hover]


def _coarse_index(n: int, coarse: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Every k-th row and column (their centres) of an n x n grid, about ``coarse`` of each."""
    k = max(1, n // coarse)
    i = np.arange(n // k)
    rows, cols = np.meshgrid(i * k + k // 2, i * k + k // 2, indexing="ij")
    return k, rows, cols


def map_cells(m, coarse: int = 25) -> pd.DataFrame:
    """The map's values at the coarse grid the tooltips and clicks use (columns w, b, loss,
    grad_norm): the data behind a map, small enough to export on every rerun."""
    _, rows, cols = _coarse_index(m.n, coarse)
    return m.grid.iloc[(rows * m.n + cols).ravel()].reset_index(drop=True)


def _sig4(v: float) -> float:
    return float(f"{v:.4g}") if np.isfinite(v) else 0.0


def _method_enc(methods: Sequence[str]) -> dict:
    """Colour and dash per method, fixed across pages' modes, with line symbols in the legend."""
    legend = alt.Legend(orient="top", title=None, symbolType="stroke", labelLimit=320)
    dom = list(methods)
    return {"color": alt.Color("method:N", legend=legend, scale=alt.Scale(
                domain=dom, range=[METHOD_COLORS[m] for m in methods])),
            "strokeDash": alt.StrokeDash("method:N", legend=legend, scale=alt.Scale(
                domain=dom, range=[METHOD_DASH[m] for m in methods]))}


def paths(path: pd.DataFrame, exits: pd.DataFrame, methods: Sequence[str], *, w_range, b_range,
          wall: pd.DataFrame | None = None, box: pd.DataFrame | None = None) -> list[alt.Chart]:
    """The layers of the optimizer paths over the map (colour and dash per method), the start, and
    a cross where a run left the map, labelled with the step and where it went; optionally the
    wall's centre line (white dashes) and the outline of a zoomed window (white box, columns
    order, w, b)."""
    x, y = _axes(w_range, b_range)
    enc = _method_enc(methods)
    data = C.finite(path, ["w", "b"])
    layers = []
    if wall is not None and len(wall):
        layers.append(alt.Chart(wall).mark_line(color="white", strokeDash=[3, 3], strokeWidth=1.5,
                                                opacity=0.9, clip=True).encode(x=x, y=y))
    if box is not None:
        layers.append(alt.Chart(box).mark_line(color="white", strokeWidth=1.5, clip=True).encode(
            x=x, y=y, order=alt.Order("order:Q")))
    layers.append(alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=2.2,
                                            clip=True).encode(
        x=x, y=y, order=alt.Order("step:Q"),
        tooltip=[alt.Tooltip("method:N"), alt.Tooltip("step:Q"), alt.Tooltip("w:Q", format=".4g"),
                 alt.Tooltip("b:Q", format=".4g")], **enc))
    start = data.groupby("method").head(1).head(1)
    base = alt.Chart(start.assign(label="start")).encode(x=x, y=y)
    layers += [base.mark_point(shape="diamond", size=200, filled=True, color="white", stroke="black",
                               strokeWidth=1.5),
               base.mark_text(align="left", dx=9, dy=-9, fontSize=13, fontWeight="bold",
                              color="white").encode(text=alt.Text("label:N"))]
    # Always drawn (empty when no run left): a layer that comes and goes would change the chart's
    # specification, and the browser then rebuilds the whole map instead of updating its data.
    layers.append(alt.Chart(exits).mark_point(shape="cross", size=260, filled=True, color="white",
                                              stroke="black", strokeWidth=1, clip=False).encode(
        x=x, y=y, tooltip=[alt.Tooltip("method:N"), alt.Tooltip("step:Q"),
                           alt.Tooltip("w_to:Q", format=".4g"), alt.Tooltip("b_to:Q", format=".4g")]))
    return layers


def exit_notes(exits: pd.DataFrame, *, w_range, b_range) -> list[alt.Chart]:
    """Layers: two short lines per run that left the view ('✕ no clipping: step 40' and
    '→ (w, b) = (161, 250)'), white on a black outline in the map's bottom-left corner. The text
    is data, not a title, so that the chart's specification stays the same when the runs
    change (the browser then updates the map's data instead of rebuilding it)."""
    lines = [line for a, k, u, c in zip(exits["method"], exits["step"], exits["w_to"], exits["b_to"])
             for line in (f"✕ {a}: step {k}", f"   → (w, b) = ({u:.3g}, {c:.3g})")]
    notes = pd.DataFrame({"w": [w_range[0] + 0.02 * (w_range[1] - w_range[0])],
                          "b": [b_range[0] + 0.02 * (b_range[1] - b_range[0])],
                          "label": ["\n".join(lines)]}).iloc[:1 if lines else 0]
    x, y = _axes(w_range, b_range)
    text = alt.Chart(notes).encode(x=x, y=y, text=alt.Text("label:N"))
    style = dict(align="left", baseline="bottom", fontSize=12, fontWeight="bold", lineBreak="\n",
                 lineHeight=16)
    return [text.mark_text(stroke="black", strokeWidth=2.5, strokeJoin="round", color="black", **style),
            text.mark_text(color="white", **style)]


def per_step(hist: pd.DataFrame, field: str, methods: Sequence[str], *, y_title: str, title: str,
             log_y: bool = True, mark_clipped: bool = False, y_format: str | None = ".0e"
             ) -> list[alt.Chart]:
    """Layers: one line per method of ``field`` against the step; clipped steps as filled
    triangles."""
    colors = [METHOD_COLORS[m] for m in methods]
    data = C.finite(hist, ["step", field])
    if log_y:
        data = data[data[field] > 0]
    ys = alt.Y(f"{field}:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Undefined,
               axis=alt.Axis(format=y_format) if y_format else alt.Undefined)
    line = alt.Chart(data, title=title, height=C.HEIGHT).mark_line(strokeWidth=2.2, clip=True).encode(
        x=alt.X("step:Q", title="step k"), y=ys,
        tooltip=[alt.Tooltip("method:N"), alt.Tooltip("step:Q"), alt.Tooltip(f"{field}:Q", format=".4g")],
        **_method_enc(methods))
    if not mark_clipped:
        return [line]
    clip = data[data["clipped"]].assign(mark="clipped")
    tri = alt.Chart(clip).mark_point(shape="triangle-down", size=60, filled=True, clip=True).encode(
        x=alt.X("step:Q"), y=ys, color=alt.Color("method:N", legend=None,
                                          scale=alt.Scale(domain=list(methods), range=colors)),
        shape=alt.Shape("mark:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["clipped"], range=["triangle-down"])))
    return [line, tri]


def derivatives(table: pd.DataFrame) -> list[alt.Chart]:
    """Layers: closed forms as lines and the recursion as open circles (columns T, quantity,
    source, value), log-log."""
    quantities = list(dict.fromkeys(table["quantity"]))
    data = C.finite(table, ["T", "value"])
    data = data[data["value"] > 0]
    closed = data[data["source"] == "closed form"]
    rec = data[data["source"] == "recursion"].assign(source="recursion (measured)")
    x = alt.X("T:Q", title="depth T (log scale)", scale=alt.Scale(type="log"))
    y = alt.Y("value:Q", title="derivative (log scale)", scale=alt.Scale(type="log"),
              axis=alt.Axis(format=".0e"))
    tip = [alt.Tooltip("quantity:N"), alt.Tooltip("source:N"), alt.Tooltip("T:Q"),
           alt.Tooltip("value:Q", format=".4g")]
    line = alt.Chart(closed, title="Linear case: slope and curvature of x_T", height=C.HEIGHT).mark_line(
        strokeWidth=2.5, clip=True).encode(x=x, y=y, tooltip=tip,
                                           **C.series_encoding("quantity", quantities))
    dots = alt.Chart(rec).mark_point(size=30, color="#000000", opacity=0.6, strokeWidth=1,
                                     clip=True).encode(
        x=x, y=y, shape=alt.Shape("source:N", title=None, legend=alt.Legend(orient="top")), tooltip=tip)
    return [line, dots]


def map_chart(m, history: pd.DataFrame, methods: Sequence[str], field: str, title: str,
              zoom: tuple | None = None, wall: bool = False) -> alt.LayerChart:
    """One map (a :class:`core.cliffs.CliffMap`) of ``field`` ('loss' on a fixed log scale from
    1e-4 to 0.5, or 'grad_norm' on :func:`log_domain`) with the runs' paths cut at its edge, the
    wall's centre line if ``wall``, the outline of the ``zoom`` window (w_range, b_range) if
    given, a note saying where each run that left the view went (:func:`exit_notes`), and the
    click selection ``pick`` (lifted out of the invisible grid)."""
    win = dict(w_range=m.w_range, b_range=m.b_range)
    path, exits = cl.path_in_window(history, **win)
    dom = (1e-4, 0.5) if field == "loss" else log_domain(m.grid[field])
    heat = heatmap(m.grid, m.n, field, "L" if field == "loss" else "‖∇L‖", dom, select="pick", **win)
    over = paths(path, exits, methods, wall=cl.wall_line(**win) if wall else None,
                 box=cl.window_box(*zoom) if zoom else None, **win)
    return _finished(heat + over + exit_notes(exits, **win), height=MAP_HEIGHT, title=title,
                     resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent",
                                                                   strokeDash="independent")))


def loss_chart(history: pd.DataFrame, methods: Sequence[str]) -> alt.Chart:
    """The loss of each run against the step (log scale)."""
    return _finished(per_step(history, "cost", methods, y_title="loss L (log scale)",
                              title="Loss per step"))


def step_length_chart(history: pd.DataFrame, methods: Sequence[str], bound: float
                      ) -> alt.Chart | alt.LayerChart:
    """Step length of each run against the step; when clipping is on (``bound`` = ε·v > 0) the
    clipped steps are marked and ε·v is drawn as a rule."""
    layers = per_step(history, "step_norm", methods, y_title="step length ‖Δθ‖ (log scale)",
                      title="Step length per step", mark_clipped=bound > 0)
    if bound > 0:
        layers.append(C.hrules({f"ε·v = {bound:.3g}": bound}))
    return _finished(layers)


def derivatives_chart(table: pd.DataFrame, depth: int) -> alt.LayerChart:
    """:func:`derivatives` with a rule at the page's depth T."""
    return _finished([*derivatives(table), C.vrule(depth, f"T = {depth}")])


def quartic_chart(history: pd.DataFrame, x0: float, diverged_step: int | None
                  ) -> alt.Chart | alt.LayerChart:
    """x⁴ descended with and without clipping, with a rule where plain descent diverged."""
    layers = per_step(history, "cost", ("no clipping", "clip by norm"),
                      y_title="f(x) = x⁴ (log scale)", title=f"f = x⁴ from x₀ = {x0:g}")
    if diverged_step is not None:
        layers.append(C.vrule(diverged_step, "plain diverged"))
    return _finished(layers)
