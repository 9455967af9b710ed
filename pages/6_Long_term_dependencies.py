"""Long-term dependencies (book 8.2.5, eq 8.11): vanishing and exploding gradients through time."""

import streamlit as st

from core import long_term as lt
from core import long_term_depth as ld
from core import long_term_theory as th
from ui import charts_long_term as CL
from ui.frame import frame, run_part
from ui.show import cached, chart_spec, metrics, show_chart
from ui.text import sup

frame("long_term", claim=(
    "A recurrent network applies the same matrix W at every time step, so after t steps the "
    "gradient has been multiplied by Wᵗ = V diag(λ)ᵗ V⁻¹: eigenvalues with |λ| < 1 vanish and "
    "those with |λ| > 1 explode. Feedforward networks use a different W at each layer, so even "
    "very deep ones can largely avoid the problem."))


def power(k):
    st.subheader("1 · Repeated multiplication by one W")
    st.markdown("Backpropagating through t steps of a linear recurrence multiplies a random "
                "gradient g by Wᵀ t times. The norm is tracked in log space, so nothing "
                "overflows, even after a thousand steps.")
    st.latex(r"W^t = V\,\mathrm{diag}(\lambda)^t\,V^{-1}\ \ (8.11),\qquad "
             r"\rho^t \le \|W^t\| \le \sigma_1^t")
    T, rho = k["depth"], k["rho"]
    rec = cached(lt.recurrent_products)(k["matrix"], k["dim"], rho, T, "linear", k["seed"])
    h = ld.recurrent_headline(rec, T)
    metrics([
        ("Spectral radius", f"{rec.rho:.4g}", "ρ = max|λᵢ| of W (exact: W is built from its Schur form)"),
        ("Largest singular value", f"{rec.sigma_max:.4g}", "σ₁ = max ‖Wu‖ over unit u: equal to ρ "
         "for the orthogonal and symmetric kinds, far above it for the non-normal kind"),
        ("Gradient norm ratio after depth (shared W)", CL.sci10(h.shared), f"‖Wᵀ⋯Wᵀg‖/‖g‖ with "
         f"{T} factors Wᵀ, no nonlinearity. ρ{sup(T)} = {CL.sci10(h.shared_theory)} (equal for the "
         "orthogonal kind)"),
    ])
    p = rec.path
    left, right = st.columns(2)
    with left:
        title = f"{k['matrix'].capitalize()} W, ρ = {rho:.2f}: the backpropagated norm"
        show_chart(chart_spec(CL.norm_chart, rec, T, title), p, "norm_over_steps",
                   "Grey: |λᵢ|ᵗ for each eigenvalue. The "
                   "measured norm ends parallel to ρᵗ; a non-normal W first climbs toward σ₁ᵗ even "
                   "when ρ < 1.", "log10 norm of the product against steps")
    with right:
        hidden = (f"The non-normal kind hides σ₁ = {rec.sigma_max:.3g}, which no eigenvalue shows."
                  if rec.sigma_max > 1.01 * rec.rho else "Normal W: σ₁ = ρ, the eigenvalues tell it all.")
        show_chart(chart_spec(CL.eigen_chart, rec.eig, rec.rho), rec.eig, "eigenvalues", "Outside the "
                   f"unit circle: explodes; inside: vanishes. {hidden}", "Eigenvalues in the complex plane")
    left, right = st.columns(2)
    with left:
        if rec.kind == "orthogonal":
            st.info("All |λ| = ρ for the scaled orthogonal kind: no eigenvalue dominates, so there is "
                    "no direction for the power method to find. Pick symmetric or non-normal.",
                    icon=":material/info:")
        else:
            show_chart(chart_spec(CL.alignment_chart, p, rec.lam_ratio), p, "alignment", f"|λ₂/λ₁| = "
                       f"{rec.lam_ratio:.3g}: symmetric W stays under the bound; non-normal W reaches "
                       "the same slope only after its transient.", "Angle to the leading eigenvector")
    with right:
        show_chart(chart_spec(CL.step_factor_chart, p, {"gain_linear": "‖Wᵀu‖ at step t"},
                              {f"σ₁ = {rec.sigma_max:.3g}": rec.sigma_max, f"ρ = {rec.rho:.3g}": rec.rho},
                              "What each step multiplies by"), p, "step_factor",
                   "Never above σ₁; the long-run factor is ρ. Steps "
                   "above 1 are growth even when ρ < 1.", "Per-step factor against steps")


