"""Local minima (book 8.2.2): weight-space symmetry, breaking it, good and bad minima."""

import streamlit as st

from core import local_minima as lm
from core import local_minima_symmetry as sy
from core.local_minima_train import NUM_STEPS, TOL
from ui import charts_local_minima as CL
from ui.frame import frame, run_part
from ui.show import cached, chart_spec, metrics, show_chart
from ui.text import sup

frame("local_minima", claim=(
    "Neural networks have many local minima for a harmless reason: the model is not identifiable. "
    "Swap two hidden units (with their weights) and the function is unchanged, so every minimum "
    "comes in (n!)ᵐ equivalent copies. Local minima only hurt when their cost is high compared "
    "with the global minimum."), limits={"depth": (1, 3)})


def task():
    st.caption("The depth knob is capped at 3 hidden layers here so that many restarts train live; "
               "the other pages keep its value. Task: 4-bit parity (16 examples, targets ±1), "
               f"full-batch gradient descent for {NUM_STEPS} steps.")


def trained(k):
    """The restarts (one cached call, shared by parts 1, 2 and 4) and the divergence notice."""
    res = cached(lm.restarts)(k["width"], k["depth"], k["activation"], k["lr"], k["restarts"], k["seed"])
    fin = res.final
    div = fin[fin["diverged_at"] >= 0]
    if len(div):
        st.warning(f"{len(div)} of {len(fin)} restarts diverged (the first at step "
                   f"{int(div['diverged_at'].min())}): their cost passed 10⁶ or overflowed because the "
                   f"step ε = {k['lr']:g} is too long for the curvature where they started. They are "
                   "left out below; lower ε.", icon=":material/trending_up:")
    return res, bool((fin["diverged_at"] < 0).any())  # False when every restart diverged


def gone(k):
    return f"Every restart diverged at ε = {k['lr']:g}: nothing to show here. Lower ε."


def copies(k):
    n, m, act = k["width"], k["depth"], k["activation"]
    st.subheader("Equivalent minima, separated by barriers")
    task()
    st.latex(r"L(\theta)=\frac{1}{2N}\sum_{i=1}^{N}\big(f(x_i;\theta)-y_i\big)^2,\qquad "
             r"L(\pi\theta)=L(\theta),\qquad \#\{\pi\}=(n!)^m,\qquad "
             r"\theta(\alpha)=(1-\alpha)\,\theta^*+\alpha\,\pi\theta^*")
    res, ok = trained(k)
    cp = cached(lm.best_copies)(res, act, k["seed"]) if ok else None
    perm = cp.table[cp.table["kind"] == "permutation"] if cp is not None else None
    flips = "2ⁿᵐ sign flips of tanh units" if act == "tanh" else "a continuum of ReLU rescalings"
    extra = (f" Sign flips multiply it by 2ⁿᵐ = {sy.format_count(sy.count_sign_flips(n, m))}."
             if act == "tanh" else " ReLU rescalings (×c in, ×1/c out) add a continuum.")
    metrics([
        ("Equivalent settings from permutations", sy.format_count(sy.count_permutations(n, m)),
         f"(n!)ᵐ = ({n}!){sup(m)}: orderings of the hidden units that give the same function.{extra}"),
        ("Loss change under permutation", f"{perm['change'].max():.1e}" if perm is not None else "—",
         "Largest |L(πθ*) − L(θ*)| over the three permuted copies of the best restart θ* in the table: "
         "round-off only."),
        ("Barrier on the straight path", f"{perm['barrier'].max():.3f}" if perm is not None else "—",
         "Highest cost on the straight line from θ* to a permuted copy minus the endpoints' cost "
         "(largest over the three copies). Predicting 0 everywhere costs 0.5."),
    ])
    left, right = st.columns(2)
    if cp is None:
        left.info(gone(k))
        return
    with left:
        show_chart(chart_spec(CL.permutation_chart, cp.paths), cp.paths,
                   "permutation_paths", "Both ends fit the data equally well; "
                   "halfway, pairs of different units are averaged and the fit breaks: no flat valley.",
                   "Cost along straight lines between equivalent minima")
    with right:
        st.markdown(f"**Copies of the best restart θ\\*** (width {n}, depth {m}, {act})")
        cols = {"symmetry": "copy θ′ of θ*", "cost": "L(θ′)", "change": "|ΔL|",
                "distance": "‖θ′ − θ*‖", "barrier": "barrier"}
        st.dataframe(cp.table[list(cols)].rename(columns=cols), hide_index=True,
                     column_config={c: st.column_config.NumberColumn(format="%.3g")
                                    for c in list(cols.values())[1:]})
        st.caption(f"Every copy has the same cost to round-off, yet sits far away in weight space. "
                   f"Counting: ({n}!){sup(m)} permutations, times {flips}.")


