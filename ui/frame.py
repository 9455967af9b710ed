"""The page frame: every page (and app.py) calls :func:`frame` first.

One call sets the page config, draws our own menu with ``st.page_link`` (Streamlit's generated
menu is hidden in config.toml), brings the knobs in step with the URL and draws them, shows the
title, the book's claim and any notice about a bad link, and offers the page's exports. Because
every page calls it, a deep link to any page works on a freshly started server.

A page with parts (``PageInfo.parts``) gets them as tabs; the open one is the ``part`` knob, kept
in the URL like any other. Only the open part is computed: the page hands one function per part
to :func:`run_part`, which calls the open one inside its tab, under the row of the knobs that
part uses. It does so in an ``st.fragment``: a knob change reruns the part and what the knobs
feed outside it (the sidebar's knobs, menu links and share link, written into slots the full run
left there), not the page's title, tabs and notes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from ui import exports, heap, net, workers
from ui import knobs as K
from ui.pages import BY_ID, PAGES, PageInfo

APP_TITLE = "Optimization pathologies"
# A local file: a Material icon as page_icon makes the browser fetch it from Google's servers,
# and the app must work offline.
FAVICON = str(Path(__file__).with_name("favicon.png"))
# Static CSS (no user text ever reaches it). Every page: a display equation wider than a phone
# scrolls sideways instead of being cut off.
PAGE_CSS = """<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding-bottom: 2px; }
</style>"""
# Presenter view: larger type and charts, too.
PRESENTER_CSS = PAGE_CSS + """<style>
[data-testid="stMainBlockContainer"] { zoom: 1.25; padding-top: 1rem; max-width: 100%; }
[data-testid="stTab"] p { font-size: 1.2rem; }
</style>"""
_run = threading.local()  # this script run's charts, for the page's export bundle


def _scoped(info: PageInfo) -> list[tuple[str, K.Knob]]:
    own = [(info.id, k) for k in info.url_knobs]
    if info.id != "home":
        own.append((info.id, K.show_knob(info.knobs)))
    return [("shared", k) for k in K.SHARED] + own


def _encoded(info: PageInfo) -> dict[str, str]:
    """The page's knobs as URL text (an empty 'show' list is left out)."""
    out = {}
    for scope, knob in _scoped(info):
        key = K.state_key(scope, knob)
        if key in st.session_state:
            text = K.encode(knob, st.session_state[key])
            if text or knob.kind != "names":
                out[knob.name] = text
    return out


def link_params(target: PageInfo) -> dict[str, str]:
    """Query parameters of a link to ``target``: every shared knob, plus the target's own knobs
    that this session has already set (the others take their defaults there)."""
    return _encoded(target)


def menu(current: PageInfo) -> None:
    """The menu's links: the pages that exist, in the book's order, carrying the knob values
    (its title is drawn once by :func:`frame`)."""
    for p in PAGES:
        if p.exists():
            st.page_link(p.file, label=p.menu_label, icon=f":material/{p.icon}:",
                         query_params=link_params(p),
                         help=f"Book §{p.section}: {p.symptom}" if p.symptom else None)


def _sync_url(info: PageInfo) -> dict[str, str]:
    want = _encoded(info)
    have = st.query_params
    if set(have.keys()) != set(want) or any(have.get_all(k) != [v] for k, v in want.items()):
        st.query_params.from_dict(want)
    for _, knob in _scoped(info):
        K.mark_written(knob, want.get(knob.name, ""))
    return want


def _view_link(params: dict[str, str]) -> str:
    base = (st.context.url or "").split("?")[0]
    return base + "?" + "&".join(f"{k}={v}" for k, v in params.items())


@dataclass
class _Layout:
    """What a full run of a page lays out for the controls drawn after it: the sidebar's slots
    for the menu, the shared knobs and the share link, and the body (the open tab). The
    controls run inline on a page without parts and inside the part's fragment otherwise;
    the bundle button (drawn once per full run) reads ``entries`` and ``params`` when clicked,
    so it always packs the view on screen."""

    info: PageInfo
    limits: dict[str, tuple[float, float]]
    present: bool
    shared: tuple[str, ...]
    own: tuple[K.Knob, ...]
    menu: Any
    knobs: Any
    share: Any
    body: Any
    entries: list = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)


def _bundle_button(lay: _Layout) -> None:
    info = lay.info
    st.download_button(
        "Bundle: charts, data, params (zip)",
        lambda: exports.bundle(list(lay.entries), info.id, info.url_path, dict(lay.params)),
        file_name=f"{info.url_path or 'home'}_bundle.zip", mime="application/zip",
        key="bundle", on_click="ignore", icon=":material/folder_zip:", width="stretch",
        help="SVG and PNG of every chart, the CSV behind each, and params.json (seed "
             "included) that reproduces this view.")


