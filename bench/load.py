"""Benchmark 4: a class-sized load, N concurrent sessions against one real `streamlit run`.

Each session is a WebSocket client speaking Streamlit's protocol (bench/stclient.py): it opens
at a random moment in the first 2 s (the whole class following one link), loads its first page
(session i starts on page i mod the number of pages), then every 2 s either changes one knob of
that page by a slider step or two (80%) or moves to the next page carrying the shared knobs (20%),
for ``--duration`` seconds. A knob change is sent as the browser sends it: a
``BackMsg.rerun_script`` for the fragment that drew the knob's widget (the open part), carrying
the widget's new value; moving to another page is a full rerun with the knob values in the query
string, as in the browser's URL. The page adopts them (the client checks that the URL the page
writes back carries them). ``--full-reruns`` sends knob changes as full reruns with the new URL
too (what this benchmark measured before the parts ran in fragments). Like the browser, the
client reports the large messages it holds, so unchanged charts come back as references. If a
rerun takes longer than 2 s the next change waits for it (a student waits for the page), so an
overloaded server gets fewer requests rather than a pile of interrupted runs.

Latency is from sending rerun_script to receiving script_finished. Errors are exceptions rendered
by a page (an ``exception`` element in the ForwardMsgs), "page not found", a run that did not
finish successfully, a dropped connection or a run over 60 s. The server's peak RSS (with its
children) is sampled every 0.25 s, and /_stcore/metrics active_sessions every second.

Before the load, a verification pass (skip it with --no-verify) shows that the client really
drives the pages: for every page, the elements and charts one run sends, and whether a knob change
was adopted and changed the charts.

Prints tables; asserts nothing. Usage:
    python bench/load.py --sessions 50 --duration 60
    python bench/load.py --find-max [--start 10] [--duration 60]   # largest N with p95 <= 2 s
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stclient import (
    RssSampler,
    RunResult,
    Server,
    Session,
    default_params,
    existing_pages,
    machine,
    mb,
    nudge,
    nudgeable,
    pct,
    table,
    view_name,
    views,
)

from ui import knobs as K

PERIOD = 2.0  # seconds between a session's changes
RUN_TIMEOUT = 60.0  # a rerun slower than this counts as an error
HOLD_P95 = 2.0  # --find-max: the largest N whose interaction p95 stays under this


@dataclass
class Record:
    """One rerun in the load: what triggered it and what came back."""

    kind: str  # "first load", "knob" or "navigate"
    page: str
    result: RunResult


@dataclass
class Trial:
    """Everything one load run measured."""

    sessions: int
    duration: float
    records: list[Record] = field(default_factory=list)
    connect_errors: list[str] = field(default_factory=list)
    connected: int = 0
    peak_rss: int = 0
    held_max: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    wall: float = 0.0
    traceback: str = ""  # the first one in the server's log, when there were errors

    def latencies(self, kinds: tuple[str, ...]) -> list[float]:
        """Seconds per rerun, for the reruns of the given kinds."""
        return [r.result.latency for r in self.records if r.kind in kinds]

    @property
    def errors(self) -> list[str]:
        """Every problem: sessions that could not connect, and each rerun's problems."""
        out = list(self.connect_errors)
        for r in self.records:
            out += [f"{r.page}: {p}" for p in r.result.problems]
        return out

    @property
    def interaction_p95(self) -> float:
        """p95 latency of the reruns after each session's first page."""
        return pct(self.latencies(("knob", "navigate")), 0.95)

    def held(self) -> bool:
        """p95 of interactions under HOLD_P95, no errors, every session connected and held."""
        return (self.interaction_p95 <= HOLD_P95 and not self.errors
                and self.connected == self.sessions and self.held_max >= self.sessions)


class Student:
    """One session's knob values: the shared knobs (kept across pages) and each page's own
    (its open part included)."""

    def __init__(self, i: int, pages, follow: bool = False):
        # follow: the lecture scenario, where every student makes the lecturer's changes (the same
        # sequence of views and knob values), each a little late; otherwise each explores alone.
        self.rng = random.Random(0 if follow else i)
        self.views = [(p, part) for p in pages for part in ([x.id for x in p.parts] or [None])]
        self.at = 0 if follow else i % len(self.views)
        self.params = {p.id: default_params(p) for p in pages}
        self._open()

    @property
    def page(self):
        """The page this session is on."""
        return self.views[self.at][0]

    @property
    def part(self):
        """The part (tab) of the page this session has open, or None."""
        return self.views[self.at][1]

    def _open(self) -> None:
        if self.part:
            self.params[self.page.id]["part"] = self.part

    def query(self) -> dict[str, str]:
        """The URL parameters of the current page."""
        return dict(self.params[self.page.id])

    def act(self) -> str:
        """Change one knob of the open part (80%) or move on to the next part or page (20%). A
        shared knob's new value goes into every page's URL, as the app's menu links carry it."""
        knobs = nudgeable(self.page, self.part)
        if not knobs or self.rng.random() < 0.2:
            self.at = (self.at + 1) % len(self.views)
            self._open()
            return "navigate"
        knob = self.rng.choice(knobs)
        text = nudge(knob, self.params[self.page.id][knob.name], self.rng)
        self.turned = (knob, text, self.query())  # the knob, its new value, the URL before
        targets = self.params.values() if knob.name in K.SHARED_BY_NAME else [self.params[self.page.id]]
        for p in targets:
            p[knob.name] = text
        return "knob"