def minima(k):
    st.subheader("Good and bad minima over random restarts")
    task()
    st.latex(r"\text{restart } r \text{ reached the best} \iff "
             rf"L(\theta^{{(r)}}_T)\le\min_s L(\theta^{{(s)}}_T)+{TOL:g},\qquad "
             r"f(x)=x^4-3x^2+x")
    res, ok = trained(k)
    fin = res.final
    toy = cached(sy.bad_minimum_toy)(k["restarts"], k["seed"])
    metrics([
        ("Restarts reaching the best minimum",
         f"{(fin['outcome'] == 'reached the best').sum()}/{len(fin)} ({res.reached:.0%})",
         f"Restarts whose final cost is within {TOL:g} of the lowest, {res.best_cost:.2g} "
         "(missing one example by 1 costs 1/32 ≈ 0.031)."),
        ("Lowest final cost", f"{res.best_cost:.2g}" if ok else "—",
         f"The lowest cost any restart reached after {NUM_STEPS} steps."),
        ("1-D example: starts in the bad minimum", f"{toy.measured:.0%}",
         f"Share of the {len(toy.starts)} gradient-descent starts on f(x) = x⁴ − 3x² + x that end in "
         f"its bad minimum, {toy.gap:.2f} above the global one; theory {toy.theory:.0%} (the starts "
         "right of the basin edge)."),
    ])
    left, right = st.columns(2)
    if ok:
        with left:
            show_chart(chart_spec(CL.cost_histogram, fin, res.best_cost, TOL, NUM_STEPS), fin,
                       "final_costs",
                       f"{res.reached:.0%} of {len(fin)} restarts end within {TOL:g} of the best; the "
                       "others end higher: in a worse minimum, or still on a plateau (see the ‖g‖ chart).",
                       "Histogram of final costs over random restarts")
        with right:
            show_chart(chart_spec(CL.grad_norm_chart, res.history), res.history,
                       "gradient_norms", "§8.2.2: if ‖g‖ does not shrink, the "
                       "run is not at a minimum (nor any critical point): a plateau or an oscillation.",
                       "Gradient norm of each restart over training")
    else:
        left.info(gone(k))
    with st.columns(2)[0] if ok else right:
        show_chart(chart_spec(CL.toy_chart, toy), toy.starts, "toy_starts",
                   f"{toy.measured:.0%} of the starts (theory {toy.theory:.0%}: those right of the basin "
                   f"edge) end {toy.gap:.2f} above the global minimum: a harmful local minimum. "
                   "Step ε = 0.01 here.",
                   "A 1-D function with a bad local minimum and gradient descent from random starts")


def wider(k):
    n = k["width"]
    st.subheader("Wider nets end in bad minima less often")
    task()
    sweep = cached(lm.width_sweep)(k["depth"], k["activation"], k["lr"], k["seed"])
    lost = int(sweep["cost"].isna().sum())
    if lost:
        st.warning(f"{lost} of {len(sweep)} runs of the width sweep diverged: the step ε = {k['lr']:g} "
                   "is too long for the curvature where they started. They are left out below; "
                   "lower ε.", icon=":material/trending_up:")
    frac = lm.reached_by_width(sweep)
    lo, hi = int(frac.index.min()), int(frac.index.max())
    low = sweep["cost"].min()
    each = (f"of the {lm.SWEEP_RESTARTS} restarts of width {{}} that end within {TOL:g} of the "
            "lowest cost at any width")
    pct = {w: "—" if f != f else f"{f:.0%}" for w, f in frac.items()}  # —: every run diverged
    metrics([
        (f"Best reached at width {lo}", pct[lo], f"Share {each.format(lo)}."),
        ("Best reached at your width", pct[n], f"Share {each.format(n)} (the shaded column)."),
        (f"Best reached at width {hi}", pct[hi], f"Share {each.format(hi)}."),
        ("Lowest cost at any width", f"{low:.2g}" if low == low else "—",
         f"The lowest final cost of the {len(sweep)} runs after {NUM_STEPS} steps."),
    ])
    show_chart(chart_spec(CL.width_strip, sweep, n), sweep, "width_sweep",
               f"{lm.SWEEP_RESTARTS} restarts per width; % = share within {TOL:g} of the lowest "
               "cost at any width"
               + (f" ({lost} runs diverged, not shown; — : all did)" if lost else "")
               + ". Wider nets end in bad minima less often (shaded: your width).",
               "Final costs of restarts for widths 2 to 8")