def frame(page_id: str, claim: str = "", limits: dict[str, tuple[float, float]] | None = None,
          ) -> dict[str, Any]:
    """Draw the frame of page ``page_id`` and return its knob values by URL name.

    On a page with parts the knobs are drawn by :func:`run_part`, inside the part's fragment,
    which passes their values to the part; the values returned here are the stored ones.

    Args:
        page_id: a row of ui.pages.PAGES.
        claim: two or three sentences from the book (Markdown), shown under the title.
        limits: per-knob (lo, hi) narrowing on this page, e.g. {"depth": (1, 3)}; the stored
            value is kept for the other pages.
    """
    net.ensure_nodelay()  # once per process: Streamlit 1.67 leaves Nagle's algorithm on (ui/net.py)
    heap.freeze_startup_objects()  # once per process: shorter full collections (ui/heap.py)
    workers.start(check_code=False)  # the process that computes core results (ui/workers.py)
    info = BY_ID[page_id]
    notices = [n for scope, knob in _scoped(info) if (n := K.sync_from_url(scope, knob))]
    notices += [K.misspelled_notice(k) for k in K.misspelled(list(st.query_params),
                                                            [kn for _, kn in _scoped(info)])]
    present = K.value("shared", K.PRESENT)
    st.set_page_config(page_title=f"{info.label} · {APP_TITLE}" if info.id != "home" else APP_TITLE,
                       page_icon=FAVICON, layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    own, shared, part = info.knobs, info.shared, None
    if info.parts:
        part = info.part(K.value(info.id, info.part_knob))
        own, shared = info.own_of(part.id), info.shared_of(part.id)
    # The sidebar's static text is drawn here, once per full run; a knob change reruns only the
    # part's fragment, which refills the slots (every element it sends costs the browser time).
    with st.sidebar:
        st.markdown(f"**{APP_TITLE}**  \n*Deep Learning*, chapter 8")
        slots = {"menu": st.container()}
        st.divider()
        K.render("shared", K.PRESENT)
        if shared and not present:
            st.markdown("**Shared knobs** (kept in the link and across pages)")
        slots["knobs"] = st.container()
        if info.id != "home":
            st.divider()
            st.markdown("**Share and export**")
            st.caption("Link to this view (every knob included):")
            slots["share"] = st.container()
        else:
            slots["share"] = None
    if present:
        st.html(PRESENTER_CSS)
    else:
        st.html(PAGE_CSS)
    if info.id != "home":
        st.title(info.label)
        if claim:
            st.markdown(f"{claim} *(book §{info.section})*")
    for n in notices:
        st.warning(n, icon=":material/link_off:")
    body = _tabs(info, part) if part is not None else None
    lay = _Layout(info, dict(limits or {}), present, shared, own, body=body or st.container(),
                  **slots)
    _run.layout = lay
    if info.id not in ("home", "lecture_tour"):
        with st.sidebar:
            _bundle_button(lay)
    if info.parts:
        return {knob.name: K.value(scope, knob) for scope, knob in _scoped(info)}
    return _controls(lay, lay.body)


def _controls(lay: _Layout, body: Any) -> dict[str, Any]:
    """Everything a knob change alters besides the page's content: the knobs themselves (the
    shared ones in the sidebar, or in the row in presenter view, and the part's own ones in the
    row, in ``body``), the URL, the menu's links and the share link. Returns the values by URL
    name."""
    info, limits = lay.info, lay.limits
    values = {knob.name: K.value(scope, knob) for scope, knob in _scoped(info)}
    shown = set(values.get("show") or ()) if lay.present else set()

    def visible(name):
        return not shown or name in shown

    # In presenter view the sidebar starts collapsed, so the shared knobs a scene uses join the
    # page's own knobs in the row under the title.
    if lay.shared and not lay.present:
        with lay.knobs:
            for name in lay.shared:
                values[name] = K.render("shared", K.SHARED_BY_NAME[name], limits.get(name))
    row = [("shared", K.SHARED_BY_NAME[n]) for n in lay.shared if lay.present and visible(n)]
    row += [(info.id, k) for k in lay.own if visible(k.name)]
    if row:  # one wrapping row (a block per knob fewer than columns)
        with body, st.container(horizontal=True, gap="medium"):
            for scope, knob in row:
                values[knob.name] = K.render(scope, knob, limits.get(knob.name))
    for name, (lo, hi) in limits.items():  # clamp what is not drawn too
        if isinstance(values.get(name), (int, float)) and not isinstance(values[name], bool):
            values[name] = type(values[name])(min(max(values[name], lo), hi))
    params = _sync_url(info)
    lay.entries, lay.params = [], params
    _run.info, _run.params, _run.entries = info, params, lay.entries
    with lay.menu:
        menu(info)
    if lay.share is not None:
        with lay.share:
            st.code(_view_link(params), language=None, wrap_lines=True)
    return values


def _tabs(info: PageInfo, part) -> Any:
    """The page's parts as tabs; returns the open tab's container. Only the open part is
    computed (``on_change`` makes a tab click rerun the script, which then fills that tab)."""
    knob = info.part_knob
    by_label = {p.label: p.id for p in info.parts}

    def copy_back():
        st.session_state[K.state_key(info.id, knob)] = by_label[st.session_state["part"]]

    st.session_state["part"] = part.label
    tabs = st.tabs([p.label for p in info.parts], key="part", on_change=copy_back)
    return tabs[info.parts.index(part)]


def run_part(parts: dict[str, Callable[[dict[str, Any]], None]]) -> None:
    """Draw the open part inside its tab, in a fragment: its knobs, then ``parts[part](values)``
    with the knob values by URL name. A change of any knob the part draws reruns only this
    fragment (and the menu, URL and share link it keeps in step), not the page's title, tabs
    and notes."""
    lay = _run.layout

    def part() -> None:
        v = _controls(lay, contextlib.nullcontext())  # the row goes straight into the fragment
        parts[v["part"]](v)

    with lay.body:
        st.fragment(part)()


def current_view() -> tuple[PageInfo | None, dict[str, str], list]:
    """This run's page, its URL parameters, and the list its charts are recorded in for the
    page's export bundle (see :func:`ui.show.show_chart`)."""
    return getattr(_run, "info", None), getattr(_run, "params", {}), getattr(_run, "entries", [])
