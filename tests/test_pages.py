"""Every page through AppTest: defaults, every knob at its extremes, garbage URLs, navigation.

Parametrized over the menu table (ui/pages.py), so a new page is covered as soon as its file exists.
"""

from __future__ import annotations

import json

import pytest

from tests.pagetest import (
    assert_charts_finite,
    chart_frames,
    notices,
    open_page,
    page_knobs,
    part_ids,
    part_params,
    texts,
    widget,
)
from ui import knobs as K
from ui import scenes
from ui.pages import BY_ID, PAGES

EXISTING = [p for p in PAGES if p.exists()]
CONTENT = [p for p in EXISTING if p.knobs or p.shared]
GARBAGE = ["abc", "nan", "inf", "-1e308", "<img src=x onerror=alert(1)>",
           "[click](javascript:alert(1))", "**bold** ![](http://example.com/t.png)"]


def _extremes(knob: K.Knob):
    if knob.kind == "grid" or knob.kind == "choice":
        return [knob.options[0], knob.options[-1]]
    if knob.kind == "bool":
        return [False, True]
    return [knob.lo, knob.hi]


@pytest.mark.parametrize("page", EXISTING, ids=lambda p: p.id)
def test_page_at_defaults(page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert not notices(at)
    if page.id != "home":
        assert at.title[0].value == page.label
    if page.id not in ("home", "lecture_tour"):
        assert assert_charts_finite(at) >= 1
        assert len(at.metric) >= 1
    # the URL carries every shared knob and this page's own knobs
    expected = {k.name: K.encode(k, k.default) for k in K.SHARED + page.url_knobs}
    assert {k: at.query_params.get(k) for k in expected} == expected
    for _, knob in page_knobs(page):
        assert widget(at, knob).help, f"{knob.name} has no tooltip"


# knobs a page narrows with frame(limits=...): the widget shows the value clamped into them
LIMITS = {("local_minima", "depth"): (1, 3), ("lecture_tour", "scene"): (1, len(scenes.load()))}


def _drawn_or_explained(page, at) -> None:
    """Finite charts; a page with charts draws at least one, or says why (a divergence)."""
    n = assert_charts_finite(at)
    if page.id not in ("home", "lecture_tour"):
        assert n >= 1 or any("diverged" in w.value for w in at.warning), "no chart and no reason"


PARTS = [(p, part) for p in CONTENT for part in part_ids(p)]
EXTREMES = [(p, part, k, v) for p, part in PARTS for _, k in page_knobs(p, part)
            for v in _extremes(k)]


@pytest.mark.parametrize("page,part,knob,value", EXTREMES,
                         ids=[f"{p.id}-{part}-{k.name}={v}" for p, part, k, v in EXTREMES])
def test_every_knob_at_its_extremes_in_every_part_that_draws_it(page, part, knob, value):
    at = open_page(page, {knob.name: K.encode(knob, value)} | part_params(part))
    assert not at.exception, at.exception
    assert not notices(at), "a valid extreme value was rejected"
    assert at.query_params[knob.name] == K.encode(knob, value)
    lo, hi = LIMITS.get((page.id, knob.name), (value, value))
    assert widget(at, knob).value == min(max(value, lo), hi)
    _drawn_or_explained(page, at)


@pytest.mark.parametrize("page,part", PARTS, ids=[f"{p.id}-{part}" for p, part in PARTS])
@pytest.mark.parametrize("end", [0, -1], ids=["all-min", "all-max"])
def test_all_knobs_at_once_at_one_end_in_every_part(page, part, end):
    params = {k.name: K.encode(k, _extremes(k)[end]) for _, k in page_knobs(page, part)}
    at = open_page(page, params | part_params(part))
    assert not at.exception, at.exception
    _drawn_or_explained(page, at)
    if page.parts:
        assert len(at.metric) >= 1


@pytest.mark.parametrize("page", [p for p in CONTENT if p.parts], ids=lambda p: p.id)
def test_parts_are_tabs_and_only_the_open_one_is_drawn(page):
    counts = {}
    for part in page.parts:
        at = open_page(page, {"part": part.id})
        assert not at.exception, at.exception
        assert [t.label for t in at.tabs] == [p.label for p in page.parts]
        filled = [t.label for t in at.tabs if len(t.children)]
        assert filled == [part.label], "only the open part's tab has content"
        drawn = {k.name for _, k in page_knobs(page, part.id)} - set(page.shared)
        assert drawn == set(part.knobs)
        for _, knob in page_knobs(page, part.id):
            assert widget(at, knob).help, f"{knob.name} has no tooltip"
        counts[part.id] = len(at.get("vega_lite_chart"))
        assert at.query_params["part"] == part.id
    assert all(1 <= n <= 5 for n in counts.values()), counts


@pytest.mark.parametrize("page", [p for p in CONTENT if p.parts], ids=lambda p: p.id)
def test_a_bad_part_in_the_url_opens_the_first_part_with_a_notice(page):
    at = open_page(page, {"part": "<b>nope</b>"})
    assert not at.exception
    assert any("`part`" in n for n in notices(at))
    assert at.query_params["part"] == page.parts[0].id
    assert not any("nope" in t for t in texts(at))


@pytest.mark.parametrize("page", EXISTING, ids=lambda p: p.id)
@pytest.mark.parametrize("raw", GARBAGE + [["0.1", "0.2"]], ids=lambda r: repr(r)[:20])
def test_garbage_in_every_url_parameter_gives_defaults_and_a_notice(page, raw):
    names = [k.name for k in K.SHARED + page.url_knobs]
    at = open_page(page, {n: raw for n in names} | {"unknown": "1"})
    assert not at.exception, at.exception
    for _, knob in page_knobs(page):
        w = widget(at, knob)
        assert w.value == knob.default or K.parse(knob, [str(w.value)])[0] != knob.default
    got = notices(at)
    for k in K.SHARED + page.url_knobs:
        if not (k.kind == "choice" and isinstance(raw, str) and raw in k.options):
            assert any(f"`{k.name}`" in n for n in got), f"no notice for {k.name}"
    # nothing from the URL is rendered: no echo of the text, no element built from it
    hostile = raw if isinstance(raw, str) else ""
    if len(hostile) > 3:
        assert not any(hostile in t for t in texts(at))
    assert "unknown" not in at.query_params
    assert at.query_params["lr"] == K.encode(K.LR, K.LR.default)


def test_values_survive_navigation_after_a_deep_link():
    ill, home = BY_ID["ill_conditioning"], BY_ID["home"]
    at = open_page(ill, {"lr": "0.05", "kappa": "100", "seed": "7"})
    assert at.select_slider(key="lr").value == 0.05
    for other in [p for p in EXISTING if p.id not in ("ill_conditioning",)] + [home]:
        at.switch_page(other.file).run()
        assert not at.exception
        assert at.query_params["lr"] == "0.05" and at.query_params["seed"] == "7"
    at.switch_page(ill.file).run()
    assert at.select_slider(key="lr").value == 0.05
    assert at.select_slider(key="kappa").value == 100.0
    assert at.number_input(key="seed").value == 7


def test_a_widget_change_updates_the_url_and_survives_navigation():
    ill = BY_ID["ill_conditioning"]
    at = open_page(ill)
    at.select_slider(key="lr").set_value(0.02).run()
    at.select_slider(key="kappa").set_value(1000.0).run()
    assert at.query_params["lr"] == "0.02" and at.query_params["kappa"] == "1000"
    at.switch_page("app.py").run()
    at.switch_page(ill.file).run()
    assert at.select_slider(key="lr").value == 0.02
    assert at.select_slider(key="kappa").value == 1000.0


def test_home_lists_every_pathology_and_links_the_pages_that_exist():
    at = open_page(BY_ID["home"])
    body = " ".join(texts(at))
    for p in PAGES[1:]:
        assert p.label in body or any(p.label in str(link.proto.label) for link in at.get("page_link"))
    for p in PAGES[1:]:
        for part in p.parts:  # the home page names every part of every page
            assert part.label.split(" · ", 1)[-1] in body, part.label
    links = [link.proto.page for link in at.get("page_link")]
    for p in EXISTING:
        assert any(p.file.split("/")[-1] in str(x) or p.url_path in str(x) for x in links)


# --- the ill-conditioning page's own interaction ----------------------------------------------------
def _metric(at, prefix):
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def test_ill_conditioning_metrics_and_divergence_warning():
    at = open_page(BY_ID["ill_conditioning"], {"kappa": "10", "lr": "0.15"})
    for label in ("Condition number", "Critical learning rate", "Steps where cost rose", "Final cost"):
        assert _metric(at, label)
    assert float(_metric(at, "Condition number")) == pytest.approx(10)
    assert float(_metric(at, "Critical learning rate")) == pytest.approx(0.2)
    assert _metric(at, "Steps where cost rose") == "0"
    assert not [w for w in at.warning if "diverged" in w.value]
    at.select_slider(key="lr").set_value(0.22).run()  # just above 2/lambda_max = 0.2
    assert int(_metric(at, "Steps where cost rose")) > 0
    warn = [w.value for w in at.warning if "diverged" in w.value]
    assert warn and "step" in warn[0] and "0.2200 > 2/lambda_max = 0.2000" in warn[0]
    assert_charts_finite(at)


def _view(at) -> tuple:
    """What a part shows: every text and metric, and every chart's spec and data."""
    charts = [(json.dumps(spec, sort_keys=True), [f.to_csv(index=False) for f in frames])
              for spec, frames in chart_frames(at)]
    return tuple(texts(at)), repr(charts)


def _other_value(page, knob: K.Knob):
    """A value of a shared knob far from its default (the last grid option, or seed + 1; the
    low end of the page's limits for a knob it clamps)."""
    if knob.kind == "seed":
        return knob.default + 1
    if (page.id, knob.name) in LIMITS:
        return LIMITS[page.id, knob.name][0]
    return knob.options[-1] if knob.options[-1] != knob.default else knob.options[0]


@pytest.mark.parametrize(("page", "part"), [(p, part.id) for p in CONTENT for part in p.parts],
                         ids=lambda x: x if isinstance(x, str) else x.id)
def test_a_part_draws_exactly_the_shared_knobs_that_change_it(page, part):
    """A shared knob drawn with a part open changes what the part shows; one it does not draw
    changes nothing (so hiding it hides nothing a student could want to move)."""
    at = open_page(page, {"part": part})
    assert not at.exception, at.exception
    base = _view(at)
    drawn = page.shared_of(part)
    for name in page.shared:
        knob = K.SHARED_BY_NAME[name]
        at = open_page(page, {"part": part, name: K.encode(knob, _other_value(page, knob))})
        assert not at.exception, at.exception
        if name in drawn:
            assert _view(at) != base, f"{name} is drawn but changes nothing in part {part}"
        else:
            assert _view(at) == base, f"{name} changes part {part} but is not drawn there"


def test_a_misspelled_key_in_a_link_gets_a_did_you_mean_notice_and_changes_nothing():
    page = BY_ID["saddle_points"]
    at = open_page(page, {"part": "hessians", "dims": "20", "utm_source": "mail", "embed": "true"})
    assert not at.exception
    got = notices(at)
    assert len(got) == 1 and "`dim`" in got[0] and "Dimension n" in got[0]
    assert widget(at, K.DIM).value == K.DIM.default
    assert "dims" not in at.query_params and at.query_params["dim"] == K.encode(K.DIM, K.DIM.default)
    assert not notices(at.run())  # said once: the rewritten link no longer carries the key