def nonlinear(k):
    T, act, rho = k["depth"], k["activation"], k["rho"]
    rec = cached(lt.recurrent_products)(k["matrix"], k["dim"], rho, T, act, k["seed"])
    st.subheader("2 · Through a nonlinearity")
    st.markdown(f"The recurrence h = f(Wh + x) with random inputs x ~ N(0, I); backpropagation "
                f"multiplies by Wᵀdiag f′(a) each step. |f′| ≤ γ = {rec.gamma:g}. **Load the "
                "counterexample:** Matrix kind = non-normal, Nonlinearity = tanh, ρ = 0.50, n = 50.")
    st.latex(r"\Big\|\prod_{s=1}^{t} W^\top \mathrm{diag}\,f'(a_s)\;g\Big\| \le (\sigma_1\gamma)^t\,\|g\|,"
             r"\quad \gamma=\max|f'|")
    trap = th.eigenvalue_trap(rec)
    h = ld.recurrent_headline(rec, T)
    if act == "linear":
        st.info("Nonlinearity is linear, so this part repeats part 1 (the two curves coincide): "
                "pick tanh or sigmoid above.", icon=":material/info:")
    elif trap.sigma_gamma < 1:
        st.success(f"σ₁γ = {trap.sigma_gamma:.3g} < 1: vanishing is guaranteed, ‖gₜ‖ ≤ (σ₁γ)ᵗ‖g‖.")
    elif trap.rho_gamma < 1 and trap.grew:
        st.warning(f"The eigenvalue rule fails: ργ = {trap.rho_gamma:.3g} < 1, yet the gradient grew "
                   f"×{CL.sci10(trap.final)} in {T} steps. σ₁γ = {trap.sigma_gamma:.3g} ≥ 1, so the "
                   "singular-value rule promised nothing.", icon=":material/report:")
    elif trap.rho_gamma < 1 and trap.excess > 0.3:
        st.info(f"(ργ)ᵗ is no bound: at step {trap.at_step} the product is ×{CL.sci10(trap.excess)} "
                "above it.", icon=":material/info:")
    metrics([
        (f"Gradient norm ratio after depth (through {act})", CL.sci10(h.nonlinear),
         f"The same g backpropagated through {T} steps of h = {act}(Wh + x), x ~ N(0, I)"),
        ("Bound rate σ₁γ", f"{trap.sigma_gamma:.4g}", f"σ₁ = {rec.sigma_max:.4g} times γ = "
         f"{rec.gamma:g}: below 1, the gradient must vanish (Pascanu et al. 2013)"),
        ("Eigenvalue-rule rate ργ", f"{trap.rho_gamma:.4g}", f"ρ = {rec.rho:.4g} times γ = "
         f"{rec.gamma:g}: below 1 promises nothing, the eigenvalue version of the bound is false"),
    ])
    p = rec.path
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CL.nonlinear_norm_chart, rec, T), p, "nonlinear_norm",
                   "The measured curve never rises above "
                   "(σ₁γ)ᵗ. It can rise far above (ργ)ᵗ: the eigenvalue version is false.",
                   "log10 norm through the nonlinearity")
    with right:
        show_chart(chart_spec(CL.step_factor_chart, p, {"gain_nonlinear": f"‖Wᵀdiag f′ u‖ ({act})"},
                              {f"σ₁γ = {trap.sigma_gamma:.3g}": trap.sigma_gamma,
                               f"ργ = {trap.rho_gamma:.3g}": trap.rho_gamma},
                              "Factor of each step through f"), p, "nonlinear_step_factor",
                   "Every step stays under σ₁γ; steps "
                   "above ργ show why the eigenvalue rule is not a bound.", "Per-step factor through f")


