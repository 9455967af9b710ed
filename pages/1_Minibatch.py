"""Minibatch algorithms (book 8.1.3), in three parts (tabs, only the open one is computed): error
against batch size, random versus ordered batches, and the economics of SGD's batch size."""

import streamlit as st

from core import minibatch as mb
from core import minibatch_order as mo
from core import minibatch_sgd as ms
from ui import charts_minibatch as CM
from ui.frame import frame, run_part
from ui.show import cached, chart_spec, metrics, show_chart

frame("minibatch", claim=(
    "The standard error of a mean over m examples is σ/√m, so 100 times more examples buy only a "
    "10 times smaller error. Gradient methods are robust with batches of about 100; second-order "
    "updates H⁻¹g amplify the gradient's error by up to the condition number and need about "
    "10,000. Minibatches must be drawn at random, and successive estimates should be independent."))


def error(k):
    st.latex(r"\mathbb E\,\|g_B-G\|^2=\frac{\operatorname{tr}\Sigma}{B}\cdot\frac{m-B}{m-1},\qquad"
             r"\frac{\|H^{-1}(g_B-G)\|}{\|H^{-1}G\|}\le\kappa(H)\,\frac{\|g_B-G\|}{\|G\|},\qquad "
             r"B_{\text{simple}}=\frac{\operatorname{tr}\Sigma}{\|G\|^2}")
    kappa = k["kappa"]
    s1 = cached(mb.batch_size_study)(k["dim"], kappa, k["seed"])
    c = dict(zip(zip(s1.curves["quantity"], s1.curves["batch"]), s1.curves.to_dict("records")))
    g100, g10k, n100 = c[("gradient", 100)], c[("gradient", 10_000)], c[("newton", 100)]
    metrics([
        ("Gradient error at batch 100", f"{g100['measured']:.3f}", f"RMS of ‖g_B − G‖/‖G‖ over "
         f"{g100['draws']:,} batches of 100 drawn without replacement; theory {g100['theory']:.3f}"),
        ("Gradient error at batch 10000", f"{g10k['measured']:.4f}", f"Theory {g10k['theory']:.4f}. "
         f"100× the examples made it {g100['measured'] / g10k['measured']:.1f}× smaller: 10× from "
         f"1/√B, the rest because 10,000 is a large share of the m = {s1.m:,} examples"),
        ("Newton-step error at batch 100", f"{n100['measured']:.3f}", f"‖H⁻¹(g_B − G)‖/‖H⁻¹G‖ with H "
         f"known exactly; theory {n100['theory']:.3f}, bound κ × gradient error = {n100['bound']:.3g}"),
        ("Batch for Newton step to match", f"{s1.match:,.0f}" if s1.match < 1e9 else "> 10,000",
         f"Where the Newton curve falls to the gradient's error at B = 100 (interpolated). Exact "
         f"expectation on this data: {s1.match_theory:,.0f}. Worst case, error along the flattest "
         f"direction: 100·κ² = {100 * s1.kappa**2:,.0f}"),
        ("Gradient noise scale", f"{s1.b_simple:.3g}", f"B_simple = tr Σ/‖G‖² at w = 0 on the data "
         f"(closed form {s1.b_simple_theory:.3g}): batches much larger than this buy little. "
         "Part 3 follows it along an SGD run"),
    ])
    st.markdown(f"Least squares on m = {s1.m:,} examples with n = {k['dim']} features whose "
                f"covariance H has condition number κ = {kappa:g}, at the starting point w = 0. Each "
                "estimate is compared with the full-data one; the Newton direction gets the exact H, "
                "as in the book's argument, so all its extra error is g's error amplified.")
    left, right = st.columns(2)
    with left:
        df = CM.error_curves(s1.curves)
        show_chart(chart_spec(CM.error_vs_batch, df, s1.target, s1.match), df, "error_vs_batch",
                   f"Solid: measured (RMS over {g10k['draws']} to "
                   f"{s1.curves['draws'].max():,} draws per B); dashed: exact expectation. Both fall "
                   "as 1/√B; H⁻¹ shifts the Newton line up, never above the κ bound.",
                   "Relative error of gradient and Newton direction against batch size, log-log")
    with right:
        mk = cached(mb.match_against_kappa)(k["dim"], k["seed"])
        show_chart(chart_spec(CM.match_vs_kappa, mk, kappa, s1.match), mk, "newton_batch_vs_kappa",
                   f"A² = {s1.amplification:.3g} here (measured; the line assumes unlimited data). "
                   "Least-squares gradient noise is shaped like H, so the batch grows about like κ; "
                   "the κ² worst case needs the noise in the flattest direction.",
                   "Batch needed by the Newton direction against condition number")


