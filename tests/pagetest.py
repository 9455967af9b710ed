"""Helpers for driving pages through streamlit.testing.v1.AppTest."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from ui import knobs as K
from ui.pages import PageInfo

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180


def open_page(page: PageInfo, params: dict | None = None) -> AppTest:
    """A cold deep link: a new session whose first run is ``page`` with ``params`` in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(params or {})
    if page.file != "app.py":
        at.switch_page(page.file)
    return at.run()


def widget(at: AppTest, knob: K.Knob):
    kind = {"grid": at.select_slider, "int": at.slider, "float": at.slider, "choice": at.radio,
            "bool": at.toggle, "seed": at.number_input}[knob.kind]
    return kind(key=knob.name)


def page_knobs(page: PageInfo, part: str | None = None) -> list[tuple[str, K.Knob]]:
    """The knobs a page draws with ``part`` open (default: its first part): the shared ones it
    uses, then its own (those the part uses)."""
    return ([("shared", K.SHARED_BY_NAME[n]) for n in page.shared_of(part)]
            + [(page.id, k) for k in page.own_of(part)])


def part_ids(page: PageInfo) -> list[str | None]:
    """The page's parts (None for a page without parts)."""
    return [p.id for p in page.parts] or [None]


def part_params(part: str | None) -> dict[str, str]:
    return {"part": part} if part else {}


def chart_frames(at: AppTest):
    """(spec, list of pandas frames) for every Vega-Lite chart on the page."""
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in el.proto.datasets]
        if el.proto.data.data:
            frames.append(pa.ipc.open_stream(el.proto.data.data).read_all().to_pandas())
        out.append((spec, frames))
    return out


def assert_charts_finite(at: AppTest) -> int:
    """No NaN or inf in any chart's data; returns the number of charts."""
    charts = chart_frames(at)
    for spec, frames in charts:
        for f in frames:
            num = f.select_dtypes("number").to_numpy(dtype=float)
            assert np.isfinite(num).all(), f"non-finite data in chart {spec.get('title', '')!r}"
    return len(charts)


def texts(at: AppTest) -> list[str]:
    """Every piece of text the page rendered that could carry Markdown."""
    out = []
    for kind in ("markdown", "caption", "warning", "info", "error", "success", "title", "header",
                 "subheader", "latex"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return out


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "was ignored" in str(w.value)]


def spy_core_calls(monkeypatch, targets) -> list[str]:
    """Record the name of every call to the (module, function name) pairs in ``targets``; the
    list fills as the page runs. Clears st.cache_data so that a cached result cannot hide a call."""
    import streamlit as st
    calls: list[str] = []
    for mod, name in targets:
        fn = getattr(mod, name)

        def spy(*a, _fn=fn, _name=name, **kw):
            calls.append(_name)
            return _fn(*a, **kw)

        monkeypatch.setattr(mod, name, functools.wraps(fn)(spy))
    st.cache_data.clear()
    return calls
