"""Ill-conditioning (book 8.2.1): gradient descent on a quadratic, the Taylor ledger, Fig 8.1."""

import altair as alt
import streamlit as st

from core import edge_of_stability as eos
from core import ill_conditioning as ic
from ui import charts as C
from ui.frame import cached, frame, metrics, show_chart

k = frame("ill_conditioning", claim=(
    "A gradient step −εg changes the cost by ½ε²gᵀHg − εgᵀg. When the curvature term wins, even "
    "small steps increase the cost: gradient descent on an ill-conditioned Hessian must use a tiny "
    "ε and then crawls along the flat directions, zig-zagging across the steep one."))
st.latex(r"f(x-\varepsilon g)-f(x)=\tfrac12\varepsilon^2 g^\top H g-\varepsilon g^\top g")
st.latex(r"\text{converges} \iff 0<\varepsilon<\frac{2}{\lambda_{\max}},\qquad "
         r"\text{rate at } \varepsilon^*=\frac{2}{\lambda_{\min}+\lambda_{\max}}:\ \frac{\kappa-1}{\kappa+1}")
res = cached(ic.gradient_descent_on_quadratic)(k["kappa"], k["dim"], k["lr"], k["steps"], k["beta"],
                                               k["basis"] == "rotated", k["seed"])
lam, lr = res.problem.lam, k["lr"]
for name, v in (("Gradient descent", res.gd), ("Momentum", res.hb)):
    if v is not None and v.state == "diverged":
        where = (f" at step {v.step} (its cost passed the starting cost there)" if v.step is not None
                 else f": the cost has not yet passed its start within {k['steps']} steps")
        st.warning(f"{name} diverged{where}. Reason: {v.reason}.", icon=":material/trending_up:")
    elif v is not None and v.state == "edge":
        st.info(f"{name} sits exactly on the edge: {v.reason}.", icon=":material/swap_vert:")
gd = res.history[res.history["method"] == "gradient descent"]
metrics([
    ("Condition number", f"{ic.condition_number(res.problem.H):.4g}", "λmax/λmin of H, measured"),
    ("Critical learning rate", f"{ic.critical_learning_rate(lam[-1]):.4g}",
     "2/λmax: gradient descent converges iff ε is below this"),
    ("Steps where cost rose", f"{int(res.ledger['rose'].sum())}", "Steps of gradient descent "
     "where ½ε²gᵀHg > εgᵀg, so the cost went up"),
    ("Final cost", f"{gd['cost'].iloc[-1]:.3e}", "Gradient descent's cost at its last step"),
    ("Rate per step", f"{ic.measured_rate(gd):.4f}", f"Measured contraction of the error; theory "
     f"max|1−ελ| = {ic.gd_rate(lr, lam):.4f}, best possible (κ−1)/(κ+1) = "
     f"{ic.optimal_gd_rate(lam[-1] / lam[0]):.4f} at ε = {ic.optimal_learning_rate(lam[0], lam[-1]):.4g}"),
])
methods = ["gradient descent", "momentum"][: 1 + (res.hb is not None)]
curves = res.history.melt(id_vars=["method", "step"], value_vars=["cost", "theory_cost"],
                          var_name="curve", value_name="y")
curves["curve"] = curves["curve"].map({"cost": "measured", "theory_cost": "rate bound f₀·r²ᵏ"})
left, right = st.columns(2)
with left:
    ch = C.lines(curves, "step", "y", series="method", domain=methods, dash="curve", log_y=True,
                 x_title="step k", y_title="cost f(x_k)", title="Cost over steps")
    if res.gd.state == "diverged" and res.gd.step is not None:
        ch = ch + C.vrule(res.gd.step, "diverged")
    show_chart(C.finish(ch), curves, "cost", "Solid: measured; dashed: f₀·rate²ᵏ. Flat stretches "
               "are the small-eigenvalue directions crawling.", "Cost against step, log scale")
with right:
    rc = ic.rate_curve(lam, k["beta"] if res.hb is not None else 0.0)
    best = ic.optimal_gd_rate(lam[-1] / lam[0])
    ch = (C.lines(rc, "learning_rate", "rate", series="method", domain=methods, log_x=True,
                  x_title="learning rate ε", y_title="contraction per step", y_domain=(0, 1.5),
                  title="Which learning rates converge")
          + C.hrules({"1: no progress": 1.0, f"(κ−1)/(κ+1) = {best:.3f}": best})
          + C.marker(ic.critical_learning_rate(lam[-1]), 1.0, "2/λmax", color="#D55E00", dy=-14)
          + C.marker(ic.optimal_learning_rate(lam[0], lam[-1]), best, "2/(λmin+λmax)",
                     color="#009E73", dy=18, dx=-6, align="right")
          + C.marker(lr, min(ic.gd_rate(lr, lam), 1.5), "your ε", dy=16))
    show_chart(C.finish(ch), rc, "rate_vs_learning_rate", "Gradient descent contracts by "
               "max|1−ελ| per step: a V whose floor is (κ−1)/(κ+1). Above 1 it diverges.",
               "Contraction per step against learning rate")
