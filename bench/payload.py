"""Benchmark 5: payload, the bytes each page sends per rerun and the rows in its largest chart.

For every page, at its defaults and at its most expensive settings (every size-like knob at its
maximum, the rule of bench/rerun.py), a fresh WebSocket session (bench/stclient.py) asks for one
run and adds up the serialized size of every ForwardMsg the server sends until script_finished.
That is the first-visit payload: the client reports no cached messages. The rows of each chart are
read from its Vega-Lite proto (the Arrow datasets plus any inline values).

A second column shows what a returning browser gets: the same session nudges one knob and reports
the messages it already holds (as the browser does), so unchanged large elements come back as
short references. The issue's targets: under 1 MB per rerun and under 5,000 rows per chart.

Two more columns say what a rerun costs the server: its CPU seconds (psutil, the server alone
is running) for the first visit (empty caches) and for the same URL run again (warm caches: what
is left is building, validating and serializing the page's elements). Under a class-sized load
the server can finish at most (cores / CPU seconds per rerun) reruns a second, fewer with the GIL.

Prints a table; asserts nothing. Usage:
    python bench/payload.py [--no-expensive]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stclient import (
    Server,
    Session,
    default_params,
    existing_pages,
    machine,
    most_expensive,
    nudge,
    nudgeable,
    table,
    view_name,
    views,
)


def kb(nbytes: float) -> str:
    """Bytes as KB, no decimals."""
    return f"{nbytes / 1024:.0f}"


async def measure(server: Server, page, part, params: dict[str, str]) -> list:
    """One table row, its last item the list of problems: a first visit with ``params``, then
    one knob nudged by a browser with its cache; the server's CPU seconds for the first visit and
    for the same page once more (its caches warm), each the only run on the server at the time."""
    async with Session(server.ws_url, browser_cache=True, count_rows=True) as s:
        cpu = server.cpu_seconds()
        first = await s.rerun(page.url_path, params, timeout=900)
        cpu_first, cpu = server.cpu_seconds() - cpu, server.cpu_seconds()
        warm = await s.rerun(page.url_path, params, timeout=900)
        cpu_warm = server.cpu_seconds() - cpu
        knobs = nudgeable(page, part)
        again = None
        if knobs:
            knob = knobs[0]
            changed = dict(params, **{knob.name: nudge(knob, params[knob.name], random.Random(1), 1)})
            again = await s.rerun(page.url_path, changed, timeout=900)
    rows = first.chart_rows
    problems = first.problems + warm.problems + (again.problems if again else [])
    return [kb(first.nbytes), first.nmsgs, kb(first.largest_msg), len(rows), max(rows, default=0),
            sum(rows), kb(again.nbytes) if again else "-", f"{cpu_first:.2f}", f"{cpu_warm:.2f}",
            problems]


def main() -> None:
    """Parse the arguments, start the server, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-expensive", action="store_true", help="only the defaults")
    args = ap.parse_args()
    print(machine())
    print("# KB = sum of serialized ForwardMsg sizes for one rerun (uncompressed); rows = rows in "
          "the chart's data", flush=True)
    rows, notes = [], []
    with Server() as server:
        for page, part in views():
            view = view_name(page, part)
            settings = [("defaults", default_params(page, part))]
            if not args.no_expensive and most_expensive(page, part) != default_params(page, part):
                settings.append(("expensive", most_expensive(page, part)))
            for name, params in settings:
                *row, problems = asyncio.run(measure(server, page, part, params))
                rows.append([view, name, *row, len(problems)])
                notes += [f"{view} {name}: {p}" for p in problems]
                print(f"  {view} {name}: {row[0]} KB, largest chart {row[4]} rows", flush=True)
    print()
    print(table(["page/part", "setting", "KB first visit", "messages", "largest msg KB", "charts",
                 "largest chart rows", "all chart rows", "KB knob change (cached)",
                 "server CPU s first", "server CPU s again", "problems"], rows))
    for n in notes:
        print("  problem:", n)
    if not args.no_expensive:
        print("\nexpensive = " + "; ".join(
            f"{p.id}: " + ", ".join(f"{k}={v}" for k, v in most_expensive(p).items()
                                    if default_params(p)[k] != v)
            for p in existing_pages() if most_expensive(p) != default_params(p)))


if __name__ == "__main__":
    main()
