"""Ill-conditioning (book 8.2.1): gradient descent on a quadratic, the Taylor ledger, Fig 8.1."""

import streamlit as st

from core import edge_of_stability as eos
from core import ill_conditioning as ic
from ui import charts_ill_conditioning as CI
from ui.frame import frame, run_part
from ui.show import cached, chart_spec, metrics, show_chart

frame("ill_conditioning", claim=(
    "A gradient step −εg changes the cost by ½ε²gᵀHg − εgᵀg. When the curvature term wins, even "
    "small steps increase the cost: gradient descent on an ill-conditioned Hessian must use a tiny "
    "ε and then crawls along the flat directions, zig-zagging across the steep one."))


def quadratic(k):
    st.latex(r"f(x-\varepsilon g)-f(x)=\tfrac12\varepsilon^2 g^\top H g-\varepsilon g^\top g")
    # two equations, not one line: one line would be wider than a phone
    st.latex(r"\text{converges} \iff 0<\varepsilon<\frac{2}{\lambda_{\max}}")
    st.latex(r"\text{rate at } \varepsilon^*=\frac{2}{\lambda_{\min}+\lambda_{\max}}:\ "
             r"\frac{\kappa-1}{\kappa+1}")
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
        ("Condition number", f"{cached(ic.condition_number)(res.problem.H):.4g}", "λmax/λmin of H, measured"),
        ("Critical learning rate", f"{ic.critical_learning_rate(lam[-1]):.4g}",
         "2/λmax: gradient descent converges iff ε is below this"),
        ("Steps where cost rose", f"{int(res.ledger['rose'].sum())}", "Steps of gradient descent "
         "where ½ε²gᵀHg > εgᵀg, so the cost went up"),
        ("Final cost", f"{gd['cost'].iloc[-1]:.3e}", "Gradient descent's cost at its last step"),
        ("Rate per step", f"{ic.measured_rate(gd):.4f}", f"Measured contraction of the error; theory "
         f"max|1−ελ| = {ic.gd_rate(lr, lam):.4f}, best possible (κ−1)/(κ+1) = "
         f"{ic.optimal_gd_rate(lam[-1] / lam[0]):.4f} at "
         f"ε = {ic.optimal_learning_rate(lam[0], lam[-1]):.4g}"),
    ])
    methods = ["gradient descent", "momentum"][: 1 + (res.hb is not None)]
    step = res.gd.step if res.gd.state == "diverged" else None
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CI.cost_chart, res.history, methods, step), res.history, "cost",
                   "Solid: measured; dashed: f₀·rate²ᵏ. Flat stretches are the small-eigenvalue "
                   "directions crawling.", "Cost against step, log scale")
    with right:
        rc = cached(ic.rate_curve)(lam, k["beta"] if res.hb is not None else 0.0)
        show_chart(chart_spec(CI.rate_chart, rc, methods, lam[0], lam[-1], lr, ic.gd_rate(lr, lam)),
                   rc, "rate_vs_learning_rate", "Gradient descent contracts by max|1−ελ| per step: "
                   "a V whose floor is (κ−1)/(κ+1). Above 1 it diverges.",
                   "Contraction per step against learning rate")
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CI.ledger_chart, res.ledger), res.ledger, "taylor_ledger",
                   "The step's net change is penalty − gain (dots: |actual change|, exact on a "
                   "quadratic). Red triangles: the cost rose.",
                   "First-order gain and curvature penalty per step")
    with right:
        p = res.path
        levels = cached(ic.path_level_sets)(lam[0], lam[-1], p["u"].iloc[0], p["v"].iloc[0])
        show_chart(chart_spec(CI.path_chart, p, levels, methods), p, "path_2d",
                   "Drag the step slider under the chart. The steep direction flips sign each step "
                   "(zig-zag) while the flat one barely moves.",
                   "Optimizer paths in the plane of the top and bottom eigenvectors")


def network(k):
    st.subheader("Book Fig 8.1 on a real network: the gradient grows while the cost falls")
    st.markdown("A small tanh network (4→32→32→1, 64 examples) trained by full-batch gradient descent "
                "at the same ε. We track the cost, ‖g‖, the curvature term gᵀHg and the sharpness "
                "λmax(H) (power iteration on exact Hessian-vector products).")
    lr = k["lr"]
    net = cached(eos.train)(lr, seed=k["seed"])
    s = eos.summarize(net, lr)
    metrics([
        ("Sharpness at the start", f"{s.sharpness_start:.4g}", "λmax of the network's Hessian at "
         "initialization (power iteration on exact Hessian-vector products)"),
        ("Sharpness at the end", f"{s.sharpness_end:.4g}", "λmax at the last step"),
        ("Stability edge 2/ε", f"{s.edge:.4g}", "Gradient descent on a quadratic with this "
         "curvature would diverge above it"),
        ("Gradient-norm growth", f"×{s.grad_growth:.3g}", "‖g‖ at the end over its smallest "
         "value during training"),
        ("Cost fall", f"×{s.cost_fall:.3g}", "How many times the cost fell over the same stretch"),
    ])
    if net.diverged_at is not None:
        st.warning(f"The network's training diverged at step {net.diverged_at}. Reason: ε = {lr:.4g} "
                   f"is above 2/λmax = {2 / s.sharpness_start:.4g} at the start (initial sharpness "
                   f"{s.sharpness_start:.3g}), so the first steps already overshoot.",
                   icon=":material/trending_up:")
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CI.network_chart, net.history), net.history, "network_training",
                   f"In this run ‖g‖ ended ×{s.grad_growth:.3g} above its smallest value while the cost "
                   f"fell ×{s.cost_fall:.3g} over the same stretch.", "Network cost and gradient norm")
    with right:
        show_chart(chart_spec(CI.sharpness_chart, net.history, s.edge), net.history,
                   "network_sharpness", f"Sharpness went from {s.sharpness_start:.3g} to "
                   f"{s.sharpness_end:.3g}; the stability edge 2/ε is {s.edge:.3g} (Cohen et al. 2021 "
                   "report it settles there: empirical).", "Sharpness of the network's Hessian over training")


run_part({"quadratic": quadratic, "network": network})

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