def order(k):
    st.latex(r"\operatorname{Var}\bar v_B=\tau^2+\frac{\sigma^2}{B}\ \ \text{(stored, } B\le k"
             r"\text{)},\qquad \operatorname{Var}\bar v_B=\frac{\tau^2+\sigma^2}{B}\ \ "
             r"\text{(shuffled)}")
    B = k["batch"]
    s2 = cached(mo.order_study)(B, k["seed"])
    reuse = cached(ms.reuse_bias)(k["seed"])
    at = s2.variance[s2.variance["batch"] == min(B, s2.m // 2)].set_index("order")
    stored, shuffled = at.loc[mo.ORDERS[0]], at.loc[mo.ORDERS[1]]
    ep = reuse.epochs.set_index("epoch")

    def corr(v):
        return f"{v:+.2f}" if v == v else "n/a"

    metrics([
        ("Variance at B, stored", f"{stored['measured']:.4g}", f"Variance of the mean of a batch "
         f"of B = {min(B, s2.m // 2):,} cut in stored (patient) order, over {s2.reps} data sets; "
         f"theory {stored['theory']:.4g} (τ² + σ²/B while B ≤ {s2.k})"),
        ("Variance at B, shuffled", f"{shuffled['measured']:.4g}", f"The same for batches cut "
         f"from a random permutation; theory (τ² + σ²)/B · (m − B)/(m − 1) = "
         f"{shuffled['theory']:.4g}"),
        ("Successive correlation", corr(s2.corr_at[mo.ORDERS[0]]), "Lag-1 correlation of "
         f"successive minibatch errors at your B in stored order (shuffled: "
         f"{corr(s2.corr_at[mo.ORDERS[1]])}; n/a: too few batches per epoch)"),
        ("Second-epoch bias", f"{ep.loc[2, 'bias']:+.3f}", f"Mean of minibatch loss − true loss "
         f"over epoch 2 (±{ep.loc[2, 'se']:.3f} SE); epoch 1, fresh examples: "
         f"{ep.loc[1, 'bias']:+.3f}; at the exact fit: {reuse.fit_gap:.3f}"),
    ])
    st.markdown(f"{s2.m:,} records stored patient by patient ({s2.k} per patient): record = "
                f"patient effect (σ = {mo.TAU:g}) + noise (σ = {mo.SIGMA:g}), the per-example "
                f"gradient of a mean. Measured over {s2.reps} data sets; the red line marks your "
                f"B = {B:,}. Part 3 trains SGD in either order (its Shuffle switch).")
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CM.variance_chart, s2.variance, mo.ORDERS, B), s2.variance,
                   "variance_by_order", f"Dashed: theory, τ² + σ²/B for stored batches within a "
                   f"patient (B ≤ {s2.k}), (τ² + σ²)/B for random ones.",
                   "Variance of minibatch means, stored versus shuffled")
    with right:
        lag = " and ".join(f"{o}: {v:+.2f}" if v == v else f"{o}: n/a (too few batches per epoch)"
                           for o, v in s2.corr_at.items())
        show_chart(chart_spec(CM.trace_chart, s2.trace, mo.ORDERS), s2.trace,
                   "successive_gradients", f"Batches of B = {B:,}. Lag-1 correlation of successive "
                   f"errors: {lag}. "
                   "Stored order: runs of one patient's bias; shuffled: independent draws.",
                   "Minibatch gradient errors step by step in stored and shuffled order")
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CM.correlation_chart, s2.correlation, mo.ORDERS, B), s2.correlation,
                   "successive_correlation", "Stored order: batches smaller than a patient share "
                   "its effect. Shuffled: −B/(m − B), the small price of one finite data set.",
                   "Correlation of successive minibatch errors against batch size")
    with right:
        bias = ", ".join(f"{b:+.3f}" for b in reuse.epochs["bias"])
        show_chart(chart_spec(CM.reuse_chart, reuse.trace, reuse.fit_gap, reuse.m // reuse.batch,
                              len(reuse.epochs)), reuse.trace, "reuse_bias",
                   f"Mean bias per epoch: {bias} (±2 SE band; {reuse.runs} data sets of m = "
                   f"{reuse.m}, n = {reuse.n}, B = {reuse.batch}, ε = {reuse.learning_rate}). Fresh "
                   "examples in epoch 1, reused ones after.", "Bias of the minibatch loss over epochs")


