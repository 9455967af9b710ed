"""Cliffs and exploding gradients (book 8.2.4, Fig 8.3): the one-unit RNN's wall, gradient clipping."""

from functools import partial

import streamlit as st

from core import cliffs as cl
from core import cliffs_theory as th
from core import cliffs_train as ct
from ui import charts_cliffs as CC
from ui import knobs as K
from ui.frame import frame, run_part
from ui.pages import BY_ID
from ui.show import cached, chart_spec, metrics, show_chart

START = {k.name: k for k in BY_ID["cliffs"].knobs}


def start_from_click(key: str) -> None:
    """A click on a map sets the start knobs w0, b0 (snapped to their step)."""
    picked = (st.session_state[key].get("selection", {}).get("pick") or [{}])[0]
    for name, field in (("w0", "w"), ("b0", "b")):
        if field in picked:
            knob = START[name]
            st.session_state[K.state_key("cliffs", knob)] = K.snap(
                knob, min(max(float(picked[field]), knob.lo), knob.hi))


MAP_ALT = {"loss": "the loss", "grad_norm": "the gradient norm near the start"}
frame("cliffs", claim=(
    "Recurrent and very deep networks have extremely steep regions, like cliffs, where many weights "
    "multiply together. A gradient step on the cliff face can move the parameters extremely far, "
    "throwing away much of the work done so far. The gradient gives a direction, not a step size: "
    "gradient clipping caps the step when the gradient is huge."))