def init(k):
    st.subheader("Symmetry must be broken, and the path from the start")
    task()
    st.latex(r"w_1=w_2\ \Rightarrow\ \frac{\partial L}{\partial w_1}=\frac{\partial L}{\partial w_2},"
             r"\qquad \theta(\alpha)=(1-\alpha)\,\theta_0+\alpha\,\theta_T")
    res, ok = trained(k)
    lines = cached(lm.init_lines)(res, k["activation"]) if ok else None
    gap = {key: "diverged" if v != v else f"{v:.2g}" for key, v in res.twin_gap.items()}
    metrics([
        ("Identical start: units' difference", gap["identical start"],
         "Largest difference between units 1 and 2 of layer 1 after training, when they started "
         "identical (incoming weights, bias, outgoing weights)."),
        ("Random start: units' difference", gap["random start"],
         "The same for restart 0, whose units started different."),
        ("Lines from the start never rising",
         f"{lines.num_monotone}/{lines.num_finite}" if lines is not None else "—",
         "Restarts whose cost never rises on the straight line from the initialization θ₀ to the "
         "trained θ_T (up to 1e-9 relative)."),
    ])
    left, right = st.columns(2)
    if res.twins["weight"].notna().any():
        with left:
            show_chart(chart_spec(CL.twins_chart, res.twins), res.twins,
                       "twin_units", f"Started identical, units 1 and 2 stay identical "
                       f"(largest difference after training: {gap['identical start']}); from a random "
                       f"start they differ by {gap['random start']} (book §8.4).",
                       "Weights of two hidden units from identical and random initializations")
    else:
        left.info(gone(k))
    if lines is not None:
        with right:
            show_chart(chart_spec(CL.init_path_chart, lines.paths), lines.paths,
                       "init_to_solution", "The cost never rises along the "
                       f"line for {lines.num_monotone} of {lines.num_finite} restarts (Goodfellow, "
                       "Vinyals & Saxe 2015 found it often monotone; Frankle 2020: not for large "
                       "modern nets).",
                       "Cost along the straight line from each initialization to its trained weights")


run_part({"copies": copies, "minima": minima, "wider": wider, "init": init})

with st.expander("The math"):
    st.markdown("Permuting the units of hidden layer l reorders the columns of W_l and b_l and the "
                "rows of W_{l+1} together; the next layer sums the same terms in another order, so "
                "f(x; πθ) = f(x; θ) for every x. Each of the m layers can be permuted independently:")
    st.latex(r"(n!)^m\ \text{permutations}\ \times\ 2^{nm}\ \text{sign flips (tanh is odd)};\qquad "
             r"\mathrm{relu}(cz)=c\,\mathrm{relu}(z)\ (c>0)\ \Rightarrow\ \text{a continuum}")
    st.markdown("The copies are isolated points, not a valley. The smallest case: f(x) = relu(x) + "
                "relu(−x) = |x| and its copy with the two units swapped. On the line between them "
                "both units have weight ±(1 − 2α), so f_α(x) = |1 − 2α| |x| and, for x uniform on "
                "[−1, 1],")
    st.latex(r"\mathbb{E}\big[(f_\alpha(x)-|x|)^2\big]=\frac{(1-|1-2\alpha|)^2}{3}")
    alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
    st.dataframe({"α": alphas, "closed form": sy.two_relu_barrier(alphas),
                  "measured (core.mlp, exact quadrature)": sy.two_relu_path(alphas)}, hide_index=True)
    st.markdown("Identical units get identical gradients (same inputs, same outgoing weights), so "
                "gradient descent keeps them identical forever: the initialization must differ.")
with st.expander("Sources"):
    st.markdown("- Goodfellow, Bengio & Courville, *Deep Learning*, §8.2.2 (local minima, "
                "identifiability), §8.4 (breaking symmetry).\n"
                "- I. Goodfellow, O. Vinyals & A. Saxe, *Qualitatively characterizing neural network "
                "optimization problems*, ICLR 2015.\n"
                "- J. Frankle, *Revisiting 'Qualitatively Characterizing Neural Network Optimization "
                "Problems'*, 2020.\n"
                "- M. Minsky & S. Papert, *Perceptrons*, 1969 (parity).\n"
                "- I. Safran & O. Shamir, *Spurious Local Minima are Common in Two-Layer ReLU Neural "
                "Networks*, ICML 2018.")