def fresh(k):
    T, rho, n = k["depth"], k["rho"], k["dim"]
    ens = cached(ld.shared_vs_fresh)(n, rho, T, k["seed"])
    h = ld.ensemble_headline(ens, n, rho, T)
    st.subheader("3 · Shared W versus a fresh W per layer (linear)")
    how = ("each layer's W drawn in full" if ens.fresh_method == "matrices" else
           "‖W u‖² drawn as ρ²χ²ₙ/n, exact by rotation invariance, because full matrices would be too slow")
    st.markdown(f"Both ensembles draw W ~ N(0, ρ²/n) (ρ = 1 is the 1/n initialization): "
                f"{h.num_shared} seeds reuse one W at every step; {h.num_fresh} seeds "
                f"draw a fresh W per layer ({how}).")
    st.latex(r"\text{shared: }\ln\frac{\|g_t\|}{\|g_0\|}\approx t\ln|\lambda_{\max}(W)|,\qquad "
             r"\text{fresh: }\mathbb E\ln\frac{\|g_t\|}{\|g_0\|}"
             r"=t\Big(\ln\rho+\tfrac12\big(\psi(\tfrac n2)-\ln\tfrac n2\big)\Big)")
    metrics([
        ("Gradient norm ratio after depth (fresh W per layer)", CL.sci10(h.fresh), f"Median over "
         f"{h.num_fresh} seeds with a new W ~ N(0, ρ²/n) at each of the {T} layers; random-walk "
         f"theory {CL.sci10(h.fresh_theory)}"),
        ("Gradient norm ratio after depth (shared random W)", CL.sci10(h.shared), f"Median over "
         f"{h.num_shared} seeds, each reusing one W ~ N(0, ρ²/n) at all {T} layers: each seed "
         f"grows like its own |λmax(W)|ᵗ (ρ{sup(T)} = {CL.sci10(h.rho_power)})"),
    ])
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CL.ensembles_chart, ens.bands, n, rho, T), ens.bands,
                   "shared_vs_fresh", "Shaded: 10–90% of seeds. The "
                   "shared band widens like t (each seed its own |λmax|ᵗ); the fresh band like √t.",
                   "Quantiles of log10 norm over depth, shared and fresh W")
    with right:
        show_chart(chart_spec(CL.sample_paths_chart, ens.paths), ens.paths, "seed_paths", "Each shared-W "
                   "seed is a straight line with its own slope ln|λmax|; fresh-W seeds wander around "
                   "one slope, ½(ψ(n/2) − ln(n/2)) + ln ρ per layer (natural log).", "Individual seeds")


def init(k):
    T = k["depth"]
    ini = cached(ld.initialization_study)(T, k["seed"])
    theory = cached(th.initialization_theory)(ini.width, T)
    st.subheader("4 · Initialization: variance through depth")
    st.markdown(f"A deep net of {T} square layers of width {ini.width} (fixed, not n, to keep it fast), "
                f"a batch of {ini.batch} inputs x ~ N(0, I), one Gaussian draw per layer shared by the "
                "four schemes. Dashed: the infinite-width (mean-field) recursion.")
    st.latex(r"q_{l+1}=n\,\mathrm{Var}(W)\;\mathbb E\,f\big(\sqrt{q_l}\,z\big)^2,\qquad "
             r"G_{l-1}=n\,\mathrm{Var}(W)\;\mathbb E\,f'\big(\sqrt{q_l}\,z\big)^2\,G_l,\qquad "
             r"n\,\mathrm{Var}(W)=1\ (1/n),\ 2\ (\text{He})")
    if ini.dead:
        st.info(f"Dead network: in {', '.join(ini.dead)} every unit of a layer was off for every "
                "input, so the signal is exactly 0 from there on (its line stops).", icon=":material/info:")
    metrics([(f"∂L/∂h₀ variance, {g.label.split(' (')[0]}", CL.sci10(g.measured),
              f"E(∂L/∂h₀)² over E(∂L/∂h_{T})²: the gradient variance reaching the input of "
              f"{g.label}, relative to the top layer, on this net of width {ini.width}. "
              f"Mean-field theory: {CL.sci10(g.theory)}")
             for g in ld.gradient_to_input(ini, theory)])
    labels = tuple(s.label for s in th.SCHEMES)
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CL.init_variance_chart, ini.data, theory, "forward", labels,
                              "log₁₀ E aₗ²", "Forward: pre-activation variance"), ini.data,
                   "init_forward", "1/n with ReLU halves per layer "
                   "(2⁻²⁹ after 30); He's 2/n keeps it. One finite net drifts below the infinite-width "
                   "theory by about depth/width.", "Forward variance per layer")
    with right:
        show_chart(chart_spec(CL.init_variance_chart, ini.data, theory, "backward", labels,
                              "log₁₀ E (∂L/∂hₗ)²", "Backward: gradient variance"), ini.data,
                   "init_backward", "The same factors, read from the top "
                   "layer down: the gradient reaching layer 0 is what vanishes or explodes.",
                   "Backward variance per layer")


