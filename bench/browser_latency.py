"""Benchmark 2: interaction latency in a real browser, next to the floor of Streamlit's round trip.

For every page with a chart, Chromium (Playwright, headless, Debian's /usr/bin/chromium) opens the
page at its defaults, focuses one slider (the learning rate where the page shows it) and presses
ArrowRight ``--presses`` times, then ArrowLeft as many times. Each press is timed inside the page,
from the keydown event to the moment the script is idle again (``stApp`` back at
``data-test-script-state="notRunning"``) *and* a chart's SVG has changed and stopped changing
(the quiet period that proves it is not excluded from the time). Presses to the right reach values
this server has never computed (cold cache); presses back to the left revisit them (warm cache).

The same measurement runs first on bench/floor_app.py (one slider, one 20-point chart), served by
a second `streamlit run` in the same run: that is the floor. The issue's target is a page's warm
median within 2x the floor's. A second floor, floor_app.py?grammar=1, redraws the elements of a
typical part (knobs, menu links, share link, metrics, two small charts, captions, downloads) with
no computation: a second ratio column compares each part with it, which separates what Streamlit's
browser side charges for a part's elements from what the explorer's own code adds.

A second table splits each warm press into phases, from WebSocket timestamps taken in the page
(a wrapper around the page's WebSocket records when each frame is sent and received): keydown to
the rerun request sent, to the server's first reply, to the script shown as running, to the
server's last message, to the script idle, and the number of messages. The server's share is the
gap from the request to its first reply (and between messages, while the script runs); the rest
is the browser's own work (React rendering each message, style and layout, Vega).

Prints two tables; asserts nothing. Usage:
    python bench/browser_latency.py [--presses N] [--pages id,id,...] [--knob depth]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stclient import Server, machine, nudgeable, table, view_name, views

from tests.browser import CHROMIUM, CHROMIUM_ARGS, wait_for_app
from ui import knobs as K

GRAMMAR_FLOOR = "floor at a part's size"  # floor_app.py?grammar=1: a part's elements, no computation
QUIET_MS = 300  # a chart counts as redrawn once its SVG has not changed for this long
NO_CHANGE_MS = 5000  # after the script is idle, give up waiting for a chart change

# Installed before the page loads: every WebSocket frame's time, sent or received.
WS_LOG = """(() => { const W = window.WebSocket; window.__ws = [];
  function Logged(...a) { const ws = new W(...a); const send = ws.send.bind(ws);
    ws.send = d => { window.__ws.push(["send", performance.now()]); return send(d); };
    ws.addEventListener("message", () => window.__ws.push(["recv", performance.now()]));
    return ws; }
  Logged.prototype = W.prototype; Object.assign(Logged, W); window.WebSocket = Logged; })();"""

# Installed before each press: records the keydown, the script state and chart mutations.
ARM = """() => {
  if (window.__ws) window.__ws.length = 0;
  const app = document.querySelector("[data-testid='stApp']");
  const charts = () => [...document.querySelectorAll("[data-testid='stVegaLiteChart'] svg")]
      .map(s => s.innerHTML);
  if (window.__bench && window.__bench.observer) window.__bench.observer.disconnect();
  const B = {t0: null, running: null, idle: null, lastChart: null, before: charts()};
  B.changed = () => { const now = charts();
      return now.length !== B.before.length || now.some((h, i) => h !== B.before[i]); };
  window.addEventListener("keydown", () => { if (B.t0 === null) B.t0 = performance.now(); },
                          {capture: true, once: true});
  B.observer = new MutationObserver(muts => {
    const now = performance.now();
    if (B.t0 === null) return;
    for (const m of muts) {
      if (m.target === app && m.attributeName === "data-test-script-state") {
        const s = app.getAttribute("data-test-script-state");
        if (s === "running") B.running = now;
        else if (s === "notRunning" && B.running !== null) B.idle = now;
      } else {
        const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
        if (el && el.closest("[data-testid='stVegaLiteChart']")) B.lastChart = now;
      }
    }
  });
  B.observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                     characterData: true});
  window.__bench = B;
}"""

# Polled after the press: true once the script is idle and the chart redrawn and quiet.
DONE = f"""() => {{
  const B = window.__bench, now = performance.now();
  const app = document.querySelector("[data-testid='stApp']");
  if (B.t0 === null || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const end = Math.max(B.idle ?? 0, B.lastChart ?? 0);
  if (B.lastChart !== null && B.changed()) return now - end > {QUIET_MS};
  return B.idle !== null && now - B.idle > {NO_CHANGE_MS};
}}"""

RESULT = """() => { const B = window.__bench; B.observer.disconnect();
  const ws = window.__ws || [], t = x => x === undefined ? null : x[1] - B.t0;
  const sent = ws.find(x => x[0] === "send" && x[1] >= B.t0);
  const got = sent ? ws.filter(x => x[0] === "recv" && x[1] >= sent[1] && x[1] <= (B.idle ?? 1e12)) : [];
  return {ms: Math.max(B.idle ?? 0, B.lastChart ?? 0) - B.t0, changed: B.changed(),
          sawRun: B.running !== null,
          phases: {sent: t(sent), first: t(got[0]), running: B.running === null ? null : B.running - B.t0,
                   last: t(got[got.length - 1]), idle: B.idle === null ? null : B.idle - B.t0,
                   chart: B.lastChart === null ? null : B.lastChart - B.t0, messages: got.length}}; }"""
PHASES = ("sent", "first", "running", "last", "idle", "chart", "messages")


def slider_knob(page, part=None, prefer: str = "lr") -> K.Knob | None:
    """The knob to turn on a page: ``prefer`` (the learning rate by default) if the part shows it
    as a slider, else its first slider."""
    shown = nudgeable(page, part)
    sliders = [k for k in shown if k.kind in ("grid", "int", "float") and k.name != "seed"]
    chosen = [k for k in sliders if k.name == prefer]
    return (chosen or sliders or [None])[0]


def time_presses(browser, url: str, slider_name: str, presses: int
                 ) -> tuple[list, list, int, dict[str, list]]:
    """Open ``url``, then time ``presses`` ArrowRight presses on the slider and as many ArrowLeft
    presses back: (right-press seconds, left-press seconds, presses whose chart did not change,
    the left presses' phases: name -> values in ms, see PHASES)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = ctx.new_page()
    page.add_init_script(WS_LOG)
    try:
        page.goto(url)
        wait_for_app(page)
        page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=120_000)
        page.wait_for_timeout(1000)  # let the first Vega render settle
        # The accessible name repeats the label (input and group), so match its start.
        slider = page.get_by_role("slider", name=re.compile("^" + re.escape(slider_name))).first
        slider.focus()
        out = {"ArrowRight": [], "ArrowLeft": []}
        phases = {k: [] for k in PHASES}
        unchanged = 0
        for key in ["ArrowRight"] * presses + ["ArrowLeft"] * presses:
            page.evaluate(ARM)
            page.keyboard.press(key)
            page.wait_for_function(DONE, timeout=300_000, polling=20)
            r = page.evaluate(RESULT)
            unchanged += not r["changed"]
            out[key].append(r["ms"] / 1000)
            if key == "ArrowLeft":
                for k in PHASES:
                    if r["phases"][k] is not None:
                        phases[k].append(r["phases"][k])
        return out["ArrowRight"], out["ArrowLeft"], unchanged, phases
    finally:
        ctx.close()


def main() -> None:
    """Parse the arguments, start both servers and Chromium, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--presses", type=int, default=4, help="presses each way per page")
    ap.add_argument("--pages", default="", help="comma-separated page ids (default: all with charts)")
    ap.add_argument("--knob", default="lr", help="the knob to turn where a part shows it as a slider "
                    "(default lr; elsewhere the part's first slider)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    wanted = set(filter(None, args.pages.split(",")))
    where = [(p, part) for p, part in views() if p.id not in ("home", "lecture_tour")
             and (not wanted or p.id in wanted) and slider_knob(p, part, args.knob)]
    print(machine())
    print(f"# {args.presses} presses right (new values: cold cache) then {args.presses} back "
          f"(warm cache); seconds from keydown to idle script and redrawn chart", flush=True)
    rows, phase_rows = [], []
    with Server() as app, Server("bench/floor_app.py") as floor, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        targets = [("floor (1 slider)", f"{floor.url}/", "value", "Value"),
                   (GRAMMAR_FLOOR, f"{floor.url}/?grammar=1", "value", "Value")]
        targets += [(view_name(p, part), f"{app.url}/{p.url_path}?part={part}" if part else
                     f"{app.url}/{p.url_path}", slider_knob(p, part, args.knob).name,
                     slider_knob(p, part, args.knob).label)
                    for p, part in where]
        # The first page a fresh Chromium opens also pays for compiling Streamlit's scripts, and
        # the floor is timed first: open it once, untimed, so that every row starts warm.
        time_presses(browser, targets[0][1], targets[0][3], 2)
        floor_warm = grammar_warm = None
        for name, url, knob, label in targets:
            cold, warm, unchanged, phases = time_presses(browser, url, label, args.presses)
            phase_rows.append([name] + [f"{statistics.median(phases[k]):.0f}" if phases[k] else "-"
                                        for k in PHASES])
            med_c, med_w = statistics.median(cold), statistics.median(warm)
            floor_warm = floor_warm or med_w
            if name == GRAMMAR_FLOOR:
                grammar_warm = med_w
            rows.append([name, knob, f"{med_c:.2f}", f"{max(cold):.2f}", f"{med_w:.2f}",
                         f"{max(warm):.2f}", f"{med_w / floor_warm:.1f}x",
                         f"{med_w / grammar_warm:.1f}x" if grammar_warm else "-", unchanged])
            print(f"  {name}: cold {med_c:.2f} s, warm {med_w:.2f} s", flush=True)
        browser.close()
    print()
    print(table(["page/part", "knob", "cold median s", "cold max s", "warm median s", "warm max s",
                 "warm / floor", "warm / part-size floor", "no chart change"], rows))
    print()
    print("# Warm presses split into phases: median ms from the keydown to each event")
    print(table(["page/part", "request sent", "first reply", "shown running", "last message",
                 "script idle", "chart redrawn", "messages"], phase_rows))


if __name__ == "__main__":
    main()
