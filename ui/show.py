"""What a page shows inside its part: cached core calls, headline metrics and charts with their
one-line caption and exports. Chart specifications are built once per distinct input and shared
by every session (:func:`chart_spec`)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core.cliffs import CliffMap
from core.local_minima import Restarts
from ui import exports, workers
from ui.frame import current_view

_CACHED: dict[Callable, Callable] = {}


def cached(fn: Callable) -> Callable:
    """Cache a core call on its arguments (scalars, or core results that carry their inputs: see
    HASH_FUNCS), bounded so many students cannot fill memory, and compute it in a worker
    process (ui/workers.py). One wrapper per function (making a new one costs a read of the
    function's source). The cache is keyed by ``fn`` itself: its module, name and source."""
    if fn not in _CACHED:
        @functools.wraps(fn)
        def compute(*args, **kwargs):
            return workers.run(fn, *args, **kwargs)

        _CACHED[fn] = st.cache_data(max_entries=32, ttl=6 * 3600, show_spinner=False,
                                    hash_funcs=HASH_FUNCS)(compute)
    return _CACHED[fn]


def _frame_digest(df: pd.DataFrame) -> bytes:
    """A fast exact fingerprint of a DataFrame (column names, dtypes and every value)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((list(df.columns), [str(t) for t in df.dtypes], df.shape)).encode())
    for _, col in df.items():
        if col.dtype.kind in "biufcmM":
            h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
            continue
        text = _arrow_text(col)
        if text is not None:
            h.update(b"s")
            h.update(text)
            continue
        # categories, objects and strings with missing values: pandas' vectorized hash of the
        # values (content, not layout: the same column unpickled from a cache may sit in
        # differently laid-out buffers)
        h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    return h.digest()


def _arrow_text(col: pd.Series) -> bytes | None:
    """The content of an Arrow-backed string column without missing values, independent of its
    buffers' layout: the value lengths, then the characters. A seventh of the cost of
    ``hash_pandas_object`` (which goes through Python objects), and the column is hashed on every
    rerun of a chart whose data comes from a cached core result. None for any other column."""
    chunked = getattr(col.array, "_pa_array", None)
    if chunked is None or chunked.null_count or not (pa.types.is_string(chunked.type)
                                                     or pa.types.is_large_string(chunked.type)):
        return None
    lengths, chars = [], []
    for a in chunked.chunks:
        if len(a) == 0:  # (an empty chunk may have no buffers at all)
            continue
        offsets = np.frombuffer(a.buffers()[1], dtype=np.int32 if pa.types.is_string(a.type) else np.int64)
        offsets = offsets[a.offset : a.offset + len(a) + 1]
        lengths.append(np.diff(offsets).astype(np.int64))
        data = a.buffers()[2]
        if data is not None and offsets[-1] > offsets[0]:
            chars.append(memoryview(data)[offsets[0] : offsets[-1]])
    return b"".join([np.concatenate(lengths).tobytes() if lengths else b"", *chars])


# How cache keys read arguments. Core results that are pure functions of a few inputs carry them
# (``inputs``) and are keyed by those instead of by their tables, which cost milliseconds to hash
# on every rerun (two cliff maps of 40,000 rows: 3 ms).
HASH_FUNCS = {pd.DataFrame: _frame_digest, CliffMap: lambda m: m.inputs, Restarts: lambda r: r.inputs}


def metrics(items: Sequence[tuple[str, str, str]]) -> None:
    """A row of st.metric headline numbers: (label, value, help). One horizontal container that
    wraps on a narrow screen (three elements fewer per metric than a grid of columns: every
    element costs a message per rerun, which a class of sessions multiplies). Each metric is
    as wide as its label needs, so no label is cut off."""
    with st.container(horizontal=True, gap="medium"):
        for label, value, help_ in items:
            st.metric(label, value, help=help_, width=_metric_width(label))


def _metric_width(label: str) -> int:
    """Pixels for a metric whose label is ``label`` (about 8 px a character, plus the help icon),
    at least 170 so that short ones still line up."""
    return max(170, 8 * len(label) + 40)


ChartSpec = exports.ChartSpec


# cache_resource, not cache_data: every session gets the same (never mutated) spec object instead
# of unpickling its own copy of the Arrow bytes on every rerun.
@st.cache_resource(max_entries=256, ttl=6 * 3600, show_spinner=False, hash_funcs=HASH_FUNCS)
def _built_spec(builder_name: str, _builder: Callable, args: tuple, kwargs: dict) -> ChartSpec:
    return exports.to_chart_spec(_builder(*args, **kwargs))


def chart_spec(builder: Callable, *args, **kwargs) -> ChartSpec:
    """``builder(*args, **kwargs)`` (an Altair chart) built once per distinct input and shared by
    every session: building Altair charts costs far more than the numbers behind them, and a
    class opening the same view then pays for it once. ``builder`` must depend on its arguments
    only (it is cached on them)."""
    return _built_spec(f"{builder.__module__}.{builder.__qualname__}", builder, args, kwargs)


def show_chart(chart, data: pd.DataFrame, name: str, caption: str, description: str,
               **select) -> Any:
    """A chart (Altair, or a spec from :func:`chart_spec`), its one-line 'what to notice'
    caption, and its exports: the data as CSV, the chart as SVG and PNG (rendered on the server
    only when asked for). ``select`` is passed on (on_select=, selection_mode=, key=); the
    selection state is returned."""
    if isinstance(chart, ChartSpec):
        state = st.vega_lite_chart(spec=dict(chart.render), alt=description, **select)
    elif isinstance(chart, dict):
        state = st.vega_lite_chart(spec=chart, alt=description, **select)
    else:
        state = st.altair_chart(chart, alt=description, **select)
    entry = exports.Entry(name, chart, data)
    info, params, entries = current_view()
    entries.append(entry)
    st.caption(caption)
    # One lazy button per chart (a few elements per chart: every element costs the server a
    # message per rerun, which a class of sessions multiplies).
    st.download_button(
        "SVG · PNG · CSV", lambda: exports.bundle([entry], info.id if info else "page",
                                                  info.url_path if info else "", params),
        file_name=f"{name}.zip", mime="application/zip", key=f"export-{name}", on_click="ignore",
        icon=":material/download:", type="tertiary",
        help="This chart as SVG and PNG, the data behind it as CSV, and params.json to reproduce "
             "the view (zip; the files are made when you click).")
    return state
