"""Core computations next to other sessions' Python: in the server's process, and in a worker.

numpy releases the GIL inside every ufunc loop over more than 500 elements and inside BLAS. A
training loop of thousands of such calls must win the GIL back after each one, and while another
thread is running Python each win waits up to the switch interval (5 ms): the computation
crawls. In a server, the other threads are the other sessions' scripts. ui/workers.py sends core
computations to a worker process instead; this benchmark shows why, with a few core calls timed

- alone, in this process (the worker off: what a single user sees);
- in this process while N threads run pure Python (what a class's server did before);
- through the worker while the same N threads run (what the server does now).

The computations are shortened (fewer steps) so that the in-process rows finish in seconds.
Prints a table; asserts nothing. Usage: python bench/convoy.py [--busy 1,2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from stclient import machine  # noqa: E402

from core import edge_of_stability as eos  # noqa: E402
from core import local_minima as lm  # noqa: E402
from core import long_term as lt  # noqa: E402
from ui import workers  # noqa: E402

CALLS = [  # (label, function, arguments): a fifth of the defaults' steps, or the defaults
    ("local_minima.restarts, 200 steps", lm.restarts, dict(num_steps=200)),
    ("edge_of_stability.train, 300 steps", eos.train, dict(num_steps=300)),
    ("long_term.recurrent_products (defaults)", lt.recurrent_products, {}),
]


def busy(stop: threading.Event) -> None:
    """Pure Python, as a session's script building its page."""
    while not stop.is_set():
        sum(i * i for i in range(2000))


def timed(fn, kwargs, threads: int, via_worker: bool, repeats: int) -> float:
    """Median seconds of ``fn(**kwargs)`` with ``threads`` busy threads running."""
    stop = threading.Event()
    others = [threading.Thread(target=busy, args=(stop,), daemon=True) for _ in range(threads)]
    for t in others:
        t.start()
    times = []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            workers.run(fn, **kwargs) if via_worker else fn(**kwargs)
            times.append(time.perf_counter() - start)
    finally:
        stop.set()
        for t in others:
            t.join()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--busy", default="1,2", help="numbers of busy threads to try (comma-separated)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--switch-ms", type=float, default=None,
                    help="the interpreter's switch interval (default: as the server sets it)")
    args = ap.parse_args()
    if args.switch_ms is not None:
        sys.setswitchinterval(args.switch_ms / 1000)
    counts = [int(n) for n in args.busy.split(",") if n]
    print(machine() + f" · switch interval {sys.getswitchinterval() * 1000:g} ms")
    if not workers.ready(timeout=120):
        sys.exit("no worker started (is EXPLORER_WORKERS=0 set?)")
    cols = ["alone"] + [f"{n} busy, in process" for n in counts] + [f"{n} busy, worker" for n in counts]
    print(f"{'computation':<42}" + "".join(f"{c:>20}" for c in cols))
    for label, fn, kwargs in CALLS:
        fn(**kwargs)  # imports and first-call costs, out of the clock
        row = [timed(fn, kwargs, 0, False, args.repeats)]
        row += [timed(fn, kwargs, n, False, args.repeats) for n in counts]
        row += [timed(fn, kwargs, n, True, args.repeats) for n in counts]
        print(f"{label:<42}" + "".join(f"{1000 * t:>18.0f}ms" for t in row), flush=True)


if __name__ == "__main__":
    main()