def cliff(k):
    st.latex(r"x_t = w\,\sigma(x_{t-1}) + b,\ x_0=0.5,\quad L(w,b)=(\sigma(x_T)-0.7)^2;\qquad"
             r"\text{clip by norm: } g \leftarrow g\,\frac{v}{\lVert g\rVert}\ \text{if } \lVert g\rVert > v"
             r"\ \Rightarrow\ \lVert \Delta\theta\rVert \le \varepsilon v")
    lr, v, T = k["lr"], k["clip"], k["depth"]
    shown = {"norm": ("no clipping", "clip by norm"), "value": ("no clipping", "clip by value"),
             "all": ct.METHODS}[k["clipmode"]]
    cmp = "clip by value" if k["clipmode"] == "value" else "clip by norm"
    mp = cached(cl.cliff_map)(T)
    tr = cached(ct.train)(T, k["w0"], k["b0"], lr, v, k["steps"], shown)
    s = ct.summarize(tr, cmp)
    for m in shown:
        o = tr.outcomes[m]
        if o.state in ("thrown", "diverged"):
            st.warning(f"Training with {m} diverged at step {o.step}: {o.reason}.",
                       icon=":material/landslide:")
        elif o.state == "left":
            st.info(f"Training with {m} left the map at step {o.step}: {o.reason}.")
    if v == 0:
        st.info("Clipping is off (v = 0), so the clipped runs are plain gradient descent.")
    metrics([("Largest gradient norm", f"{s.largest_grad:.3g}", "Largest ‖∇L‖ where any run went"),
             ("Largest step without clipping", f"{s.largest_step_plain:.3g}",
              "Longest step ε‖g‖ of plain descent"),
             ("Largest step with clipping", f"{s.largest_step_clipped:.3g}", f"Longest step when you {cmp}; "
              f"clipping by norm bounds it by ε·v = {ct.max_clipped_step(lr, v):.3g}")])
    metrics([("Final loss without clipping", f"{s.final_plain:.3g}", "Loss after the last step, plain"),
             ("Final loss with clipping", f"{s.final_clipped:.3g}", f"Loss after the last step ({cmp})"),
             ("Cliff sharpness", f"{mp.sharpness:.3g}×", f"max / median of ‖∇L‖ over the {mp.n}×{mp.n} map")])

    cliff = mp.sharpness > 100
    captions = {
        "loss": f"At depth T = {T}, two flat plateaus meet at a sharp edge: the cliff. White dashes: "
                "where x₀ = 0.5 is an unstable fixed point, the wall in theory. White box: the zoom on "
                "the right." if cliff
        else f"At T = {T} the loss is still smooth (sharpness {mp.sharpness:.3g}×): raise the depth T "
             "and watch a wall grow along the white dashes.",
        "grad_norm": "‖∇L‖ is tiny almost everywhere and huge on a line thinner than a pixel: only grid "
                     "points that land on it light up. Click either map to start there." if cliff
        else "No wall yet: the gradient varies smoothly. Click either map to start there."}
    zoom = cl.zoom_window(k["w0"], k["b0"])
    # Titles without T: a title that follows a knob rebuilds the map in the browser.
    maps = {"loss": (mp, "Loss L(w, b)", {"zoom": zoom, "wall": True}),
            "grad_norm": (cached(cl.cliff_map)(T, 200, *zoom), "‖∇L‖ around the start (zoom ×5)", {})}
    h = tr.history
    for col, (field, (cmap, title, opts)) in zip(st.columns(2), maps.items()):
        with col:
            key = f"map_{field}"
            show_chart(chart_spec(CC.map_chart, cmap, h, shown, field, title, **opts),
                       CC.map_cells(cmap), key, captions[field],
                       f"Map of {MAP_ALT[field]} over (w, b) with the optimizer paths",
                       on_select=partial(start_from_click, key), selection_mode="pick", key=key)
    left, right = st.columns(2)
    with left:
        thrown = [m for m in shown if tr.outcomes[m].state == "thrown"]
        show_chart(chart_spec(CC.loss_chart, h, shown), h, "cliff_runs", (
            f"Thrown off the wall ({', '.join(thrown)}), a run lands on a plateau and its loss never "
            "comes back down." if thrown else "No run was thrown off the map this time: whether a step "
            "lands on the wall is luck, so nudge ε or the start."), "Loss against step for each method")
    with right:
        bound = ct.max_clipped_step(lr, v) if v > 0 else 0.0
        show_chart(chart_spec(CC.step_length_chart, h, shown, bound), h, "cliff_steps",
                   "Triangles: steps the clip shortened. No norm-clipped step is longer than ε·v."
                   if v > 0 else "Clipping is off: every step is ε‖g‖ long.",
                   "Step length against step, clipped steps marked")

    lo, hi = ct.threshold_range(s.mean_grad_plain)
    st.info(f"**Choosing v.** Pascanu et al. (2013) pick the threshold from the average gradient norm over "
            f"many updates; about 0.5 to 10 times it works. Here plain descent averaged ‖g‖ = "
            f"{s.mean_grad_plain:.3g} before it left the map, so v ≈ {lo:.3g} to {hi:.3g}; you chose "
            f"v = {v:g}.", icon=":material/tune:")