run_part({"power": power, "nonlinear": nonlinear, "fresh": fresh, "init": init})

with st.expander("The math"):
    st.markdown("**Eq 8.11.** With W = V diag(λ) V⁻¹, a gradient g becomes Σᵢ cᵢ λᵢᵗ vᵢ: the "
                "largest |λ| wins (power method), at rate |λ₂/λ₁|ᵗ. For a normal W (orthogonal, "
                "symmetric) ‖Wᵗ‖ = ρᵗ. For a non-normal W only ‖Wᵗ‖ ≤ σ₁ᵗ holds, and ‖Wᵗ‖^(1/t) → ρ "
                "slowly, after a transient that can be large.")
    st.markdown("**The nonlinear bound** (Pascanu et al. 2013). Each backward step is Wᵀ diag f′(a), "
                "whose norm is at most σ₁γ, so σ₁γ < 1 forces vanishing. The eigenvalue version is "
                "false: for W = a·uvᵀ with u = (1, 1)/√2, v = (1, −1)/√2 (nilpotent, every λ = 0) "
                "and f′ = (d₁, d₂), the product grows like (a|d₁ − d₂|/2)ᵗ, e.g. 1.35ᵗ at a = 3.")
    st.latex(r"\ln\frac{\|W u\|}{\|u\|} \sim \tfrac12\ln\frac{\rho^2\chi^2_n}{n}:\quad "
             r"\mathbb E = \ln\rho + \tfrac12\Big(\psi\big(\tfrac n2\big) - \ln\tfrac n2\Big),\quad "
             r"\mathrm{Var} = \tfrac14\,\psi'\big(\tfrac n2\big)")
    st.markdown("Fresh layers add independent steps: a random walk whose mean grows like t and "
                "spread like √t. A shared W instead locks every step to the same matrix: the "
                "log-norm grows like t·ln|λmax(W)|, a different slope for every draw. Initialization "
                "(book 8.4): n·Var(W) = 1 keeps linear layers' variance, ReLU needs 2 (He), Glorot "
                "uses 2/(n_in + n_out).")
with st.expander("Sources"):
    st.markdown("- Goodfellow, Bengio & Courville, *Deep Learning*, §8.2.5 (eq 8.11), §8.4, §10.7.\n"
                "- R. Pascanu, T. Mikolov, Y. Bengio, *On the difficulty of training recurrent "
                "neural networks*, ICML 2013.\n"
                "- D. Sussillo, L. F. Abbott, *Random walk initialization for training very deep "
                "feedforward networks*, arXiv:1412.6558, 2014.\n"
                "- X. Glorot, Y. Bengio, 2010; K. He et al., 2015 (initialization variances).\n"
                "- L. N. Trefethen, M. Embree, *Spectra and Pseudospectra*, 2005 (non-normal transients).")