left, right = st.columns(2)
with left:
    led = res.ledger.melt(id_vars=["step", "rose"], value_vars=["gain", "penalty"], var_name="term")
    led["term"] = led["term"].map({"gain": "gain εgᵀg", "penalty": "penalty ½ε²gᵀHg"})
    act = res.ledger.assign(change=res.ledger["actual"].abs(),
                            direction=res.ledger["rose"].map({True: "cost rose", False: "cost fell"}))
    ch = C.lines(led, "step", "value", series="term", domain=["gain εgᵀg", "penalty ½ε²gᵀHg"],
                 log_y=True, x_title="step k", y_title="change of cost", title="Taylor ledger per step")
    ch = alt.layer(ch, C.points(act, "step", "change", shape="direction",
                                domain=["cost fell", "cost rose"], log_y=True)
                   ).resolve_scale(color="independent", shape="independent", strokeDash="independent")
    show_chart(C.finish(ch), res.ledger, "taylor_ledger", "The step's net change is penalty − gain "
               "(dots: |actual change|, exact on a quadratic). Red triangles: the cost rose.",
               "First-order gain and curvature penalty per step")
with right:
    p = res.path
    u0, v0 = abs(p["u"].iloc[0]) * 1.15, abs(p["v"].iloc[0]) * 1.15
    f0 = 0.5 * (lam[0] * p["u"].iloc[0] ** 2 + lam[-1] * p["v"].iloc[0] ** 2)
    bg = C.level_curves(ic.ellipses(lam[0], lam[-1], [f0 * 0.4**j for j in range(9)]))
    ch = C.scrub_path(p, x="u", y="v", series="method", domain=methods, background=bg,
                      x_title="along the flattest direction (λmin)", y_title="along the steepest (λmax)",
                      x_domain=(-u0, u0), y_domain=(-v0, v0))
    show_chart(C.finish(ch), p, "path_2d", "Drag the step slider under the chart. The steep "
               "direction flips sign each step (zig-zag) while the flat one barely moves.",
               "Optimizer paths in the plane of the top and bottom eigenvectors")

st.subheader("Book Fig 8.1 on a real network: the gradient grows while the cost falls")
st.markdown("A small tanh network (4→32→32→1, 64 examples) trained by full-batch gradient descent "
            "at the same ε. We track the cost, ‖g‖, the curvature term gᵀHg and the sharpness "
            "λmax(H) (power iteration on exact Hessian-vector products).")
net = cached(eos.train)(lr, seed=k["seed"])
s = eos.summarize(net, lr)
if net.diverged_at is not None:
    st.warning(f"The network's training diverged at step {net.diverged_at}. Reason: ε = {lr:.4g} "
               f"is above 2/λmax = {2 / s.sharpness_start:.4g} at the start (initial sharpness "
               f"{s.sharpness_start:.3g}), so the first steps already overshoot.",
               icon=":material/trending_up:")
left, right = st.columns(2)
with left:
    h = net.history.melt(id_vars="step", value_vars=["cost", "grad_norm", "gHg"], var_name="quantity")
    h["quantity"] = h["quantity"].map({"cost": "cost", "grad_norm": "‖g‖", "gHg": "gᵀHg"})
    ch = C.lines(h, "step", "value", series="quantity", domain=["cost", "‖g‖", "gᵀHg"], log_y=True,
                 x_title="step", y_title="value (log scale)", title="Cost, gradient norm, gᵀHg")
    show_chart(C.finish(ch), net.history, "network_training",
               f"In this run ‖g‖ ended ×{s.grad_growth:.3g} above its smallest value while the cost "
               f"fell ×{s.cost_fall:.3g} over the same stretch.", "Network cost and gradient norm")
with right:
    ch = (C.lines(net.history, "step", "sharpness", x_title="step", y_title="λmax(H)",
                  title="Sharpness against the 2/ε edge", points=True)
          + C.hrules({f"2/ε = {s.edge:.3g}": s.edge}, color="#D55E00"))
    show_chart(C.finish(ch), net.history, "network_sharpness",
               f"Sharpness went from {s.sharpness_start:.3g} to {s.sharpness_end:.3g}; the stability "
               f"edge 2/ε is {s.edge:.3g} (Cohen et al. 2021 report it settles there: empirical).",
               "Sharpness of the network's Hessian over training")

with st.expander("The math"):
    st.markdown("On f(x) = ½xᵀHx the gradient is g = Hx, and a step x → x − εg changes the cost "
                "by exactly the two Taylor terms (no remainder). In the eigenbasis each coordinate "
                "evolves independently:")
    st.latex(r"z_{k+1,i}=(1-\varepsilon\lambda_i)\,z_{k,i}\quad\Rightarrow\quad"
             r"|z_{k,i}|\to0 \iff |1-\varepsilon\lambda_i|<1 \iff 0<\varepsilon<2/\lambda_i")
    st.markdown("The slowest coordinate sets the rate, max|1−ελᵢ|, smallest at ε* = 2/(λmin+λmax) "
                "where it equals (κ−1)/(κ+1). Heavy-ball momentum x_{k+1} = x_k − εg_k + "
                "β(x_k − x_{k−1}) has rate (√κ−1)/(√κ+1) at its best (ε, β), and is stable iff "
                "0 < ελ < 2 + 2β.")
with st.expander("Sources"):
    st.markdown("- Goodfellow, Bengio & Courville, *Deep Learning*, §4.3 (Fig 4.6), §8.2.1 "
                "(eq 8.10), Fig 8.1, §8.3.2 (momentum).\n"
                "- G. Goh, *Why Momentum Really Works*, Distill 2017 (complex-regime rate √β).\n"
                "- J. Cohen et al., *Gradient Descent on Neural Networks Typically Occurs at the "
                "Edge of Stability*, ICLR 2021.")
