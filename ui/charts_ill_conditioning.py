"""Chart builders of the ill-conditioning page (DataFrame and numbers in, Altair chart out)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui import charts as C


def cost_chart(history: pd.DataFrame, methods: Sequence[str], diverged_step: int | None):
    """Cost over steps, measured (solid) and the rate bound f0 r^(2k) (dashed), per method."""
    curves = history.melt(id_vars=["method", "step"], value_vars=["cost", "theory_cost"],
                          var_name="curve", value_name="y")
    curves["curve"] = curves["curve"].map({"cost": "measured", "theory_cost": "rate bound f₀·r²ᵏ"})
    ch = C.lines(curves, "step", "y", series="method", domain=methods, dash="curve", log_y=True,
                 x_title="step k", y_title="cost f(x_k)", title="Cost over steps")
    if diverged_step is not None:
        ch = ch + C.vrule(diverged_step, "diverged")
    return C.finish(ch)


def rate_chart(rc: pd.DataFrame, methods: Sequence[str], lam_min: float, lam_max: float,
               lr: float, your_rate: float):
    """Contraction per step against ε: the V of gradient descent with 2/λmax, the optimum and ε."""
    best = (lam_max / lam_min - 1) / (lam_max / lam_min + 1)
    return C.finish(
        C.lines(rc, "learning_rate", "rate", series="method", domain=methods, log_x=True,
                x_title="learning rate ε", y_title="contraction per step", y_domain=(0, 1.5),
                title="Which learning rates converge")
        + C.hrules({"1: no progress": 1.0, f"(κ−1)/(κ+1) = {best:.3f}": best})
        + C.marker(2 / lam_max, 1.0, "2/λmax", color="#D55E00", dy=-14)
        + C.marker(2 / (lam_min + lam_max), best, "2/(λmin+λmax)", color="#009E73", dy=18,
                   dx=-6, align="right")
        + C.marker(lr, min(your_rate, 1.5), "your ε", dy=16))


def ledger_chart(ledger: pd.DataFrame):
    """Per step: the first-order gain εgᵀg and the curvature penalty ½ε²gᵀHg (lines), and the
    actual |change of cost| as points, red triangles where the cost rose."""
    led = ledger.melt(id_vars=["step", "rose"], value_vars=["gain", "penalty"], var_name="term")
    led["term"] = led["term"].map({"gain": "gain εgᵀg", "penalty": "penalty ½ε²gᵀHg"})
    act = ledger.assign(change=ledger["actual"].abs(),
                        direction=np.where(ledger["rose"], "cost rose", "cost fell"))
    ch = C.lines(led, "step", "value", series="term", domain=["gain εgᵀg", "penalty ½ε²gᵀHg"],
                 log_y=True, x_title="step k", y_title="change of cost",
                 title="Taylor ledger per step")
    pts = C.points(act, "step", "change", shape="direction", domain=["cost fell", "cost rose"],
                   log_y=True)
    return C.finish(alt.layer(ch, pts).resolve_scale(color="independent", shape="independent",
                                                     strokeDash="independent"))


def path_chart(path: pd.DataFrame, ellipses: pd.DataFrame, methods: Sequence[str]):
    """Both paths in the plane of the bottom and top eigenvectors over the level sets, with a
    step slider inside the chart."""
    u0, v0 = abs(path["u"].iloc[0]) * 1.15, abs(path["v"].iloc[0]) * 1.15
    return C.finish(C.scrub_path(
        path, x="u", y="v", series="method", domain=methods, background=C.level_curves(ellipses),
        x_title="along the flattest direction (λmin)", y_title="along the steepest (λmax)",
        x_domain=(-u0, u0), y_domain=(-v0, v0)))


def network_chart(history: pd.DataFrame):
    """The small network's cost, ‖g‖ and gᵀHg over training (log scale)."""
    h = history.melt(id_vars="step", value_vars=["cost", "grad_norm", "gHg"], var_name="quantity")
    h["quantity"] = h["quantity"].map({"cost": "cost", "grad_norm": "‖g‖", "gHg": "gᵀHg"})
    return C.finish(C.lines(h, "step", "value", series="quantity", domain=["cost", "‖g‖", "gᵀHg"],
                            log_y=True, x_title="step", y_title="value (log scale)",
                            title="Cost, gradient norm, gᵀHg"))


def sharpness_chart(history: pd.DataFrame, edge: float):
    """The sharpness λmax(H) over training against the stability edge 2/ε."""
    return C.finish(C.lines(history, "step", "sharpness", x_title="step", y_title="λmax(H)",
                            title="Sharpness against the 2/ε edge", points=True)
                    + C.hrules({f"2/ε = {edge:.3g}": edge}, color="#D55E00"))