def sgd(k):
    st.latex(r"w\leftarrow w-\varepsilon\,g_B,\qquad B_{\text{simple}}="
             r"\frac{\operatorname{tr}\Sigma}{\|G\|^2},\qquad B_{\text{noise}}="
             r"\frac{\operatorname{tr}(H\Sigma)}{G^\top HG}")
    lr, B, kappa = k["lr"], k["batch"], k["kappa"]
    s3 = cached(ms.sgd_study)(k["dim"], kappa, k["seed"], lr, B, k["shuffle"])
    for run in s3.runs:
        if run.diverged:
            st.warning(f"SGD with batch {run.batch:,} diverged at step {run.step}. Reason: "
                       f"{run.reason}.", icon=":material/trending_up:")
    mine = next(r for r in s3.runs if r.batch == min(B, max(s3.limits)))  # your B (at most m)
    last = s3.history[s3.history["batch"] == mine.batch]["loss"]
    metrics([
        ("Noise scale along the run", f"{s3.start:.3g} → {s3.end:.3g}", f"Closed-form B_simple = "
         f"tr Σ/‖G‖² at the first and last point of the SGD run at B = {mine.batch:,}: batches "
         "much larger than it buy little, so the best batch moves with it during training"),
        ("Stability limit at B", f"{s3.limits[mine.batch]:.4g}", "Mean-square stability limit of "
         "SGD's ε at your batch (Gaussian inputs); for the batches compared: "
         + ", ".join(f"B = {b:,}: {v:.4g}" for b, v in s3.limits.items())),
        ("Final loss at B", f"{last.iloc[-1]:.3e}", f"Excess true loss after {len(last) - 1} steps "
         f"at B = {mine.batch:,}" + (f" (diverged at step {mine.step})" if mine.diverged else "")),
    ])
    how = "a fresh random order each epoch" if k["shuffle"] else "the stored order, sorted by y"
    cut = [f"B = {r.batch:,}: {r.steps}" for r in s3.runs if r.steps < s3.num_steps and not r.diverged]
    st.markdown(f"SGD at your ε = {lr:g} from w = 0 on the part-1 data, batches in {how}. "
                + (f"Steps cut to keep the page fast: {', '.join(cut)}." if cut else ""))
    gone = " Diverged runs stop at their last finite point." if any(r.diverged for r in s3.runs) else ""
    left, right = st.columns(2)
    for col, x, note in ((left, "step", "Larger batches: fewer, better steps."),
                         (right, "examples", "Smaller batches: more progress per example, until the "
                          "noise floor.")):
        with col:
            show_chart(chart_spec(CM.loss_chart, s3.history, x), s3.history, f"sgd_loss_vs_{x}",
                       note + gone, f"SGD loss against {x}")
    left, right = st.columns(2)
    with left:
        show_chart(chart_spec(CM.noise_chart, s3.noise, B), s3.noise, "noise_scale",
                   f"SGD at B = {B:,}, measured from {s3.sample:,} examples at each point. As the "
                   "gradient shrinks "
                   "the noise scale grows: the best batch grows during training.",
                   "Gradient noise scale along the SGD run")
    with right:
        sc = cached(mb.learning_rate_limits)(k["dim"], kappa, k["seed"])
        show_chart(chart_spec(CM.step_chart, sc, lr, B), sc, "step_vs_batch", "Above the stability "
                   "limit SGD diverges; the best step grows ~B up to B_noise, then saturates (at "
                   "w = 0).", "Learning rate limits against batch size")


run_part({"error": error, "order": order, "sgd": sgd})

with st.expander("The math"):
    st.markdown("A minibatch of B examples drawn without replacement from m has mean error variance "
                "tr Σ/B · (m−B)/(m−1): the standard error σ/√B with a finite-population correction. "
                "With H known, H⁻¹(g_B − G) stretches the error by up to 1/λmin while H⁻¹G shrinks "
                "G by at least 1/λmax, hence the κ bound and a batch up to κ² larger (equality when "
                "G lies along the top eigenvector and the error along the bottom one). For least "
                "squares at w, with a = w − w* and c = aᵀHa + σ²:")
    st.latex(r"\Sigma = cH + Haa^\top H,\quad B_{\text{simple}} = 1 + \frac{c\,\operatorname{tr}H}"
             r"{\|Ha\|^2},\quad A^2=\frac{(c\,\operatorname{tr}H^{-1}+\|a\|^2)/\|a\|^2}"
             r"{(c\,\operatorname{tr}H+\|Ha\|^2)/\|Ha\|^2}")
    st.markdown("Stored batches of B ≤ k records from one patient have variance τ² + σ²/B; random "
                "ones (τ² + σ²)/B. SGD with batch B is mean-square stable iff ε(1+1/B)λmax < 2 and "
                "(ε/B)·Σⱼ λⱼ/(2 − ε(1+1/B)λⱼ) < 1 (Gaussian inputs); the best single step is "
                "ε_max/(1 + B_noise/B) with B_noise = tr(HΣ)/GᵀHG. Estimating H from the same batch "
                "too turns H_B⁻¹g_B into the batch's own least-squares fit, whose error comes only "
                "from label noise; we hold H exact to isolate the book's argument.")
with st.expander("Sources"):
    st.markdown("- Goodfellow, Bengio & Courville, *Deep Learning*, §8.1.3 (minibatch algorithms), "
                "§8.3.1 (SGD, eqs 8.12–8.13).\n"
                "- S. McCandlish, J. Kaplan, D. Amodei et al., *An Empirical Model of Large-Batch "
                "Training*, 2018 (B_simple, B_noise, ε_opt(B)).\n"
                "- W. G. Cochran, *Sampling Techniques*, 1977 (finite-population correction).")
