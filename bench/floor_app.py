"""The floor of Streamlit's round trip: one slider and one tiny chart, no computation.

bench/browser_latency.py serves this file from a second `streamlit run` (it lives outside pages/
so it never joins the explorer's menu) and times a keyboard change of its slider exactly as it
times the explorer's pages: what is left is Streamlit's own cost (widget debounce, WebSocket,
script start, delta rendering, Vega redraw).

With ``?grammar=1`` it draws instead the elements of a typical part of the explorer (the screen
grammar of ARCHITECTURE.md, modelled on saddle_points/dimensions) with no computation behind
them: static title, claim, tabs and notes drawn once, and a fragment that redraws the sidebar's
knobs, eight menu links and the share link, a row of three knobs, a heading, the equation, three
metrics and two 20-point charts with their captions and downloads on every change. The gap from
the plain floor to this one is what Streamlit's browser side charges for that many elements; the
gap from this one to a real part is the explorer's own.
"""

import altair as alt
import pandas as pd
import streamlit as st

from ui import heap, net

net.ensure_nodelay()  # the same socket fix as the app (ui/net.py), so the floors compare like for like
heap.freeze_startup_objects()  # and the same garbage-collector setting (ui/heap.py)
st.set_page_config(page_title="Floor", layout="wide")
GRAMMAR = st.query_params.get("grammar") == "1"


def chart(v: int, k: int) -> alt.Chart:
    data = pd.DataFrame({"x": range(20), "y": [(i * (v + k)) % 37 for i in range(20)]})
    return alt.Chart(data).mark_line().encode(x="x:Q", y="y:Q")


if not GRAMMAR:
    with st.sidebar:
        v = st.slider("Value", min_value=0, max_value=100, value=50, key="value")
    st.title("Floor")
    st.altair_chart(chart(v, 0))
    st.stop()

with st.sidebar:
    st.markdown("**Floor at a part's size**  \nno computation")
    menu = st.container()
    st.checkbox("Presenter view", key="present")
    st.markdown("**Shared knobs**")
    knobs = st.container()
    st.markdown("**Share and export**")
    share = st.container()
st.title("Floor at a part's size")
st.markdown("The elements of one part of the explorer, with nothing computed behind them.")
tab, *_ = st.tabs(["1 · Part", "2 · Other", "3 · Other", "4 · Other"])
with st.expander("The math"):
    st.markdown("A derivation.")
with st.expander("Sources"):
    st.markdown("- A book.")


@st.fragment
def part() -> None:
    with knobs:
        v = st.slider("Value", min_value=0, max_value=100, value=50, key="value")
        st.slider("Second", min_value=0, max_value=100, value=50, key="second")
        st.number_input("Third", min_value=0, max_value=100, value=0, key="third")
    with st.container(horizontal=True, gap="medium"):
        for name in ("Fourth", "Fifth", "Sixth"):
            st.slider(name, min_value=0, max_value=100, value=50, key=name.lower())
    with menu:
        for i in range(8):
            st.page_link(f"https://example.org/page{i}?value={v}", label=f"Page {i}",
                         icon=":material/show_chart:", help=f"Page {i} at value {v}")
    with share:
        st.code(f"http://localhost:8501/?value={v}", language=None, wrap_lines=True)
    st.subheader("A part")
    st.markdown(f"The equation at value {v}.")
    with st.container(horizontal=True):
        for i in range(3):
            st.metric(f"Metric {i}", f"{v * (i + 1)}", help="A headline number.")
    for k, col in enumerate(st.columns(2)):
        with col:
            st.altair_chart(chart(v, k))
            st.caption(f"What to notice at value {v}.")
            st.download_button("CSV", f"x,y\n{v},{k}\n", file_name=f"chart{k}.csv", key=f"dl{k}",
                               on_click="ignore")


with tab:
    part()
