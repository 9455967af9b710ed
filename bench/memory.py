"""Memory: 2,000 distinct knob settings through one server, its RSS printed every 250 settings.

The settings are drawn once, reproducibly: each is a page with knobs (in turn) and one to three of
its knobs moved one to four slider steps from the default, plus a random seed on half of the runs
of pages that use one; duplicates are dropped, so every setting is new to the server. ``--sessions``
WebSocket sessions (bench/stclient.py) work through the list together. Every ``--every`` settings
the table gets a row: the server's RSS with its children, the bytes st.cache_data reports holding
and the evictions it has made (both from /_stcore/metrics). If every cache is bounded
(``max_entries``), RSS climbs while the caches fill and then flattens; a steady climb to the end
means something grows per setting.

CPython and glibc seldom give freed memory back to the OS, so RSS is a high-water mark: a plateau
is the sign of bounded caches, not a fall.

Prints a table; asserts nothing. Usage:
    python bench/memory.py [--settings 2000] [--every 250] [--sessions 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stclient import (
    Server,
    Session,
    default_params,
    machine,
    mb,
    nudge,
    nudgeable,
    table,
    views,
)

from ui import knobs as K


def distinct_settings(n: int, seed: int = 0) -> list[tuple]:
    """n distinct (page, URL params) pairs near the defaults, pages and parts taken in turn."""
    rng = random.Random(seed)
    where = [(p, part) for p, part in views() if nudgeable(p, part)]
    seen, out, tries = set(), [], 0
    while len(out) < n and tries < 50 * n:
        page, part = where[tries % len(where)]
        tries += 1
        params = default_params(page, part)
        knobs = nudgeable(page, part)
        for knob in rng.sample(knobs, k=min(len(knobs), rng.randint(1, 3))):
            params[knob.name] = nudge(knob, params[knob.name], rng, max_steps=4)
        if "seed" in page.shared and rng.random() < 0.5:
            params["seed"] = nudge(K.SEED, params["seed"], rng)
        key = (page.id, tuple(sorted(params.items())))
        if key not in seen:
            seen.add(key)
            out.append((page, params))
    return out


def cache_figures(server: Server) -> tuple[int, int]:
    """(bytes st.cache_data reports holding, evictions so far) from /_stcore/metrics."""
    m = server.metrics("cache_memory_bytes", "cache_evictions_total")
    held = sum(v for k, v in m.items() if k.startswith("cache_memory_bytes"))
    evicted = sum(v for k, v in m.items() if k.startswith("cache_evictions_total"))
    return int(held), int(evicted)


def main() -> None:
    """Parse the arguments, start the server, run the settings and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--settings", type=int, default=2000)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--sessions", type=int, default=2, help="concurrent WebSocket sessions")
    args = ap.parse_args()
    settings = distinct_settings(args.settings)
    print(machine())
    print(f"# {len(settings)} distinct settings over {len({p.id for p, _ in settings})} pages, "
          f"{args.sessions} sessions", flush=True)
    rows, problems = [], []
    with Server() as server:
        t0 = time.perf_counter()
        base = server.rss()

        def row(done: int) -> None:
            held, evicted = cache_figures(server)
            rss = server.rss()
            rows.append([done, mb(rss), f"{(rss - base) / 2**20:+.1f} MB", mb(held), evicted,
                         len(problems), f"{time.perf_counter() - t0:.0f}"])
            print(f"  {done}: RSS {mb(rss)}, caches {mb(held)}, {evicted} evictions", flush=True)

        row(0)
        queue = list(reversed(settings))
        done = 0

        async def worker():
            nonlocal done
            async with Session(server.ws_url) as s:
                while queue:
                    page, params = queue.pop()
                    r = await s.rerun(page.url_path, params, timeout=600)
                    problems.extend(f"{page.id}: {p}" for p in r.problems)
                    done += 1
                    if done % args.every == 0 or done == len(settings):
                        await asyncio.to_thread(row, done)

        async def main_():
            await asyncio.gather(*(worker() for _ in range(args.sessions)))

        asyncio.run(main_())
    print()
    print(table(["settings done", "server RSS", "since start", "st.cache_data holds", "evictions",
                 "problems", "elapsed s"], rows))
    for p in sorted(set(problems))[:10]:
        print("  problem:", p)


if __name__ == "__main__":
    main()
