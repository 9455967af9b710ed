"""Knobs: one table entry per knob, parsed from the URL, kept in the session, drawn as a widget.

A knob's value lives in three places that this module keeps in step:
- ``st.session_state[state_key]``: the truth, a non-widget key seeded once per session from the URL
  (validated: garbage gives the default and a notice, never a traceback);
- the widget keyed by the knob's URL name: filled from the truth before it renders, and copied back
  by its ``on_change`` callback (widget state alone is dropped when a page stops drawing it);
- ``st.query_params``: rewritten from the truth on every run, so a link reproduces the view.
The parsing half (:func:`parse`, :func:`encode`) is pure and tested without Streamlit.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

_MANTISSAS = (1, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 2.8, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9)


def log_grid(lo: float, hi: float, mantissas: Sequence[float] = _MANTISSAS) -> tuple[float, ...]:
    """Round numbers from lo to hi, evenly spread on a log scale (20 per decade by default)."""
    out = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in mantissas:
            v = float(f"{m}e{e}")
            if lo * (1 - 1e-12) <= v <= hi * (1 + 1e-12):
                out.append(v)
    return tuple(out)


def int_grid(lo: int, hi: int) -> tuple[int, ...]:
    """Integers from lo to hi on a 1-1.2-1.5-2-2.5-3-4-5-6-8 log ladder, ends included."""
    vals = {lo, hi} | {int(round(m * 10**e)) for e in range(7)
                       for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)}
    return tuple(sorted(v for v in vals if lo <= v <= hi))


def _g(v: float) -> str:
    return f"{v:.4g}"


@dataclass(frozen=True)
class Knob:
    """One knob. ``kind`` is 'grid' (a slider over ``options``, e.g. a log scale), 'int' or
    'float' (a linear slider from lo to hi by step), 'choice' (one of ``options``, shown through
    ``labels``), 'bool' (a toggle), 'seed' (a number box) or 'names' (a comma-separated subset of
    ``options``, kept in the URL but never drawn as a widget)."""

    name: str
    label: str
    help: str
    default: Any
    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple = ()
    labels: dict = field(default_factory=dict)
    fmt: str = "{:.4g}"

    def show(self, v) -> str:
        """The value as the widget and messages print it."""
        if self.kind == "choice":
            return str(self.labels.get(v, v))
        if self.kind == "names":
            return ", ".join(v) if v else "all"
        if self.kind == "bool":
            return "on" if v else "off"
        return self.fmt.format(v)

    def bounds(self) -> tuple[float, float]:
        if self.kind == "grid":
            return min(self.options), max(self.options)
        return self.lo, self.hi


def snap(knob: Knob, v: float):
    """The allowed value nearest to v (nearest grid point, in log distance when positive)."""
    if knob.kind == "grid":
        def dist(o):
            if o > 0 and v > 0:
                return abs(math.log(o) - math.log(v))
            return abs(o - v) + (1e9 if (o > 0) != (v > 0) else 0)
        return min(knob.options, key=dist)
    if knob.kind == "float":
        k = round((v - knob.lo) / knob.step)
        return float(f"{knob.lo + k * knob.step:.10g}")
    return v


def parse(knob: Knob, raw: Sequence[str]) -> tuple[Any, str | None]:
    """(value, None) for a valid URL value, else (default, why). ``raw`` is every value the URL
    gave for the knob. The reason never quotes the raw text (it may be hostile)."""
    if len(raw) == 0:
        return knob.default, None
    if len(raw) > 1:
        return knob.default, "it appears more than once"
    text = raw[0].strip()
    if knob.kind == "names":
        names = tuple(t.strip() for t in text.split(",") if t.strip())
        if all(n in knob.options for n in names):
            return tuple(dict.fromkeys(names)), None
        return knob.default, "it names an unknown knob"
    if knob.kind == "choice":
        return (text, None) if text in knob.options else (knob.default, "it is not one of the choices")
    if knob.kind == "bool":
        t = text.lower()
        if t in ("1", "true", "on", "yes"):
            return True, None
        if t in ("0", "false", "off", "no"):
            return False, None
        return knob.default, "it is not on/off"
    try:
        v = float(text)
    except ValueError:
        return knob.default, "it is not a number"
    if not math.isfinite(v):
        return knob.default, "it is not a finite number"
    lo, hi = knob.bounds()
    if not (lo <= v <= hi):
        return knob.default, f"it is outside {knob.show(lo)} to {knob.show(hi)}"
    if knob.kind in ("int", "seed"):
        if v != int(v):
            return knob.default, "it is not a whole number"
        return int(v), None
    return snap(knob, v), None


def encode(knob: Knob, v) -> str:
    """The URL text of a value; parse(knob, [encode(knob, v)]) == (v, None)."""
    if knob.kind == "bool":
        return "1" if v else "0"
    if knob.kind == "choice":
        return str(v)
    if knob.kind == "names":
        return ",".join(v)
    if knob.kind in ("int", "seed") or (knob.kind == "grid" and isinstance(v, int)):
        return str(int(v))
    return repr(float(v)) if float(v) != int(v) or abs(v) >= 1e16 else str(int(v))


# Query parameters that are not knobs but belong in a link anyway: Streamlit's own (an app embedded
# in another site carries them), never reported.
RESERVED = frozenset({"embed", "embed_options"})


def _folded(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def misspelled(keys: Sequence[str], knobs: Sequence[Knob], cutoff: float = 0.75) -> list[Knob]:
    """The knobs that URL keys which are not knob names look like misspellings of: the key,
    lower-cased and stripped of everything but ASCII letters and digits, close to a knob's name or
    label stripped the same way (``dims`` to ``dim``, ``learning_rate`` to "Learning rate ε").
    Other unknown keys (tracking tags, Streamlit's RESERVED ones) are not reported. Each knob at
    most once, in the order of ``knobs``."""
    names = {k.name for k in knobs} | RESERVED
    spelled = {}
    for k in knobs:
        for form in (_folded(k.name), _folded(k.label)):
            spelled.setdefault(form, k)
    hits = set()
    for key in keys:
        folded = _folded(key)
        if key in names or not folded:
            continue
        close = difflib.get_close_matches(folded, list(spelled), n=1, cutoff=cutoff)
        if close:
            hits.add(spelled[close[0]].name)
    return [k for k in knobs if k.name in hits]


def misspelled_notice(knob: Knob) -> str:
    """What the page says about a dropped key that looks like ``knob`` (never the key itself: it
    may be hostile)."""
    return (f"A parameter of the link was ignored because no knob has that name; did you mean "
            f"**{knob.label}** (`{knob.name}`)?")


# --- Streamlit half -------------------------------------------------------------------------------
def state_key(scope: str, knob: Knob) -> str:
    return f"_knob.{scope}.{knob.name}"


def _last_written(knob: Knob) -> str:
    return f"_url.{knob.name}"


def sync_from_url(scope: str, knob: Knob) -> str | None:
    """Bring the session's value in step with the URL; return a notice if the URL was bad.

    The first time a knob is seen in a session its value comes from the URL (or the default).
    Afterwards the URL is adopted only when it differs from what this session last wrote there:
    that is a link followed inside the app (the lecture tour's 'open scene', the browser's back
    button), not our own echo. A bad value is never adopted.
    """
    key = state_key(scope, knob)
    raw = st.query_params.get_all(knob.name)
    if key in st.session_state and (not raw or raw == [st.session_state.get(_last_written(knob))]):
        return None
    value, why = parse(knob, raw)
    if why is None:
        st.session_state[key] = value
        return None
    if key not in st.session_state:
        st.session_state[key] = value
        kept = f"using the default {knob.show(knob.default)}"
    else:
        kept = f"keeping {knob.show(st.session_state[key])}"
    return f"The link's value for **{knob.label}** (`{knob.name}`) was ignored because {why}; {kept}."


def mark_written(knob: Knob, text: str) -> None:
    """Remember what this session wrote into the URL for the knob (see :func:`sync_from_url`)."""
    st.session_state[_last_written(knob)] = text


def value(scope: str, knob: Knob):
    return st.session_state[state_key(scope, knob)]


def _copy_back(scope: str, knob: Knob) -> None:
    st.session_state[state_key(scope, knob)] = st.session_state[knob.name]


def render(scope: str, knob: Knob, limits: tuple[float, float] | None = None):
    """Draw the widget for a seeded knob and return the value the page should use.

    ``limits`` narrows a numeric knob on one page (the stored value is kept for other pages;
    the widget and the returned value are clamped into the limits)."""
    v = value(scope, knob)
    kw = dict(key=knob.name, help=knob.help, on_change=_copy_back, args=(scope, knob))
    if knob.kind == "grid":
        opts = knob.options
        if limits:
            opts = tuple(o for o in opts if limits[0] <= o <= limits[1]) or (knob.default,)
            v = min(max(v, opts[0]), opts[-1])
        if len(opts) < 2:
            st.caption(f"{knob.label}: {knob.show(opts[0])}", help=knob.help)
            return opts[0]
        st.session_state[knob.name] = v
        return st.select_slider(knob.label, options=opts, format_func=knob.show, **kw)
    if knob.kind in ("int", "float"):
        lo, hi = limits if limits else (knob.lo, knob.hi)
        v = min(max(v, lo), hi)
        if lo >= hi:  # a single allowed value: nothing to choose, so no slider
            st.caption(f"{knob.label}: {knob.show(v)}", help=knob.help)
            return v
        st.session_state[knob.name] = v
        cast = int if knob.kind == "int" else float
        step = knob.step if knob.step is not None else 1
        fmt = knob.fmt.replace("{:", "%").replace("}", "") if knob.kind == "float" else None
        return st.slider(knob.label, min_value=cast(lo), max_value=cast(hi), step=cast(step),
                         format=fmt, **kw)
    st.session_state[knob.name] = v
    if knob.kind == "choice":
        return st.radio(knob.label, options=knob.options, format_func=knob.show, horizontal=True, **kw)
    if knob.kind == "bool":
        return st.toggle(knob.label, **kw)
    return st.number_input(knob.label, min_value=int(knob.lo), max_value=int(knob.hi), step=1, **kw)


# --- the shared knobs (ARCHITECTURE.md: one table, used by every page) ---------------------------
LR = Knob("lr", "Learning rate ε", "Step size ε of gradient descent: each step moves by −ε·g. "
          "Log scale from 0.0001 to 10.", 0.15, "grid", options=log_grid(1e-4, 10.0))
DIM = Knob("dim", "Dimension n", "Number of parameters (or features, or matrix size). Log scale.",
           10, "grid", options=int_grid(2, 512), fmt="{:d}")
DEPTH = Knob("depth", "Depth T", "Number of layers or time steps the signal passes through.",
             50, "grid", options=int_grid(1, 1000), fmt="{:d}")
CLIP = Knob("clip", "Clipping threshold v", "Gradient clipping threshold v (0 = off): a gradient "
            "longer than v is rescaled to length v. Log scale.", 1.0, "grid",
            options=(0.0,) + log_grid(1e-2, 100.0))
SEED = Knob("seed", "Seed", "Random seed: the same seed gives the same numbers, on every machine.",
            0, "seed", lo=0, hi=2**31 - 1)
PRESENT = Knob("present", "Presenter view", "Bigger text and charts for a projector; with a "
               "lecture scene, only the controls the scene uses are shown.", False, "bool")
SHARED = (LR, DIM, DEPTH, CLIP, SEED, PRESENT)
SHARED_BY_NAME = {k.name: k for k in SHARED}


def show_knob(page_knobs: Sequence[Knob]) -> Knob:
    """The per-page ``show`` knob: which controls presenter view keeps (empty = all)."""
    names = tuple(k.name for k in SHARED if k is not PRESENT) + tuple(k.name for k in page_knobs)
    return Knob("show", "Controls shown", "In presenter view, the controls to keep visible "
                "(set by a lecture scene).", (), "names", options=names)


def set_value(scope: str, knob: Knob, v) -> None:
    """Change a knob from a button's on_click callback (callbacks run before the script, so the
    widget picks the value up when it is drawn)."""
    st.session_state[state_key(scope, knob)] = v
