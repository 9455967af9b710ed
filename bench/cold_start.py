"""Benchmark 3: cold start, from `streamlit run` to the first page fully rendered in a browser.

For each page asked for and each repetition: a new `streamlit run app.py` process is spawned (the
clock starts just before the spawn); /_stcore/health is polled every 50 ms; as soon as it says ok,
a fresh Chromium context (no browser cache) opens the page by deep link, and the clock stops when
the script is idle, no skeleton is left and every chart on the page has drawn its SVG. Chromium
itself is launched once, before any clock starts: a student's browser is already running.

The first visitor after a start pays for everything: Python imports, the server's start-up, the
first script run with empty caches, the frontend's static files and the first Vega render.

Prints a table; asserts nothing. Usage:
    python bench/cold_start.py [--repeats N] [--pages home,ill_conditioning]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stclient import Server, existing_pages, machine, table

from tests.browser import CHROMIUM, CHROMIUM_ARGS, wait_for_app
from ui.pages import BY_ID

# Every chart container holds a drawn SVG (marks inside, not just the empty element).
CHARTS_DRAWN = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
    .every(c => c.querySelector("svg g, canvas"))"""


def one_start(browser, page_info) -> tuple[float, float]:
    """Start a server, open the page; (seconds to healthy, seconds to fully rendered)."""
    server = Server(wait=False)
    try:
        healthy = server.wait_healthy(poll=0.05)
        # tall enough that every chart is on screen (charts far below the fold may not draw)
        ctx = browser.new_context(viewport={"width": 1400, "height": 6000})
        page = ctx.new_page()
        page.goto(f"{server.url}/{page_info.url_path}")
        wait_for_app(page, timeout=300_000)
        if page_info.id not in ("home", "lecture_tour"):
            page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=300_000)
        page.wait_for_function(CHARTS_DRAWN, timeout=300_000)
        rendered = time.perf_counter() - server.started
        if page.get_by_test_id("stException").count():
            print(f"  note: {page_info.id} rendered an exception", flush=True)
        ctx.close()
        return healthy, rendered
    finally:
        server.stop()


def main() -> None:
    """Parse the arguments, launch Chromium, start servers, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pages", default="home,ill_conditioning",
                    help="comma-separated page ids (see ui/pages.py)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    present = {p.id for p in existing_pages()}
    pages = [BY_ID[i] for i in args.pages.split(",") if i in present]
    print(machine())
    print("# seconds from spawning `streamlit run` to /_stcore/health ok, and to the deep-linked "
          "page fully rendered", flush=True)
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for info in pages:
            healthy, rendered = [], []
            for _ in range(args.repeats):
                h, r = one_start(browser, info)
                healthy.append(h)
                rendered.append(r)
                print(f"  {info.id}: healthy {h:.2f} s, rendered {r:.2f} s", flush=True)
            rows.append([f"/{info.url_path}", args.repeats, f"{statistics.median(healthy):.2f}",
                         f"{statistics.median(rendered):.2f}", f"{min(rendered):.2f}",
                         f"{max(rendered):.2f}"])
        browser.close()
    print()
    print(table(["page (deep link)", "starts", "healthy median s", "rendered median s",
                 "rendered min s", "rendered max s"], rows))


if __name__ == "__main__":
    main()
