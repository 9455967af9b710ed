"""Exports for slides and handouts: a chart as SVG or PNG (rendered on the server by vl-convert,
offline), its data as CSV, and a zip bundle per page with a params.json that reproduces the view.

No Streamlit here: the frame wires these into download buttons whose data is generated lazily,
only when someone clicks.
"""

from __future__ import annotations

import copy
import io
import json
import threading
import zipfile
from typing import NamedTuple

import altair as alt
import pandas as pd
import pyarrow as pa

EXPORT_WIDTH = 720  # px; on screen charts stretch to their column, exports need a fixed width
_ALTAIR_GLOBALS = threading.Lock()


class Entry(NamedTuple):
    """One chart of a page: its file stem, the chart (Altair or a Vega-Lite dict), its data."""

    name: str
    chart: alt.TopLevelMixin | dict | ChartSpec
    data: pd.DataFrame


def _altair_lock():
    # Altair's data transformer registry is global; Streamlit serializes its own use of it with a
    # private lock. Share it when it is there so an export never races a chart being drawn.
    try:
        from streamlit.elements.vega_charts import _altair_globals_lock
        return _altair_globals_lock
    except ImportError:  # pragma: no cover - other Streamlit versions
        return _ALTAIR_GLOBALS


def spec(chart, width: int | None = EXPORT_WIDTH) -> dict:
    """The chart's Vega-Lite spec (data inlined), from an Altair chart or a spec dict, with a
    fixed ``width`` for exports (None keeps the chart's own, e.g. to fill a column on screen)."""
    if isinstance(chart, ChartSpec):
        d = chart.spec
    elif isinstance(chart, dict):
        d = copy.deepcopy(chart)
    else:
        with _altair_lock(), alt.data_transformers.disable_max_rows():
            d = chart.to_dict(validate=False)
        view = d.get("config", {}).get("view", {})
        for k in ("continuousWidth", "continuousHeight"):  # Altair's default theme, not ours
            view.pop(k, None)
    if width is not None and not {"hconcat", "vconcat", "facet", "concat"} & set(d):
        d["width"] = width
    return d


def svg(chart) -> str:
    """The chart as an SVG document (text)."""
    import vl_convert as vlc
    return vlc.vegalite_to_svg(spec(chart), vl_version="6.4")


def png(chart, scale: float = 2.0) -> bytes:
    """The chart as a PNG image, ``scale`` pixels per SVG unit."""
    import vl_convert as vlc
    return vlc.vegalite_to_png(spec(chart), vl_version="6.4", scale=scale)


def csv(data: pd.DataFrame) -> str:
    return data.to_csv(index=False)


def params_json(page_id: str, url_path: str, params: dict[str, str]) -> str:
    """What reproduces the view: the page and every knob as it appears in the URL."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return json.dumps({"page": page_id, "path": "/" + url_path, "params": params,
                       "query": query}, indent=2, allow_nan=False)


def bundle(entries: list[Entry], page_id: str, url_path: str, params: dict[str, str],
           images: bool = True) -> bytes:
    """A zip of every chart (SVG and PNG), its data (CSV) and params.json."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("params.json", params_json(page_id, url_path, params))
        for e in entries:
            z.writestr(f"data/{e.name}.csv", csv(e.data))
            if images:
                z.writestr(f"charts/{e.name}.svg", svg(e.chart))
                z.writestr(f"charts/{e.name}.png", png(e.chart))
        z.writestr("README.txt", f"Optimization Pathologies Explorer, page '{page_id}'.\n"
                   f"Open the app at {'/' + url_path} with the query in params.json to see "
                   "this view again; charts/ holds SVG and PNG, data/ the CSV behind each chart.\n")
    return buf.getvalue()


class ChartSpec(NamedTuple):
    """A built chart: ``render``, its Vega-Lite spec with every dataset already serialized to
    Arrow IPC (which Streamlit ships as is), and ``frames``, the DataFrames behind the named
    datasets. :attr:`spec` gives the same chart with its data inlined as JSON values (for the
    exports, made only when someone asks)."""

    render: dict
    frames: dict

    @property
    def spec(self) -> dict:
        d = {k: v for k, v in self.render.items() if k != "datasets"}
        d["datasets"] = {name: _values(self.frames[name]) if name in self.frames
                         else _arrow_values(data) for name, data in self.render["datasets"].items()}
        return d


def _values(df: pd.DataFrame) -> list[dict]:
    """JSON records (NaN as null), as Altair would inline them."""
    return json.loads(df.to_json(orient="records", double_precision=15))


def _arrow_values(data: bytes) -> list[dict]:
    return _values(pa.ipc.open_stream(data).read_all().to_pandas())


def _arrow_bytes(data: list | pd.DataFrame) -> bytes:
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


_named = threading.local()


def _by_name(data) -> dict:
    """Altair data transformer: keep a DataFrame aside under a name (one per distinct frame)
    instead of turning it into JSON records (Arrow straight from the frame is far cheaper)."""
    frames = _named.frames
    for name, df in frames.items():
        if df is data:
            return {"name": name}
    name = f"data-{len(frames)}"
    frames[name] = data.reset_index(drop=True) if isinstance(data, pd.DataFrame) else data
    return {"name": name}


alt.data_transformers.register("by_name", _by_name)


def to_chart_spec(chart) -> ChartSpec:
    """Build an Altair chart once into a :class:`ChartSpec` (worth caching: building and
    serializing Altair charts costs far more than the numbers behind them)."""
    with _altair_lock(), alt.data_transformers.enable("by_name"):
        _named.frames = {}
        try:
            d = chart.to_dict(validate=False)
        finally:
            frames, _named.frames = _named.frames, {}
    view = d.get("config", {}).get("view", {})
    for k in ("continuousWidth", "continuousHeight"):  # Altair's default theme, not ours
        view.pop(k, None)
    datasets = {name: _arrow_bytes(values) for name, values in d.get("datasets", {}).items()}
    datasets |= {name: _arrow_bytes(df) for name, df in frames.items()}
    return ChartSpec(d | {"datasets": datasets}, frames)
