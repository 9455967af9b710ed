"""The browser benchmark's second floor (bench/floor_app.py?grammar=1) stands for one part of the
explorer with nothing computed behind it. Comparing a part with it is fair only while it draws
what a part draws: the part it is modelled on (saddle_points/dimensions) element for element, and
no kind of element more or less often than the parts do."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pagetest import ROOT, TIMEOUT, open_page
from ui.pages import PAGES

KINDS = {  # what a knob change redraws, by kind
    "knobs": ("slider", "select_slider", "number_input", "radio"),
    "menu links": ("page_link",),
    "metrics": ("metric",),
    "charts": ("vega_lite_chart",),
}


def _counts(at: AppTest) -> dict[str, int]:
    assert not at.exception
    return {name: sum(len(at.get(k)) for k in kinds) for name, kinds in KINDS.items()}


def _floor(grammar: bool) -> AppTest:
    at = AppTest.from_file(str(ROOT / "bench" / "floor_app.py"), default_timeout=TIMEOUT)
    if grammar:
        at.query_params["grammar"] = "1"
    return at.run()


def test_plain_floor_is_one_slider_and_one_chart():
    assert _counts(_floor(False)) == {"knobs": 1, "menu links": 0, "metrics": 0, "charts": 1}


@pytest.fixture(scope="module")
def part_counts() -> dict[str, dict[str, int]]:
    return {f"{p.id}/{part.id}": _counts(open_page(p, {"part": part.id}))
            for p in PAGES if p.parts for part in p.parts}


def test_part_size_floor_draws_what_the_modelled_part_draws(part_counts):
    floor = _counts(_floor(True))
    assert floor == part_counts["saddle_points/dimensions"]
    for name, n in floor.items():
        seen = [c[name] for c in part_counts.values()]
        assert min(seen) <= n <= max(seen), f"{name}: {n} outside the parts' {min(seen)}-{max(seen)}"


def test_part_size_floor_knob_changes_its_chart():
    at = _floor(True)
    before = at.get("vega_lite_chart")[0].proto.datasets[0].data.data
    at.slider(key="value").set_value(10).run()
    assert not at.exception
    assert at.get("vega_lite_chart")[0].proto.datasets[0].data.data != before
