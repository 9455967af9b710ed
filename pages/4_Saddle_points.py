"""Saddle points, plateaus and other flat regions (book 8.2.3, Fig 4.5)."""

import streamlit as st

from core import plateaus as PL
from core import random_hessians as RH
from core import saddles as S
from ui import charts_saddle_points as CS
from ui import figures_saddle_points as F
from ui.frame import frame, run_part
from ui.show import cached, metrics, show_chart
from ui.text import sup

frame("saddle_points", claim=(
    "In high-dimensional spaces local minima are rare and saddle points are far more common, and "
    "critical points of high cost are far more likely to be saddles. Gradient descent is not drawn "
    "to a saddle and in practice escapes it; Newton's method solves for a point of zero gradient and "
    "can jump onto one. Wide flat regions, plateaus, slow training down as if it had stopped."))


def saddle(k):
    lr, steps = k["lr"], k["steps"]
    st.subheader("Three methods at one saddle")
    st.latex(r"\text{GD: } x \leftarrow x-\varepsilon g \qquad \text{Newton: } x \leftarrow x-H^{-1}g"
             r"\qquad \text{saddle-free Newton: } x \leftarrow x-|H|^{-1}g")
    st.latex(r"\text{on } x^2-y^2:\ y_k=(1+2\varepsilon)^k y_0 \ \Rightarrow\ \text{escape after }"
             r"\Big\lceil \frac{\ln(1/y_0)}{\ln(1+2\varepsilon)}\Big\rceil \text{ steps}")
    run, fig_map, fig_cost = cached(F.saddle)(k["surface"], k["offset"], lr, steps)
    for method, o in run.outcomes.items():
        if o.state == "diverged":
            st.warning(f"{method.capitalize()} diverged at step {o.step}. Reason: {o.reason}.",
                       icon=":material/trending_up:")
    law = f"; the law ⌈ln(1/y₀)/ln(1+2ε)⌉ gives {run.law}" if run.law is not None else ""
    metrics([
        ("GD steps to escape", f"{run.escape_step}" if run.escape_step is not None else f"> {steps}",
         f"First gradient-descent step whose cost is 1 below the saddle's{law}."),
        ("Newton distance to saddle", "0" if run.newton_distance == 0 else f"{run.newton_distance:.2e}",
         "‖x − saddle‖ after Newton's last step (full step H⁻¹g, step size 1)."),
    ])
    left, right = st.columns(2)
    with left:
        show_chart(*fig_map, "saddle_paths", CS.MAP_CAPTIONS[k["surface"]],
                   "Heat map of the surface with the three optimizer paths")
    with right:
        show_chart(*fig_cost, "saddle_cost", "The flat stretch at 0 is the plateau: the cost sits at "
                   "the saddle's while the escape coordinate grows by (1 + ε|λ|) per step.",
                   "Cost minus the saddle's cost against step, three methods")


def dimensions(k):
    lr, n, steps, offset = k["lr"], k["dim"], k["steps"], k["offset"]
    negative = min(k["negative"], n - 1)
    st.subheader(f"A saddle in n = {n} dimensions with k = {negative} escape directions")
    hd, fig_escape = cached(F.escape)(n, negative, offset, lr, steps, k["seed"])
    st.caption(f"f(x) = Σ x_i² over n − k directions − Σ x_i² over k, started at e₁ plus the offset "
               f"times a random unit vector ({hd.runs['repeat'].nunique()} draws per point). k is used "
               f"as min(k, n − 1) = {negative}. Only the share √(k/n) of a random offset lies along the "
               "escape directions, so fewer of them mean a longer plateau.")
    metrics([
        ("Extra steps per 10× closer", f"{S.steps_per_decade(lr):.1f}",
         "ln 10/ln(1+2ε): the escape law's slope against log₁₀ of the offset δ."),
        *((f"Mean escape steps, k = {m.k}", m.value, f"Gradient descent from δ = {offset:.0e} with "
           f"k = {m.k} escape directions, mean over {m.runs} random starts{m.note}.")
          for m in F.mean_escape(hd.runs, steps)),
    ])
    captions = {"offset": f"Dots: measured runs at k = {negative}. Each factor 10 closer to the stable "
                          f"manifold costs ln 10/ln(1+2ε) = {S.steps_per_decade(lr):.1f} more steps.",
                "k": f"Dots: measured runs at δ = {offset:.0e}. More escape directions catch more of "
                     "a random offset, so the plateau shortens — but only logarithmically."}
    for col, (name, fig) in zip(st.columns(2), fig_escape.items()):
        missing = int(fig.data["steps"].isna().sum())
        with col:
            show_chart(*fig, f"escape_vs_{name}", captions[name] + (
                f" {missing} runs did not escape within {steps} steps." if missing else ""),
                f"Gradient-descent escape steps against {name}")