async def student(i: int, ws_url: str, pages, trial: Trial, t_end: float,
                  follow: bool = False, full_reruns: bool = False) -> None:
    """One session: open, first page, then a change every PERIOD seconds until t_end. A knob
    change is sent as a browser sends it, a rerun of the fragment that drew the knob's widget
    (the open part), unless ``full_reruns``; navigation is a full rerun."""
    loop = asyncio.get_running_loop()
    me = Student(i, pages, follow)
    await asyncio.sleep(random.Random(10_000 + i).uniform(0, PERIOD))
    try:
        async with Session(ws_url) as s:
            trial.connected += 1
            kind, due = "first load", loop.time()
            while loop.time() < t_end:
                page = me.page
                if kind == "knob" and not full_reruns and s.can_turn(me.turned[0]):
                    knob, text, before = me.turned
                    r = await s.turn(page.url_path, before, knob, text, timeout=RUN_TIMEOUT)
                else:
                    r = await s.rerun(page.url_path, me.query(), timeout=RUN_TIMEOUT)
                trial.records.append(Record(kind, page.id, r))
                if r.error:
                    return
                due += PERIOD
                await asyncio.sleep(max(0.0, due - loop.time()))
                kind = me.act()
    except Exception as e:  # refused, reset or a failed handshake: reported, not raised
        trial.connect_errors.append(f"session {i}: {type(e).__name__}: {e}")


