"""The knob table and URL parsing (pure functions; no Streamlit run needed)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import knobs as K
from ui.pages import PAGES

ALL = [(p.id, k) for p in PAGES for k in p.knobs] + [("shared", k) for k in K.SHARED]
IDS = [f"{scope}.{k.name}" for scope, k in ALL]


@pytest.mark.parametrize("scope,knob", ALL, ids=IDS)
def test_every_knob_is_well_formed(scope, knob):
    assert knob.help and knob.label and knob.name.isidentifier()
    assert knob.kind in ("grid", "int", "float", "choice", "bool", "seed")
    assert K.parse(knob, [])[0] == knob.default
    assert K.parse(knob, [K.encode(knob, knob.default)]) == (knob.default, None)
    if knob.kind in ("grid", "choice"):
        assert knob.default in knob.options
        assert list(knob.options) == sorted(knob.options) or knob.kind == "choice"
    if knob.kind in ("int", "float", "seed"):
        assert knob.lo <= knob.default <= knob.hi


@pytest.mark.parametrize("scope,knob", ALL, ids=IDS)
def test_every_allowed_value_round_trips_through_the_url(scope, knob):
    if knob.kind in ("grid", "choice"):
        values = knob.options
    elif knob.kind == "bool":
        values = (True, False)
    elif knob.kind == "float":
        n = round((knob.hi - knob.lo) / knob.step)
        values = [K.snap(knob, knob.lo + i * knob.step) for i in range(n + 1)]
    else:
        values = (int(knob.lo), int(knob.hi), int(knob.default))
    for v in values:
        assert K.parse(knob, [K.encode(knob, v)]) == (v, None)


@pytest.mark.parametrize("raw", ["abc", "nan", "NaN", "inf", "-inf", "-1e308", "1e308", "", " ",
                                 "<b>x</b>", "![](http://example.com/x.png)", "0x10", "1,5"])
@pytest.mark.parametrize("scope,knob", ALL, ids=IDS)
def test_garbage_gives_the_default_and_a_reason_that_does_not_echo_it(scope, knob, raw):
    value, why = K.parse(knob, [raw])
    if why is None:  # a few strings are legitimately valid for some kinds (e.g. '1e308' nowhere)
        assert knob.kind in ("choice",) and raw in knob.options
        return
    assert value == knob.default
    assert raw.strip() == "" or raw not in why


@pytest.mark.parametrize("scope,knob", ALL, ids=IDS)
def test_repeated_keys_are_rejected(scope, knob):
    v = K.encode(knob, knob.default)
    assert K.parse(knob, [v, v]) == (knob.default, "it appears more than once")


def test_off_grid_values_snap_to_the_nearest_grid_point_in_log_distance():
    assert K.parse(K.LR, ["0.123"]) == (0.12, None)
    assert K.parse(K.LR, ["0.00014"]) == (0.00015, None)  # log-nearest of 0.00013 and 0.00015
    assert K.parse(K.DIM, ["99"]) == (100, None)
    assert K.parse(K.CLIP, ["0"]) == (0.0, None)


def test_integer_knobs_refuse_fractions_and_float_knobs_snap_to_their_step():
    seed = K.SEED
    assert K.parse(seed, ["3.5"])[1] == "it is not a whole number"
    assert K.parse(seed, ["7"]) == (7, None)
    rho = next(k for p in PAGES for k in p.knobs if k.name == "rho")
    assert K.parse(rho, ["1.0349"])[0] == pytest.approx(1.03)


def test_log_grid_is_round_numbers_spread_evenly_in_log():
    g = K.log_grid(1e-4, 10.0)
    assert g[0] == 1e-4 and g[-1] == 10.0 and 0.15 in g and 0.2 in g
    ratios = [b / a for a, b in zip(g, g[1:])]
    assert max(ratios) <= 1.2 + 1e-12 and min(ratios) > 1.05


@settings(max_examples=300, deadline=None)
@given(raw=st.lists(st.text(max_size=30) | st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    max_size=3),
       index=st.integers(min_value=0, max_value=len(ALL) - 1))
def test_parse_never_raises_and_always_returns_an_allowed_value(raw, index):
    _, knob = ALL[index]
    value, why = K.parse(knob, raw)
    if knob.kind in ("grid", "choice"):
        assert value in knob.options
    elif knob.kind == "bool":
        assert isinstance(value, bool)
    else:
        assert knob.lo <= value <= knob.hi and math.isfinite(value)
    assert why is None or isinstance(why, str)


CLIFFS_KNOBS = list(K.SHARED) + list(next(p for p in PAGES if p.id == "cliffs").url_knobs)


@pytest.mark.parametrize("key,name", [("dims", "dim"), ("learning_rate", "lr"), ("LR", "lr"),
                                      ("Seed", "seed"), ("depht", "depth"), ("step", "steps"),
                                      ("clipping", "clipmode"), ("start", "w0")])
def test_a_misspelled_key_is_matched_to_the_knob_it_looks_like(key, name):
    assert [k.name for k in K.misspelled([key], CLIFFS_KNOBS)] == [name]


@pytest.mark.parametrize("key", ["utm_source", "fbclid", "gclid", "ref", "lang", "x", "", "width",
                                 "embed", "embed_options", "<script>", "λ", "lr", "w0"])
def test_knob_names_reserved_keys_and_unrelated_keys_are_not_reported(key):
    assert K.misspelled([key], CLIFFS_KNOBS) == []


def test_each_knob_is_suggested_once_and_the_notice_never_quotes_the_key():
    hits = K.misspelled(["dims", "dimension", "Dim"], CLIFFS_KNOBS)
    assert [k.name for k in hits] == ["dim"]
    text = K.misspelled_notice(hits[0])
    assert "`dim`" in text and "dims" not in text and "dimension" not in text.replace("Dimension", "")
