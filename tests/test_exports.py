"""Exports for slides and handouts: SVG, PNG, CSV and the zip bundle with params.json."""

from __future__ import annotations

import io
import json
import struct
import xml.etree.ElementTree as ET
import zipfile

import altair as alt
import numpy as np
import pandas as pd
import pytest

from tests.pagetest import open_page, page_knobs, widget
from ui import charts as C
from ui import exports as E
from ui import knobs as K
from ui.pages import BY_ID


@pytest.fixture(scope="module")
def chart_and_data():
    df = pd.DataFrame({"step": np.arange(50), "cost": np.exp(-np.arange(50) / 7.0),
                       "method": "gradient descent"})
    return C.finish(C.lines(df, "step", "cost", series="method", log_y=True, title="t")), df


def _svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width")), float(root.get("height"))


def test_svg_is_xml_with_the_export_width(chart_and_data):
    chart, _ = chart_and_data
    svg = E.svg(chart)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    w, h = _svg_size(svg)
    assert w >= E.EXPORT_WIDTH and h > C.HEIGHT * 0.9


def test_png_has_the_signature_and_twice_the_svg_size(chart_and_data):
    chart, _ = chart_and_data
    png = E.png(chart, scale=2.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    w, h = _svg_size(E.svg(chart))
    assert (width, height) == (round(2 * w), round(2 * h))


def test_csv_round_trips(chart_and_data):
    _, df = chart_and_data
    back = pd.read_csv(io.StringIO(E.csv(df)))
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


def test_big_charts_export_without_altairs_row_limit():
    df = pd.DataFrame({"x": np.arange(6000.0), "y": np.arange(6000.0) ** 0.5})
    assert "<svg" in E.svg(alt.Chart(df).mark_line().encode(x="x:Q", y="y:Q"))


def test_bundle_holds_charts_data_and_params_that_reproduce_the_view(chart_and_data):
    chart, df = chart_and_data
    info = BY_ID["ill_conditioning"]
    params = {"lr": "0.05", "dim": "4", "depth": "50", "clip": "1", "seed": "11",
              "present": "0", "kappa": "100", "steps": "30", "beta": "0.3", "basis": "axes"}
    blob = E.bundle([E.Entry("cost", chart, df)], info.id, info.url_path, params)
    z = zipfile.ZipFile(io.BytesIO(blob))
    names = set(z.namelist())
    assert {"params.json", "data/cost.csv", "charts/cost.svg", "charts/cost.png"} <= names
    meta = json.loads(z.read("params.json"))
    assert meta["page"] == info.id and meta["path"] == "/Ill_conditioning"
    # reopening the page with the saved parameters gives the same knob values
    at = open_page(BY_ID[meta["page"]], meta["params"])
    assert not at.exception
    for _, knob in page_knobs(info):
        assert K.encode(knob, widget(at, knob).value) == meta["params"][knob.name]


def test_every_page_offers_exports_for_each_chart_and_a_bundle():
    at = open_page(BY_ID["ill_conditioning"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("SVG · PNG · CSV") == len(at.get("vega_lite_chart"))
    assert any("Bundle" in label for label in labels)
    link = at.code[0].value
    assert "lr=0.15" in link and "kappa=10" in link


def test_the_chart_fingerprint_sees_every_value_and_where_a_slice_sits():
    import pandas as pd

    from ui.show import _frame_digest
    df = pd.DataFrame({"m": ["a", "b", "c", "d"], "v": [1.0, 2.0, 3.0, 4.0]})
    changed = df.copy()
    changed.loc[2, "m"] = "x"
    assert _frame_digest(df) == _frame_digest(df.copy())
    assert _frame_digest(df) != _frame_digest(changed)
    assert _frame_digest(df.iloc[:2]) != _frame_digest(df.iloc[2:].reset_index(drop=True))
    assert _frame_digest(df) != _frame_digest(df.rename(columns={"v": "w"}))


def test_the_fingerprint_of_text_sees_content_not_buffers():
    """Arrow-backed strings are fingerprinted from their buffers: the same values laid out
    differently (sliced, in chunks, unpickled from a cache) match, and values whose characters
    concatenate alike, or that differ only by a missing value, do not."""
    import pickle

    import pyarrow as pa

    from ui.show import _arrow_text, _frame_digest

    def text(values, chunks=None):
        arr = pa.chunked_array(chunks) if chunks else pa.chunked_array([values])
        return pd.DataFrame({"m": pd.Series(arr, dtype="str")})

    whole = text(["ab", "c", "", "déf"])
    assert _arrow_text(whole["m"]) is not None  # the fast path is the one under test
    same = [text(None, [["ab"], ["c", ""], ["déf"]]),
            text(None, [pa.array([], pa.string()), ["ab", "c", "", "déf"]]),
            text(["x", "ab", "c", "", "déf"]).iloc[1:].reset_index(drop=True),
            pickle.loads(pickle.dumps(whole)),
            pd.DataFrame({"m": pd.Series(["ab", "c", "", "déf"], dtype="str")})]
    for other in same:
        assert _frame_digest(other) == _frame_digest(whole)
    for other in (text(["a", "bc", "", "déf"]), text(["ab", "c", "déf", ""]),
                  text(["ab", "c", "", "déf", ""]),
                  pd.DataFrame({"m": pd.Series(["ab", "c", None, "déf"], dtype="str")})):
        assert _frame_digest(other) != _frame_digest(whole)
    assert _frame_digest(whole) != _frame_digest(pd.DataFrame({"m": pd.Categorical(["ab", "c", "", "déf"])}))


# --- the fast Altair copy (ui/altair_speed.py) ---------------------------------------------------
def _sample_charts():
    df = pd.DataFrame({"step": np.repeat(np.arange(50), 2), "method": ["a", "b"] * 50,
                       "kind": ["measured", "theory"] * 50,
                       "x": np.linspace(1, 2, 100), "y": np.linspace(0.1, 5, 100)})
    path = df.rename(columns={"method": "series"})
    a = (C.lines(df, "step", "y", series="method", domain=["a", "b"], dash="kind", log_y=True,
                 tooltip=["x"], title="t")
         + C.hrules({"one": 1.0}) + C.marker(3, 2, "here") + C.vrule(10, "diverged"))
    b = C.scrub_path(path, x="x", y="y", series="series", domain=["a", "b"],
                     background=C.level_curves(df.assign(level=df["method"], t=df["step"]), x="x", y="y"))
    c = alt.layer(C.points(df.assign(d=df["method"]), "x", "y", shape="d", domain=["a", "b"]),
                  C.lines(df, "x", "y", series="method")).resolve_scale(color="independent")
    return [C.finish(a), C.finish(b), C.finish(c).properties(height=200),
            C.finish(alt.hconcat(a, c))]


def test_fast_altair_copy_builds_the_same_charts_as_the_stock_copy():
    from ui import altair_speed as F
    if not F.install():
        pytest.skip(f"altair {alt.__version__} is not {F.PATCHED_VERSION}: the stock copy is used")
    fast = [json.dumps(c.to_dict(validate=False), sort_keys=True) for c in _sample_charts()]
    fast_copies = [json.dumps(c.copy(deep=True).to_dict(validate=False), sort_keys=True)
                   for c in _sample_charts()]
    F.uninstall()
    try:
        stock = [json.dumps(c.to_dict(validate=False), sort_keys=True) for c in _sample_charts()]
    finally:
        F.install()
    assert fast == stock
    assert fast_copies == stock
    assert all(len(s) > 500 for s in stock)


def test_a_fast_copy_is_independent_of_its_original():
    from ui import altair_speed as F
    base = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_line().encode(x="x:Q")
    copy = F.fast_deep_copy(base, set())
    copy.encoding.x.title = "changed"
    copy.mark = "point"
    assert base.to_dict()["encoding"]["x"].get("title") is None
    assert base.to_dict()["mark"] == {"type": "line"}


def test_superscript_exponents():
    from ui.text import sup
    assert sup(-12) == "⁻¹²" and sup(3) == "³" and sup(-2.6) == "⁻³" and sup("−1") == "⁻¹"
