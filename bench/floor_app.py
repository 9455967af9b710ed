"""The floor of Streamlit's round trip: one slider and one tiny chart, no computation.

bench/browser_latency.py serves this file from a second `streamlit run` (it lives outside pages/
so it never joins the explorer's menu) and times a keyboard change of its slider exactly as it
times the explorer's pages: what is left is Streamlit's own cost (widget debounce, WebSocket,
script start, delta rendering, Vega redraw).
"""

import altair as alt
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
with st.sidebar:
    v = st.slider("Value", min_value=0, max_value=100, value=50, key="value")
st.title("Floor")
data = pd.DataFrame({"x": range(20), "y": [(i * v) % 37 for i in range(20)]})
st.altair_chart(alt.Chart(data).mark_line().encode(x="x:Q", y="y:Q"))