def hessians(k):
    n = k["dim"]
    st.subheader(f"Random Hessians of size n = {n}")
    spec, fig_spectrum, fig_index = cached(F.hessians)(n, k["seed"])
    pos, fig_pos = cached(F.all_positive)(k["seed"])
    shown = pos[pos["hits"] > 0].iloc[-1]
    metrics([
        ("Fraction of negative eigenvalues", f"{spec.fraction_negative:.3f}",
         f"Of {spec.matrices} random {n}×{n} GOE Hessians (seed {k['seed']}); the semicircle gives 0.5."),
        (f"P(all eigenvalues positive), n = {int(shown['n'])}", f"{shown['p']:.1e}",
         f"Monte Carlo over {RH.P_SAMPLES:,} GOE matrices: {int(shown['hits'])} hits, 95% interval "
         f"{shown['lo']:.1e} to {shown['hi']:.1e}. Coin-flip heuristic 2⁻ⁿ = {shown['coin']:.1e}."),
    ])
    left, right = st.columns(2)
    with left:
        show_chart(*fig_spectrum, "goe_spectrum", f"{spec.matrices} GOE matrices (A + Aᵀ)/√(2n), "
                   f"{spec.eigenvalues.size} eigenvalues: half of them negative, so a random critical "
                   "point is almost never a minimum.", "Histogram of GOE eigenvalues with the semicircle")
    with right:
        show_chart(*fig_index, "index_vs_cost", "Low-cost critical points (left) have no negative "
                   "eigenvalue: minima. High-cost ones are saddles with many escape directions.",
                   "Fraction of negative eigenvalues against the shift of the spectrum")
    left, right = st.columns(2)
    with left:
        show_chart(*fig_pos, "p_all_positive", f"Dots: Monte Carlo over {RH.P_SAMPLES:,} GOE "
                   "matrices per n, with 95% bars. The chance falls like exp(−c n²), far faster "
                   "than the coin-flip 2⁻ⁿ.", "Probability that all eigenvalues are positive against n")
    with right:
        st.markdown(f"**Closed forms** (tested): P = 1/2 for n = 1 and (2 − √2)/4 = "
                    f"{RH.p_all_positive_exact(2):.4f} for n = 2; measured {pos['p'].iloc[0]:.4f} and "
                    f"{pos['p'].iloc[1]:.4f}. The book's heuristic treats each sign as a coin flip, "
                    "2⁻ⁿ; but eigenvalues repel each other, so the true chance is far smaller (Dean & "
                    "Majumdar 2006: exp(−(ln 3/4) n²) for large n, prefactor unknown). At n = "
                    f"{n} that rate is about 10{sup(RH.p_all_positive_rate_log10(n))}, against "
                    f"2⁻ⁿ = 10{sup(RH.coin_flip_log10(n))}.")


