"""Lecture tour: prepared scenes through the whole chapter, each one click from its live view."""

import streamlit as st

from ui import knobs as K
from ui import scenes as S
from ui.frame import frame
from ui.pages import BY_ID

try:
    scenes, problem = S.load(), None
except S.SceneError as e:
    scenes, problem = [], str(e)
k = frame("lecture_tour", claim=(
    "A walk through chapter 8 in the book's order, two or more scenes per pathology. Ask the "
    "question first, let the class predict, then open the scene: the page opens with exactly "
    "the scene's knob values (and in presenter view if it is on here)."),
    limits={"scene": (1, max(1, len(scenes)))})
if problem:
    st.error(f"The lecture file lecture/scenes.toml has a problem: {problem}",
             icon=":material/error:")
    st.stop()
SCENE = next(knob for knob in BY_ID["lecture_tour"].knobs if knob.name == "scene")
n, total = k["scene"], len(scenes)
scene = scenes[n - 1]
info = BY_ID[scene.page]


def go(delta: int) -> None:
    K.set_value("lecture_tour", SCENE, min(max(n + delta, 1), total))


prev, nxt, _ = st.columns([1, 1, 4])
prev.button("Previous", key="prev", on_click=go, args=(-1,), disabled=n == 1,
            icon=":material/arrow_back:", width="stretch")
nxt.button("Next", key="next", on_click=go, args=(1,), disabled=n == total,
           icon=":material/arrow_forward:", width="stretch", type="primary")
with st.container(border=True):
    figure = f" · reproduces book {scene.figure}" if scene.figure else ""
    part = f" · part {info.part(scene.part).label}" if scene.part else ""
    st.caption(f"Scene {n} of {total} · {info.label}{part} · book §{scene.section}{figure}")
    st.subheader(scene.title)
    st.markdown(scene.narration)
    st.info(f"**Predict first.** {scene.predict}", icon=":material/psychology_alt:")
    if info.exists():
        st.page_link(info.file, label=f"Open this scene on the {info.label} page",
                     icon=":material/play_circle:", query_params=S.link_params(scene, k["present"]))
    else:
        st.warning(f"The {info.label} page is not part of this installation.")
    with st.expander("What to notice (reveal after the class has predicted)"):
        st.markdown(scene.notice)
    knobs = S.page_knobs(info)
    st.caption("Scene settings: " + (", ".join(f"{knobs[name].label} = {knobs[name].show(v)}"
                                                for name, v in scene.knobs.items()) or "defaults"))

with st.expander(f"All {total} scenes"):
    for s in scenes:
        mark = "▶ " if s.number == n else ""
        fig = f" *({s.figure})*" if s.figure else ""
        st.markdown(f"{mark}**{s.number}.** {BY_ID[s.page].label}: {s.title}{fig}")
st.caption("Scenes live in lecture/scenes.toml: edit or add scenes there, no code needed "
           "(the README documents the format).")
