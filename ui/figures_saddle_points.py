"""The saddle-point page's figures: knob values in, (core result, finished charts) out.

Each function runs one part of the page through the core and builds its finished charts, so the
page can cache the whole part on scalar arguments. Building an Altair chart costs far more than the
numbers behind it here (Altair deep-copies every layer at each combination), so a rerun that
changes one knob rebuilds only the charts that depend on it. No Streamlit in this module.
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
from ui.exports import ChartSpec, to_chart_spec


class Figure(NamedTuple):
    """A finished chart, built once into a cached spec, and the tidy data behind it (CSV)."""

    chart: ChartSpec
    data: pd.DataFrame


def _figure(chart: alt.TopLevelMixin, data: pd.DataFrame) -> Figure:
    return Figure(to_chart_spec(chart), data)


def saddle(surface: str, offset: float, learning_rate: float, num_steps: int):
    """Part 1: (SaddleRun, map Figure, cost Figure)."""
    run = S.three_methods(surface, offset, learning_rate, num_steps)
    m = surface_map(surface)
    chart = CS.saddle_map(run.path, m.grid, m.directions, m.landmarks, run.start, run.spec.view,
                          m.mid, m.half_range)
    cost, data = CS.cost_chart(run.path, run.escape_step, run.law)
    return run, _figure(C.finish(chart), run.path), _figure(C.finish(cost), data)


def escape(dim: int, k: int, offset: float, learning_rate: float, num_steps: int, seed: int):
    """Part 2: (HighDim, {sweep name: Figure}) for the 'offset' and 'k' sweeps."""
    hd = S.high_dim_escape(dim, k, offset, learning_rate, num_steps, seed)
    figs = {}
    for name, title in (("offset", "start offset δ"), ("k", "negative eigenvalues k")):
        runs = hd.runs[hd.runs["sweep"] == name]
        figs[name] = _figure(C.finish(CS.escape_chart(runs, name, title)), runs)
    return hd, figs


def hessians(dim: int, seed: int):
    """Part 3a: (Spectrum, spectrum Figure, index Figure)."""
    spec = RH.spectrum(dim, seed)
    index, _ = CS.index_chart(spec.index, spec.fraction_negative)
    return (spec, _figure(C.finish(CS.spectrum_chart(spec.histogram, spec.theory)), spec.histogram),
            _figure(C.finish(index), spec.index))


def all_positive(seed: int):
    """Part 3b: (P(all positive) table, Figure)."""
    pos = RH.p_all_positive(RH.P_NMAX, RH.P_SAMPLES, seed)
    return pos, _figure(C.finish(CS.p_positive_chart(pos)), pos)


def plateaus(learning_rate: float, num_steps: int, seed: int):
    """Part 4: (Network, sweep table, modes Figure, plateau-length Figure)."""
    net = PL.train_network(learning_rate, num_steps, seed)
    sweep = PL.plateau_sweep(learning_rate, num_steps)
    return (net, sweep, _figure(C.finish(CS.modes_chart(net.curves)), net.curves),
            _figure(C.finish(CS.plateau_chart(sweep)), sweep))