def plateaus(k):
    lr, steps = k["lr"], k["steps"]
    st.subheader("Plateaus in a deep linear network")
    st.latex(r"\tau\,\dot u = 2u(s-u),\qquad t_{1/2}=\frac{\tau}{2s}\ln\frac{s-u_0}{u_0}"
             r"\quad(\tau = 1/\varepsilon;\ \text{GD: } 2s\varepsilon \to 2\ln(1+\varepsilon s))")
    net, sweep, fig_modes, fig_plateau = cached(F.plateaus)(lr, steps, k["seed"])
    crit = PL.critical_learning_rate()
    if net.diverged_at is not None:
        st.warning(f"The linear network diverged at step {net.diverged_at}. Reason: ε = {lr:.4g} "
                   f"> 1/s_max = {crit:.4g} = 2/λmax at its solution.", icon=":material/trending_up:")
    elif lr > crit:
        st.info(f"ε = {lr:.4g} > 1/s_max = {crit:.4g} = 2/λmax at the network's solution, so its "
                "strongest mode overshoots and oscillates instead of settling.",
                icon=":material/swap_vert:")
    metrics([
        ("Critical ε = 1/s_max", f"{crit:.4g}",
         "2/λmax of the Hessian at the network's solution: above it the strongest mode cannot settle."),
        *((f"Plateau of the s = {p.s:g} mode", p.value,
           f"First step where the mode's strength u reaches s/2; the gradient-descent law "
           f"ln((s − u₀)/u₀)/(2 ln(1 + εs)) gives {p.theory:.1f}.")
          for p in F.plateau_steps(net.curves, lr)),
        ("Final loss", f"{net.loss['loss'].iloc[-1]:.2e}", "½‖Σ − W₂W₁‖² at the last step run"
         f" (it starts at {net.loss['loss'].iloc[0]:.3g})."),
    ])
    left, right = st.columns(2)
    with left:
        show_chart(*fig_modes, "linear_network_modes", f"Network W₂W₁ fitting singular values s, "
                   f"started at u₀ = {PL.INIT:g}. Solid: gradient descent; dashed: Saxe's sigmoid. "
                   "The weaker the mode, the longer it waits.", "Mode strengths of a linear network")
    with right:
        missing = int(sweep["measured"].isna().sum())
        show_chart(*fig_plateau, "plateau_length", "Dots: gradient descent on ½(s − ab)²; lines: "
                   "ln((s − u₀)/u₀)/(2 ln(1 + εs)). Halving s doubles the plateau; a 100× smaller "
                   "start adds a constant." + (f" {missing} runs did not reach s/2 (too few steps, "
                                               "or εs ≥ 1: unstable)." if missing else ""),
                   "Plateau length against mode strength for three starts")


run_part({"saddle": saddle, "dimensions": dimensions, "hessians": hessians, "plateaus": plateaus})

with st.expander("The math"):
    st.markdown(
        "**Escape.** On a quadratic saddle ½λ₊u² + ½λ₋v², gradient descent multiplies u by "
        "(1 − ελ₊) and v by (1 + ε|λ₋|) each step. The cost drops 1 below the saddle's once "
        "½|λ₋|v² ≥ 1 + ½λ₊u², which, when u has already died out, is step "
        "⌈ln(√(2/|λ₋|)/v₀)/ln(1 + ε|λ₋|)⌉ — on x² − y², ⌈ln(1/y₀)/ln(1+2ε)⌉. The tests check the "
        "exact step against the closed form u_k, v_k.\n\n"
        "**Newton.** Both Newton methods take their full step (step size 1; ε only drives gradient "
        "descent). On any quadratic, x − H⁻¹g = x − H⁻¹Hx = 0: one step onto the critical point, "
        "whatever its type. On the monkey saddle f is homogeneous of degree 3, so Hx = 2g and each "
        "Newton step halves x. Saddle-free Newton divides by |λ| instead: on 5x² − y² one step maps "
        "(x, y) to (0, 2y) — downhill along every direction. Himmelblau's function is divided by 10 "
        "so that ε = 0.15 is stable at its minima; that changes no critical point.\n\n"
        "**Random Hessians.** For a GOE matrix the eigenvalue density tends to the semicircle "
        "√(4 − λ²)/2π; shifting by a cost level e gives index F(e) = ½ + e√(4−e²)/4π + arcsin(e/2)/π. "
        "P(all positive) is estimated for every n at once: each matrix grows a row at a time and "
        "stays in the count while every Cholesky pivot is positive (Sylvester's criterion).\n\n"
        "**Plateaus.** ½(s − ab)² has a saddle at a = b = 0 with Hessian eigenvalues ±s: the "
        "plateau is that saddle's escape time, (τ/2s) ln(s/u₀).")
with st.expander("Sources"):
    st.markdown(
        "- Goodfellow, Bengio & Courville, *Deep Learning*, §8.2.3 and Fig 4.5.\n"
        "- Y. Dauphin et al., *Identifying and attacking the saddle point problem in "
        "high-dimensional non-convex optimization*, NeurIPS 2014 (saddle-free Newton, Fig 2a).\n"
        "- A. Bray & D. Dean, *Statistics of critical points of Gaussian fields on large-dimensional "
        "spaces*, PRL 2007. D. Dean & S. Majumdar, *Large deviations of extreme eigenvalues of "
        "random matrices*, PRL 2006.\n"
        "- A. Saxe, J. McClelland & S. Ganguli, *Exact solutions to the nonlinear dynamics of "
        "learning in deep linear neural networks*, 2013.\n"
        "- D. Himmelblau, *Applied Nonlinear Programming*, 1972 (test function).")
