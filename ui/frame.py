"""The page frame: every page (and app.py) calls :func:`frame` first.

One call sets the page config, draws our own menu with ``st.page_link`` (Streamlit's generated
menu is hidden in config.toml), seeds and draws the knobs, writes the URL, shows the title, the
book's claim and any notice about a bad link. Because every page calls it, a deep link to any page
works on a freshly started server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from ui import knobs as K
from ui.pages import BY_ID, PAGES, PageInfo

APP_TITLE = "Optimization pathologies"


def _scoped(info: PageInfo) -> list[tuple[str, K.Knob]]:
    return [("shared", k) for k in K.SHARED] + [(info.id, k) for k in info.knobs]


def link_params(target: PageInfo) -> dict[str, str]:
    """Query parameters of a link to ``target``: every shared knob, plus the target's own knobs
    that this session has already set (the others take their defaults there)."""
    params = {}
    for scope, knob in _scoped(target):
        key = K.state_key(scope, knob)
        if key in st.session_state:
            params[knob.name] = K.encode(knob, st.session_state[key])
    return params


def menu(current: PageInfo) -> None:
    """The sidebar menu: the pages that exist, in the book's order, carrying the knob values."""
    with st.sidebar:
        st.markdown(f"**{APP_TITLE}**  \n*Deep Learning*, chapter 8")
        for p in PAGES:
            if p.exists():
                label = p.label if p.id in ("home", "lecture_tour") else f"{p.section} {p.label}"
                st.page_link(p.file, label=label, icon=f":material/{p.icon}:",
                             query_params=link_params(p))


def _sync_url(info: PageInfo) -> None:
    want = {knob.name: K.encode(knob, K.value(scope, knob)) for scope, knob in _scoped(info)}
    have = st.query_params
    if set(have.keys()) != set(want) or any(have.get_all(k) != [v] for k, v in want.items()):
        st.query_params.from_dict(want)


def frame(page_id: str, claim: str = "", limits: dict[str, tuple[float, float]] | None = None,
          ) -> dict[str, Any]:
    """Draw the frame of page ``page_id`` and return its knob values by URL name.

    Args:
        page_id: a row of ui.pages.PAGES.
        claim: two or three sentences from the book (Markdown), shown under the title.
        limits: per-knob (lo, hi) narrowing on this page, e.g. {"depth": (1, 3)}; the stored
            value is kept for the other pages.
    """
    info = BY_ID[page_id]
    st.set_page_config(page_title=f"{info.label} · {APP_TITLE}" if info.id != "home" else APP_TITLE,
                       page_icon=f":material/{info.icon}:", layout="wide")
    notices = [n for scope, knob in _scoped(info) if (n := K.seed(scope, knob))]
    _sync_url(info)
    menu(info)
    limits = limits or {}
    values = {knob.name: K.value(scope, knob) for scope, knob in _scoped(info)}
    if info.shared:
        with st.sidebar:
            st.divider()
            st.markdown("**Shared knobs** (kept in the link and across pages)")
            for name in info.shared:
                values[name] = K.render("shared", K.SHARED_BY_NAME[name], limits.get(name))
    if info.id != "home":
        st.title(info.label)
        if claim:
            st.markdown(f"{claim} *(book §{info.section})*")
    for n in notices:
        st.warning(n, icon=":material/link_off:")
    if info.knobs:
        cols = st.columns(len(info.knobs))
        for col, knob in zip(cols, info.knobs):
            with col:
                values[knob.name] = K.render(info.id, knob, limits.get(knob.name))
    return values


def cached(fn: Callable) -> Callable:
    """Cache a core call on its (scalar) arguments, bounded so many students cannot fill memory."""
    return st.cache_data(max_entries=32, ttl=6 * 3600, show_spinner=False)(fn)


def metrics(items: Sequence[tuple[str, str, str]]) -> None:
    """A row of st.metric headline numbers: (label, value, help)."""
    for col, (label, value, help_) in zip(st.columns(len(items)), items):
        col.metric(label, value, help=help_)


def show_chart(chart, data: pd.DataFrame, name: str, caption: str, description: str) -> None:
    """A chart, its one-line 'what to notice' caption, and a CSV download of the data behind it."""
    st.altair_chart(chart, alt=description)
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(caption)
    right.download_button("CSV", data.to_csv(index=False), file_name=f"{name}.csv",
                          mime="text/csv", key=f"csv-{name}", on_click="ignore",
                          icon=":material/download:", help=f"Download the data of this chart ({name}.csv)")
