"""Rerun time per page and part, in process with AppTest: cold (caches cleared) and warm (same session).

Prints a table; it asserts nothing.
Usage: python bench/rerun.py [--repeats N] [--expensive] [--only local_minima/wider,cliffs]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import streamlit as st  # noqa: E402
from stclient import machine  # noqa: E402  (bench/, on the path above)
from streamlit.testing.v1 import AppTest  # noqa: E402

from ui import knobs as K  # noqa: E402
from ui import workers  # noqa: E402
from ui.pages import PAGES  # noqa: E402


def most_expensive(page) -> dict[str, str]:
    """Every numeric knob of the page at its largest value (the costliest setting)."""
    out = {}
    for knob in [K.SHARED_BY_NAME[n] for n in page.shared] + list(page.knobs):
        if knob.name in ("dim", "depth", "steps", "restarts", "batch") or (
                knob.kind == "grid" and knob.name in ("kappa",)):
            out[knob.name] = K.encode(knob, knob.bounds()[1])
    return out


def components():
    """Streamlit's registry of installed v2 components, scanned once per process.

    AppTest scans every installed distribution's metadata for component manifests the first time
    each AppTest instance runs (about 50 ms here with the dev dependencies installed). A real
    server does that scan once, at start-up (bench/cold_start.py times it), not on a session's
    first run, so the bench hands every AppTest the same scanned registry and leaves the scan
    out of the cold time.
    """
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def time_page(page, params, repeats, registry=None):
    cold, warm = [], []
    for _ in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()  # the shared chart specs too: cold means nothing cached
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        if registry is not None:
            at._bidi_component_manager = registry  # AppTest's private slot for it (streamlit 1.67)
        at.query_params.update(params)
        if page.file != "app.py":
            at.switch_page(page.file)
        t = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t)
        assert not at.exception, at.exception
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    return cold, warm


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--expensive", action="store_true", help="also time the costliest knob settings")
    ap.add_argument("--only", default="", help="comma-separated pages or page/part views to time "
                    "(e.g. local_minima/wider,cliffs); default: all")
    args = ap.parse_args()
    only = {v for v in args.only.split(",") if v}
    print(machine())
    registry = components() if hasattr(AppTest.from_file(str(ROOT / "app.py")),
                                       "_bidi_component_manager") else None
    if registry is None:
        print("# this Streamlit has no AppTest._bidi_component_manager: cold times include "
              "AppTest's scan of installed packages")
    where = ("in a worker process" if workers.ready(timeout=120)
             else "in this process (EXPLORER_WORKERS=0, or no worker started)")
    print(f"# core computations run {where}, as in the server (ui/workers.py)")
    print(f"{'page/part':<32} {'setting':<10} {'cold median':>12} {'cold p95':>9} "
          f"{'warm median':>12} {'warm p95':>9}")
    for page in [p for p in PAGES if p.exists()]:
        for part in [x.id for x in page.parts] or [None]:
            view = f"{page.id}/{part}" if part else page.id
            if only and view not in only and page.id not in only:
                continue
            at_part = {"part": part} if part else {}
            settings = [("defaults", at_part)] + (
                [("expensive", most_expensive(page) | at_part)] if args.expensive else [])
            for name, params in settings:
                repeats = args.repeats if name == "defaults" else max(2, args.repeats // 3)
                cold, warm = time_page(page, params, repeats, registry)
                print(f"{view:<32} {name:<10} {statistics.median(cold)*1000:>10.0f}ms "
                      f"{pct(cold, .95)*1000:>7.0f}ms {statistics.median(warm)*1000:>10.0f}ms "
                      f"{pct(warm, .95)*1000:>7.0f}ms", flush=True)


if __name__ == "__main__":
    main()