def _poll_sessions(server: Server, trial: Trial, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            trial.held_max = max(trial.held_max, server.active_sessions())
        except OSError:
            pass


def run_load(n: int, duration: float, pages, follow: bool = False,
             full_reruns: bool = False) -> Trial:
    """N sessions for ``duration`` seconds against a fresh server."""
    trial = Trial(n, duration)
    me = psutil.Process()
    with Server() as server:
        stop = threading.Event()
        poller = threading.Thread(target=_poll_sessions, args=(server, trial, stop), daemon=True)
        cpu0, mine0 = server.cpu_seconds(), sum(me.cpu_times()[:2])
        t0 = time.perf_counter()
        with RssSampler(server) as rss:
            poller.start()

            async def main():
                t_end = asyncio.get_running_loop().time() + duration
                await asyncio.gather(*(student(i, server.ws_url, pages, trial, t_end, follow,
                                               full_reruns) for i in range(n)))

            asyncio.run(main())
            stop.set()
            poller.join()
        trial.wall = time.perf_counter() - t0
        trial.peak_rss = rss.peak
        trial.server_cpu = server.cpu_seconds() - cpu0
        trial.client_cpu = sum(me.cpu_times()[:2]) - mine0
        if trial.errors:
            trial.traceback = server.first_traceback()
    return trial


def verify(pages) -> None:
    """Show that the client drives real page runs: elements and charts per page, and a knob change
    adopted by the page and reflected in its charts."""
    rows = []
    with Server() as server:

        async def main():
            async with Session(server.ws_url, browser_cache=False) as s:
                for page, part in [v for v in views() if v[0] in pages]:
                    base = default_params(page, part)
                    a = await s.rerun(page.url_path, base)
                    knobs = nudgeable(page, part)
                    if not knobs:
                        rows.append([view_name(page, part), sum(a.elements.values()),
                                     a.elements["vega_lite_chart"], "-", "-", "-",
                                     "; ".join(a.problems) or "none"])
                        continue
                    knob = knobs[0]
                    changed = dict(base, **{knob.name: nudge(knob, base[knob.name], random.Random(1), 1)})
                    b = await s.rerun(page.url_path, changed)
                    rows.append([view_name(page, part), sum(a.elements.values()),
                                 a.elements["vega_lite_chart"],
                                 f"{knob.name} {base[knob.name]}->{changed[knob.name]}",
                                 "yes" if b.adopted() else "NO",
                                 "no charts" if not a.elements["vega_lite_chart"] else
                                 "yes" if a.chart_digest != b.chart_digest else "no",
                                 "; ".join(a.problems + b.problems) or "none"])

        asyncio.run(main())
    print(table(["page", "elements", "charts", "knob change", "adopted", "charts changed",
                 "problems"], rows))
    print()


def print_trial(t: Trial) -> None:
    """The headline row and the per-page breakdown of one load run."""
    first, inter = t.latencies(("first load",)), t.latencies(("knob", "navigate"))
    print(table(
        ["sessions", "reruns", "reruns/s", "first load p50/p95 s", "p50 s", "p95 s", "max s",
         "errors", "not adopted", "peak RSS", "held (max)", "server CPU s/rerun",
         "client CPU s"],
        [[t.sessions, len(t.records), f"{len(t.records) / t.wall:.1f}",
          f"{pct(first, .5):.2f} / {pct(first, .95):.2f}", f"{pct(inter, .5):.2f}",
          f"{pct(inter, .95):.2f}", f"{max(inter, default=float('nan')):.2f}", len(t.errors),
          sum(not r.result.adopted() for r in t.records), mb(t.peak_rss),
          f"{t.held_max}/{t.sessions}", f"{t.server_cpu / max(1, len(t.records)):.2f}",
          f"{t.client_cpu:.0f}"]]))
    by_page = defaultdict(list)
    for r in t.records:
        by_page[r.page].append(r)
    rows = []
    for page, recs in by_page.items():
        lat = [r.result.latency for r in recs if r.kind != "first load"]
        res = [r.result for r in recs]
        rows.append([page, len(recs), f"{pct(lat, .5):.2f}", f"{pct(lat, .95):.2f}",
                     f"{max(lat, default=float('nan')):.2f}",
                     f"{sum(sum(r.elements.values()) for r in res) / len(res):.0f}",
                     f"{sum(r.elements['vega_lite_chart'] for r in res) / len(res):.1f}",
                     len({r.chart_digest for r in res}),
                     f"{sum(r.nbytes for r in res) / len(res) / 1024:.0f}",
                     sum(len(r.problems) for r in res)])
    print()
    print(table(["page", "reruns", "p50 s", "p95 s", "max s", "elements/run", "charts/run",
                 "distinct chart sets", "KB/run", "errors"], rows))
    for e in sorted(set(t.errors))[:10]:
        print("  error:", e)
    for r in [r for r in t.records if not r.result.adopted()][:5]:
        back = dict(urllib.parse.parse_qsl(r.result.query_string))
        print(f"  not adopted ({r.page}, {r.kind}):", ", ".join(
            f"sent {k}={v}, page wrote {back.get(k)}" for k, v in r.result.sent.items()
            if k in back and back[k] != v))
    if t.traceback:
        print("\nfirst traceback in the server's log:\n" + t.traceback)


def find_max(start: int, duration: float, pages, limit: int, follow: bool = False,
             full_reruns: bool = False) -> None:
    """Double N from ``start`` until a run fails to hold, then bisect to within 10%."""
    good, bad, n, rows = 0, None, start, []

    def trial(n):
        t = run_load(n, duration, pages, follow, full_reruns)
        rows.append([n, f"{t.interaction_p95:.2f}", len(t.errors), f"{t.held_max}/{n}",
                     mb(t.peak_rss), "yes" if t.held() else "no"])
        print(f"  N={n}: interaction p95 {t.interaction_p95:.2f} s, {len(t.errors)} errors, "
              f"held {t.held_max}/{n}, peak RSS {mb(t.peak_rss)}", flush=True)
        return t.held()

    while bad is None and n <= limit:
        if trial(n):
            good, n = n, n * 2
        else:
            bad = n
    while bad is not None and bad - good > max(2, good // 10):
        mid = (good + bad) // 2
        if trial(mid):
            good = mid
        else:
            bad = mid
    print()
    print(table(["sessions", "interaction p95 s", "errors", "held", "peak RSS", "held?"], rows))
    print(f"\nlargest N that held (p95 <= {HOLD_P95:.0f} s, no errors, all sessions held, "
          f"{duration:.0f} s each): {good}" + (" (the --limit was reached)" if bad is None else ""))


def main() -> None:
    """Parse the arguments and run the verification, the load or the search."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60, help="seconds of load per run")
    ap.add_argument("--find-max", action="store_true", help="search the largest N that holds")
    ap.add_argument("--start", type=int, default=10, help="--find-max: first N")
    ap.add_argument("--limit", type=int, default=640, help="--find-max: largest N tried")
    ap.add_argument("--no-verify", action="store_true", help="skip the verification pass")
    ap.add_argument("--scenario", choices=("explore", "lecture"), default="explore",
                    help="explore: each student changes knobs at random (mostly new values, "
                         "cold caches); lecture: every student makes the lecturer's changes, "
                         "within 2 s of each other (shared caches)")
    ap.add_argument("--full-reruns", action="store_true",
                    help="send every knob change as a full rerun with the new URL (as before the "
                         "parts ran in fragments) instead of a fragment rerun, as a browser does")
    args = ap.parse_args()
    pages = existing_pages()
    print(machine())
    print(f"# pages: {', '.join(p.id for p in pages)}; a change every {PERIOD:.0f} s per session; "
          f"latency = rerun_script sent to script_finished received", flush=True)
    if not args.no_verify:
        verify(pages)
    print(f"# scenario: {args.scenario}; knob changes sent as "
          f"{'full reruns' if args.full_reruns else 'fragment reruns (as a browser does)'}",
          flush=True)
    follow = args.scenario == "lecture"
    if args.find_max:
        find_max(args.start, args.duration, pages, args.limit, follow, args.full_reruns)
    else:
        print_trial(run_load(args.sessions, args.duration, pages, follow, args.full_reruns))


if __name__ == "__main__":
    main()
