"""A knob that only changes a chart's numbers must leave the chart's specification alone.

Streamlit's browser side swaps a chart's data in place when only the data changed, but rebuilds
the whole chart (a Vega re-embed, several times slower) when the specification changed. So axis
ranges that follow the numbers travel as data (ui.charts.extent and span), and titles do not
carry knob values. These cases are the knobs the browser benchmark turns and the knobs of the
parts where the specification used to change; a title or domain that picks a value up again
fails here.
"""

from __future__ import annotations

import json

import pytest

from tests.pagetest import open_page
from ui.pages import BY_ID

CASES = [
    ("long_term", "power", {"dim": "8"}),
    ("long_term", "power", {"depth": "40"}),
    ("long_term", "nonlinear", {"dim": "8"}),
    ("long_term", "nonlinear", {"depth": "40"}),
    ("long_term", "fresh", {"dim": "8"}),
    ("long_term", "fresh", {"depth": "40"}),
    ("long_term", "init", {"depth": "40"}),
    ("local_minima", "minima", {"lr": "0.3"}),
    ("local_minima", "minima", {"width": "3"}),
    ("minibatch", "order", {"batch": "80"}),
    ("minibatch", "sgd", {"batch": "80"}),
    ("minibatch", "sgd", {"lr": "0.13"}),
    ("minibatch", "error", {"dim": "8"}),
    ("saddle_points", "dimensions", {"lr": "0.13"}),
    ("cliffs", "why", {"lr": "0.13"}),
    ("cliffs", "cliff", {"lr": "0.13"}),
    ("cliffs", "cliff", {"depth": "40"}),
    ("cliffs", "cliff", {"w0": "4.5", "b0": "-2.5"}),  # a click on a map moves the start
    ("ill_conditioning", "network", {"lr": "0.13"}),
]


def _charts(page_id: str, part: str, params: dict[str, str]) -> list[tuple[dict, list[bytes]]]:
    at = open_page(BY_ID[page_id], {"part": part, **params})
    assert not at.exception
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        spec.pop("datasets", None)
        out.append((spec, [d.data.data for d in el.proto.datasets] + [el.proto.data.data]))
    return out


@pytest.mark.parametrize("page_id,part,change", CASES,
                         ids=[f"{p}/{q}-{'+'.join(c)}" for p, q, c in CASES])
def test_a_knob_changes_the_charts_data_but_not_their_specification(page_id, part, change):
    before, after = _charts(page_id, part, {}), _charts(page_id, part, change)
    assert before and len(before) == len(after)
    assert any(b[1] != a[1] for b, a in zip(before, after)), "the knob changed no chart's data"
    for i, ((spec_b, _), (spec_a, _)) in enumerate(zip(before, after)):
        assert spec_a == spec_b, f"chart {i} ({spec_b.get('title', '')!r}) changed its specification"


@pytest.mark.parametrize("page_id", sorted({p for p, _, _ in CASES}))
def test_charts_skip_per_point_aria_strings_and_finiteness_tests(page_id):
    """Every chart carries ui.charts.MARK_CONFIG (no per-point ARIA description, no per-point
    finiteness test: the browser evaluates both for every point on every redraw). Safe only
    because chart data is finite, which tests/test_robustness.py checks at every knob's extremes."""
    for part in BY_ID[page_id].parts:
        for spec, _ in _charts(page_id, part.id, {}):
            mark = spec.get("config", {}).get("mark", {})
            assert mark.get("aria") is False and "invalid" in mark and mark["invalid"] is None, \
                f"{page_id}/{part.id}: chart {spec.get('title', '')!r} lacks MARK_CONFIG"
