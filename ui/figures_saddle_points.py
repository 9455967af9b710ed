"""The saddle-point page's figures: knob values in, (core result, finished charts) out.

Each function runs one part of the page through the core (in the worker process of
ui/workers.py) and builds its finished charts, so the page can cache the whole part on scalar
arguments. Building an Altair chart costs far more than the numbers behind it here (Altair
deep-copies every layer at each combination), so a rerun that changes one knob rebuilds only the
charts that depend on it. No Streamlit in this module.
"""

from __future__ import annotations

from typing import NamedTuple

import altair as alt
import pandas as pd

from core import plateaus as PL
from core import random_hessians as RH
from core import saddles as S
from core.saddle_surfaces import surface_map
from ui import charts as C
from ui import charts_saddle_points as CS
from ui import workers
from ui.exports import ChartSpec, to_chart_spec


class Figure(NamedTuple):
    """A finished chart, built once into a cached spec, and the tidy data behind it (CSV)."""

    chart: ChartSpec
    data: pd.DataFrame


def _figure(chart: alt.TopLevelMixin, data: pd.DataFrame) -> Figure:
    return Figure(to_chart_spec(chart), data)


def saddle(surface: str, offset: float, learning_rate: float, num_steps: int):
    """Part 1: (SaddleRun, map Figure, cost Figure)."""
    run = workers.run(S.three_methods, surface, offset, learning_rate, num_steps)
    m = surface_map(surface)
    chart = CS.saddle_map(run.path, m.grid, m.directions, m.landmarks, run.start, run.spec.view,
                          m.mid, m.half_range)
    cost, data = CS.cost_chart(run.path, run.escape_step, run.law)
    return run, _figure(C.finish(chart), run.path), _figure(C.finish(cost), data)


def escape(dim: int, k: int, offset: float, learning_rate: float, num_steps: int, seed: int):
    """Part 2: (HighDim, {sweep name: Figure}) for the 'offset' and 'k' sweeps."""
    hd = workers.run(S.high_dim_escape, dim, k, offset, learning_rate, num_steps, seed)
    figs = {}
    for name, title in (("offset", "start offset δ"), ("k", "negative eigenvalues k")):
        runs = hd.runs[hd.runs["sweep"] == name]
        figs[name] = _figure(C.finish(CS.escape_chart(runs, name, title)), runs)
    return hd, figs


def hessians(dim: int, seed: int):
    """Part 3a: (Spectrum, spectrum Figure, index Figure)."""
    spec = workers.run(RH.spectrum, dim, seed)
    index, _ = CS.index_chart(spec.index, spec.fraction_negative)
    return (spec, _figure(C.finish(CS.spectrum_chart(spec.histogram, spec.theory)), spec.histogram),
            _figure(C.finish(index), spec.index))


def all_positive(seed: int):
    """Part 3b: (P(all positive) table, Figure)."""
    pos = workers.run(RH.p_all_positive, RH.P_NMAX, RH.P_SAMPLES, seed)
    return pos, _figure(C.finish(CS.p_positive_chart(pos)), pos)


def plateaus(learning_rate: float, num_steps: int, seed: int):
    """Part 4: (Network, sweep table, modes Figure, plateau-length Figure)."""
    net = workers.run(PL.train_network, learning_rate, num_steps, seed)
    sweep = workers.run(PL.plateau_sweep, learning_rate, num_steps)
    return (net, sweep, _figure(C.finish(CS.modes_chart(net.curves)), net.curves),
            _figure(C.finish(CS.plateau_chart(sweep)), sweep))


# --- headline numbers (small summaries of a part's result, for st.metric) ------------------------
class MeanEscape(NamedTuple):
    """Mean gradient-descent escape steps over the random starts at k escape directions."""

    k: int
    value: str  # formatted: "53.2", "≥ 180.4" (some runs did not escape), "> 200" (none did)
    runs: int
    note: str  # "" or how many runs did not escape


def mean_escape(runs: pd.DataFrame, num_steps: int) -> list[MeanEscape]:
    """The 'k' sweep of S.high_dim_escape at its fewest and its most escape directions (one entry
    when they are the same, n = 2). A run that did not escape within ``num_steps`` counts as
    num_steps + 1, so the mean is then a lower bound (shown with ≥)."""
    ks = runs[runs["sweep"] == "k"]
    out = []
    for k in dict.fromkeys((ks["k"].min(), ks["k"].max())):
        steps = ks.loc[ks["k"] == k, "steps"]
        missing = int(steps.isna().sum())
        mean = float(steps.fillna(num_steps + 1).mean())
        value = (f"> {num_steps}" if missing == len(steps) else f"≥ {mean:.1f}" if missing
                 else f"{mean:.1f}")
        note = f"; {missing} of them did not escape within {num_steps} steps" if missing else ""
        out.append(MeanEscape(int(k), value, len(steps), note))
    return out


class Plateau(NamedTuple):
    """One mode of the linear network: steps until its strength reached s/2, and the law's."""

    s: float
    value: str  # formatted first step with u >= s/2, or "> last step run"
    theory: float  # PL.plateau_time(s, PL.INIT, learning_rate) (gradient-descent rate)


def plateau_steps(curves: pd.DataFrame, learning_rate: float) -> list[Plateau]:
    """The network's strongest and weakest modes (PL.train_network's curves)."""
    out = []
    for s in (curves["s"].max(), curves["s"].min()):
        g = curves[curves["s"] == s]
        reached = g.loc[g["measured"] >= s / 2, "step"]
        value = f"{int(reached.iloc[0])}" if len(reached) else f"> {int(g['step'].max())}"
        out.append(Plateau(float(s), value, float(PL.plateau_time(s, PL.INIT, learning_rate))))
    return out