def why(k):
    st.subheader("Why it happens, and why clipping helps beyond cliffs")
    st.markdown("Multiplying by the same weight T times makes the slope and the curvature explode "
                "together, so a step that is small to first order is huge to second order. And "
                "clipping helps even with no cliff: x⁴ is smooth, but its curvature 12x² grows "
                "without bound, so plain descent from a large start overshoots and diverges.")
    st.latex(r"x_T = w^T x_0:\ \ \frac{\partial x_T}{\partial w} = T x_0 w^{T-1},\ "
             r"\frac{\partial^2 x_T}{\partial w^2} = T(T-1)\,x_0 w^{T-2};\qquad"
             r"f = x^4:\ x \leftarrow x\,(1-4\varepsilon x^2)\ \text{diverges iff}\ "
             r"\varepsilon x_0^2 > \tfrac12")
    lr, v, T = k["lr"], k["clip"], k["depth"]
    lin = cached(th.linear_table)()
    slope, curv = th.linear_derivatives(T)
    q = cached(th.quartic_runs)(lr, v, k["steps"])
    plain = q.status["no clipping"]
    clipped = q.history[q.history["method"] == "clip by norm"]
    metrics([
        ("Slope ∂x_T/∂w", f"{slope:.3g}", f"At the depth T = {T}: T·x₀·w^(T−1) with w = "
         f"{th.W_LINEAR}, x₀ = 0.5"),
        ("Curvature ∂²x_T/∂w²", f"{curv:.3g}", f"At T = {T}: T(T−1)·x₀·w^(T−2)"),
        ("Curvature / slope", f"{curv / slope:.3g}", "(T−1)/w: a gradient step is trustworthy "
         "over a distance of about its inverse"),
        ("Critical ε for x⁴", f"{th.quartic_critical_lr():.3g}", f"1/(2x₀²) with x₀ = "
         f"{th.X0_QUARTIC:g}: plain descent on x⁴ diverges iff ε is above this"),
        ("Plain x⁴ diverged at", f"step {plain.step}" if plain.diverged else "never",
         plain.reason or f"Plain descent on x⁴ stayed bounded for {k['steps']} steps"),
        ("Clipped x⁴ final cost", f"{clipped['cost'].iloc[-1]:.3g}", "f = x⁴ after the last "
         "step of descent clipped by norm at v (plain descent when v = 0)"),
    ])
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CC.derivatives_chart, lin, T), lin, "linear_derivatives",
                   f"x_T = wᵀx₀ with w = {th.W_LINEAR}: slope and curvature explode together; their "
                   "ratio (T−1)/w grows, so a gradient step is trustworthy over a shrinking distance.",
                   "First and second derivative of x_T against T, log-log")
    with right:
        show_chart(chart_spec(CC.quartic_chart, q.history, th.X0_QUARTIC,
                              plain.step if plain.diverged else None), q.history, "quartic",
                   f"Plain descent diverges iff ε x₀² > ½, i.e. ε > {th.quartic_critical_lr():.3g}; "
                   "clipped descent moves at most ε·v per step and converges.",
                   "Cost of x⁴ against step, with and without clipping")


run_part({"cliff": cliff, "why": why})

with st.expander("The math"):
    st.markdown(r"**Backpropagation through time.** With $\delta_T = 2(\sigma(x_T) - 0.7)\,"
                r"\sigma'(x_T)$, for $t = T-1$ down to 0:")
    st.latex(r"\frac{\partial L}{\partial w} \mathrel{+}= \delta_{t+1}\,\sigma(x_t),\quad"
             r"\frac{\partial L}{\partial b} \mathrel{+}= \delta_{t+1},\quad"
             r"\delta_t = \delta_{t+1}\, w\,\sigma'(x_t)")
    st.markdown(r"**Where the wall is.** On the line $b = x_0 - w\,\sigma(x_0)$ the state stays at "
                r"$x_0$ for ever. If $|w\,\sigma'(x_0)| = 0.235\,|w| > 1$ ($|w| > 4.26$) that fixed "
                "point is unstable: a start beside it is pushed away by that factor per step and ends "
                r"in one of two basins. The switch between them is about $|w\sigma'(x_0)|^{-T}$ wide "
                r"and its slope about $|w\sigma'(x_0)|^{T}$ tall.")
    st.markdown("**Clipping.** By norm keeps the direction and gives ‖Δθ‖ = ε·min(‖g‖, v). By value "
                "clips each component to [−v, v]: the direction changes, but gᵀclip(g) > 0 so it "
                "still descends, and ‖Δθ‖ ≤ ε·v·√2 here.")
with st.expander("Sources"):
    st.markdown("- Goodfellow, Bengio & Courville, *Deep Learning*, §8.2.4 (Fig 8.3), §10.11.1 "
                "(eqs 10.48–10.49).\n"
                "- R. Pascanu, T. Mikolov & Y. Bengio, *On the difficulty of training recurrent "
                "neural networks*, ICML 2013 (Fig 6; Algorithm 1).\n"
                "- J. Zhang, T. He, S. Sra & A. Jadbabaie, *Why gradient clipping accelerates "
                "training: a theoretical justification for adaptivity*, ICLR 2020.")
