"""Home page and entry point: `streamlit run app.py`."""

import streamlit as st

from ui.frame import frame, link_params
from ui.pages import PAGES

frame("home")
st.title("Why is training deep networks hard?")
st.markdown(
    "An interactive companion to chapter 8 of *Deep Learning* (Goodfellow, Bengio & Courville, "
    "2016). Each page takes one pathology of neural-network optimization, computes it live, and "
    "puts the equation beside the picture. Turn a knob and the page recomputes; copy the address "
    "bar and the link reproduces exactly what you see. The knobs you share between pages "
    "(learning rate, dimension, depth, clipping threshold, seed) keep their values as you move."
)
st.subheader("The pathologies, in the book's order")
for p in PAGES[1:]:
    with st.container(border=True):
        left, right = st.columns([3, 5], vertical_alignment="center")
        with left:
            if p.exists():
                st.page_link(p.file, label=f"§{p.section} {p.label}", icon=f":material/{p.icon}:",
                             query_params=link_params(p))
            else:
                st.markdown(f":material/{p.icon}: §{p.section} {p.label} *(coming soon)*")
        parts = ("  \n**Parts:** " + " · ".join(x.label.split(" · ", 1)[-1] for x in p.parts)
                 if p.parts else "")
        right.markdown(f"**Symptom:** {p.symptom}  \n**What to look at:** {p.look_at}{parts}")
st.caption("Everything on screen is computed by the numpy library in `core/`, which you can also "
           "import from a notebook. Source: Deep Learning, ch. 8, deeplearningbook.org.")
