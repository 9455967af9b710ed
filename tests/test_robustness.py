"""Robustness under bad input (property-based), random knob combinations, and security settings."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pagetest import (
    assert_charts_finite,
    notices,
    open_page,
    page_knobs,
    part_ids,
    part_params,
    texts,
    widget,
)
from ui import knobs as K
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[1]
EXISTING = [p for p in PAGES if p.exists()]
CONTENT = [p for p in EXISTING if p.knobs or p.shared]
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

junk = (st.text(max_size=40) | st.floats(allow_nan=True, allow_infinity=True).map(repr)
        | st.integers(min_value=-10**30, max_value=10**30).map(str)
        | st.sampled_from(["<script>alert(1)</script>", "**x**", "[a](javascript:x)", "1e999",
                           "-0", "0x1p3", "١٢", "NaN", "  7  "]))


_PLAIN: dict[str, list[str]] = {}


def _on_page_anyway(page, text: str) -> bool:
    """True if the page shows ``text`` whatever the URL says: a junk value that happens to be a
    word of the page ('share') or of its notices ('Clipp' of 'Clipping threshold') is not an echo.
    The vocabulary is the page without parameters plus the page with every knob given each kind
    of bad value (so every notice the app can write is in it)."""
    if page.id not in _PLAIN:
        names = [k.name for k in K.SHARED + page.url_knobs]
        seen = texts(open_page(page))
        for bad in ("x", "nan", "-1e308", "0.5", ["1", "2"]):
            seen += texts(open_page(page, {n: bad for n in names}))
        _PLAIN[page.id] = seen
    return any(text in t for t in _PLAIN[page.id])


def _as_list(raw) -> list[str]:
    return [raw] if isinstance(raw, str) else list(raw or [])


@pytest.mark.parametrize("page", EXISTING, ids=lambda p: p.id)
@SETTINGS
@given(data=st.data())
def test_any_url_never_raises_and_bad_values_fall_back_with_a_notice(page, data):
    names = [k.name for k in K.SHARED + page.url_knobs] + ["show", "unknown", "embed_options"]
    picked = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    params = {}
    for n in picked:
        params[n] = data.draw(junk | st.lists(junk, min_size=2, max_size=3))
    at = open_page(page, params)
    assert not at.exception, (params, at.exception)
    got = notices(at)
    part = K.parse(page.part_knob, _as_list(params.get("part")))[0] if page.parts else None
    for _, knob in page_knobs(page, part):
        raw = params.get(knob.name)
        raw = [raw] if isinstance(raw, str) else (raw or [])
        value, why = K.parse(knob, raw)
        w = widget(at, knob)
        if why is not None:
            assert any(f"`{knob.name}`" in n for n in got), (knob.name, raw)
        if w is not None and not (knob.name == "depth" and page.id == "local_minima"):
            assert w.value == value
    for v in params.values():
        for text in ([v] if isinstance(v, str) else v):
            if (len(text.strip()) > 4 and not text.strip().replace(".", "").isdigit()
                    and not _on_page_anyway(page, text)):
                assert not any(text in t for t in texts(at)), "URL text was echoed"
    assert_charts_finite(at)


def _valid_value(knob: K.Knob):
    if knob.kind in ("grid", "choice"):
        return st.sampled_from(knob.options)
    if knob.kind == "bool":
        return st.booleans()
    if knob.kind == "float":
        n = round((knob.hi - knob.lo) / knob.step)
        return st.integers(0, n).map(lambda i: K.snap(knob, knob.lo + i * knob.step))
    if knob.kind == "seed":
        return st.integers(0, 2**31 - 1)
    return st.integers(int(knob.lo), int(knob.hi))


@pytest.mark.parametrize("page", CONTENT, ids=lambda p: p.id)
@SETTINGS
@given(data=st.data())
def test_random_valid_knob_combinations_give_finite_charts_and_no_exception(page, data):
    part = data.draw(st.sampled_from(part_ids(page)), label="part")
    params = {k.name: K.encode(k, data.draw(_valid_value(k), label=k.name))
              for _, k in page_knobs(page, part)} | part_params(part)
    at = open_page(page, params)
    assert not at.exception, (params, at.exception)
    assert not notices(at)
    assert_charts_finite(at)


# --- security and configuration ---------------------------------------------------------------------
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_config_keeps_xsrf_and_cors_and_caps_message_size_and_cache():
    server = CONFIG["server"]
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert 0 < server["maxMessageSize"] <= 50
    assert "maxCacheDataSize" in server
    assert CONFIG["client"]["showSidebarNavigation"] is False
    assert CONFIG["browser"]["gatherUsageStats"] is False


def _calls(path: Path, attr: str):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr:
            yield node


SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_raw_html_is_only_ever_a_constant(path):
    for call in _calls(path, "html"):
        assert all(isinstance(a, ast.Name) and a.id.isupper() for a in call.args), \
            f"{path.name}:{call.lineno} st.html with a non-constant argument"
    for attr in ("markdown", "write", "caption", "info", "warning", "error"):
        for call in _calls(path, attr):
            for kw in call.keywords:
                assert not (kw.arg == "unsafe_allow_html" and getattr(kw.value, "value", False)), \
                    f"{path.name}:{call.lineno} unsafe_allow_html=True"


def test_pages_never_read_the_url_themselves():
    for path in SOURCES:
        if path.name in ("knobs.py", "frame.py"):
            continue
        assert "st.query_params" not in path.read_text(), path.name
