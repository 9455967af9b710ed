"""Core computations run in a worker process, away from the server's interpreter.

Why: numpy releases the GIL inside every ufunc loop over more than 500 elements and inside BLAS.
A training loop makes thousands of such calls, and after each one it must win the GIL back;
while another session's script is running Python, every win waits for the interpreter's switch
interval. Measured on this project's 2-core machine (bench/convoy.py, switch interval 5 ms):
200 steps of the local minima restarts take 27 ms alone and 7.6 s next to one busy Python
thread; 300 steps of the Fig 8.1 network 26 ms alone and 8.9 s. In a class, some session is
always running Python.

A worker process has its own interpreter: the computation runs at full speed on the second core,
and the session's thread only sends the call and waits for the answer on a pipe. Results are the
same: the worker runs the same core function on the same arguments, with one BLAS thread too
(it imports ``ui``, which sets that). The calling thread talks to the worker itself (no helper
threads), because every hand-over between threads costs a contended GIL acquisition under load.

Only functions of ``core/`` are sent, by reference (the worker imports their module), so a test
that spies on a core function by wrapping it still sees its calls. ``EXPLORER_WORKERS`` sets the
number of workers (default 1; 0 computes everything in the server's process). Until a worker has
started and imported the core, when it dies, and for arguments that cannot be pickled,
computations run in process; after a worker died, new ones start at the next computation, at
most once every RETRY seconds. A worker is a fresh ``python -m ui.workers`` talking over two
pipes, not a multiprocessing child: a fork of the threaded server is unsafe, and "spawn" would
import the parent's main module, which during a script run is the page script itself.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"
MAX_WORKERS = 4
RETRY = 30.0  # seconds between starts of new workers after one died

counts = {"worker": 0, "in process": 0}  # computations, by where they ran (read by tests)
_lock = threading.Lock()
_pool: Pool | None = None
_died_at = -RETRY  # time.monotonic() when a worker was last found dead


def num_workers() -> int:
    """Workers from ``EXPLORER_WORKERS`` (default 1; 0 = none; at most MAX_WORKERS; anything
    that is not a whole number gives the default)."""
    try:
        n = int(os.environ.get("EXPLORER_WORKERS", "1"))
    except ValueError:
        n = 1
    return min(max(n, 0), MAX_WORKERS)


def sendable(fn) -> bool:
    """Whether ``fn`` is a function of core/ that a worker can import by its name (not a
    wrapper, a lambda or a function of a test)."""
    code = getattr(fn, "__code__", None)
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    return (code is not None and Path(code.co_filename).resolve().parent == CORE
            and getattr(module, getattr(fn, "__qualname__", ""), None) is fn)


def _code_stamp() -> int:
    """The newest modification time of core/'s modules: a worker started before it runs old code."""
    return max((p.stat().st_mtime_ns for p in CORE.glob("*.py")), default=0)


def import_core() -> int:
    """Import every core module (numpy, pandas) and return the process id: a worker does this
    before its first job, so that the first computation does not pay for it."""
    import ui  # noqa: F401  (one BLAS thread, as in the server)

    for path in sorted(CORE.glob("*.py")):
        importlib.import_module("core" if path.stem == "__init__" else f"core.{path.stem}")
    return os.getpid()


def serve(calls: Connection, answers: Connection) -> None:
    """A worker's loop: import the core, say so, then answer each (fn, args, kwargs) with
    (True, result) or (False, exception) until the server closes its end."""
    answers.send(import_core())
    while True:
        try:
            fn, args, kwargs = calls.recv()
        except EOFError:
            return
        except Exception as e:  # an argument that does not unpickle here
            answers.send((False, e))
            continue
        try:
            answer = (True, fn(*args, **kwargs))
        except Exception as e:
            answer = (False, e)
        try:
            answers.send(answer)
        except Exception as e:  # a result or an exception that does not pickle
            answers.send((False, RuntimeError(f"{type(e).__name__}: {e}")))


class Worker:
    """One worker process (``python -m ui.workers``, so that it never runs the server's main
    module or a page script) and the server's ends of its two pipes."""

    def __init__(self) -> None:
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        root = str(CORE.parent)
        path = os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ui.workers", str(to_child), str(from_child)], cwd=root,
            env={**os.environ, "PYTHONPATH": path}, pass_fds=(to_child, from_child),
            stdin=subprocess.DEVNULL)
        os.close(to_child), os.close(from_child)
        self.send = Connection(from_parent, readable=False)
        self.recv = Connection(to_parent, writable=False)
        self.pid: int | None = None  # set once the worker has said it is ready
        self._lock = threading.Lock()  # one reader of the first message

    def ready(self, timeout: float | None = 0.0) -> bool:
        """Whether the worker has imported the core (reads its first message if it has come);
        raises EOFError if it died."""
        if self.pid is None:
            with self._lock:
                if self.pid is None and self.recv.poll(timeout):
                    self.pid = self.recv.recv()
        return self.pid is not None

    def stop(self) -> None:
        self.send.close()  # the worker reads the end of its input and exits
        self.recv.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Pool:
    """The workers, handed out to one calling thread at a time."""

    def __init__(self, n: int, stamp: int) -> None:
        self.stamp, self.workers = stamp, [Worker() for _ in range(n)]
        self.idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        for w in self.workers:
            self.idle.put(w)

    def ready(self, timeout: float = 0.0) -> bool:
        return all(w.ready(timeout) for w in self.workers)

    def stop(self) -> None:
        for w in self.workers:
            w.stop()


def start(check_code: bool = True) -> Pool | None:
    """The workers (started if needed, or again if core/ changed since they started: 0.2 ms to
    check, skipped with ``check_code=False``), or None when workers are off. The frame calls it
    on every run, so the workers are ready before the first computation is asked for."""
    global _pool, _died_at
    n = num_workers()
    if n == 0:
        return None
    pool = _pool
    if pool is not None and not check_code:
        return pool
    stamp = _code_stamp()
    if pool is not None and pool.stamp == stamp:
        return pool
    with _lock:
        if pool is None and time.monotonic() - _died_at < RETRY:
            return None
        if _pool is None or _pool.stamp != stamp:
            old = _pool
            try:
                _pool = Pool(n, stamp)
            except OSError:  # no process could be started: compute in process for a while
                _pool, _died_at = None, time.monotonic()
            if old is not None:
                old.stop()
        return _pool


def ready(timeout: float | None = None) -> bool:
    """Start the workers if needed and wait up to ``timeout`` seconds (None: for as long as it
    takes) for them to import the core; True when computations will now go to a worker."""
    pool = start()
    try:
        return pool is not None and pool.ready(timeout)
    except (EOFError, OSError):  # a worker died on its way up (the next computation finds out)
        return False


@atexit.register
def stop() -> None:
    """Stop the workers (the next computation starts new ones)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.stop()


def _ask(pool: Pool, fn, args, kwargs):
    """(ok, result or exception) from a worker of ``pool``, or None when the call must be
    computed here: no worker ready yet, an argument that does not pickle, or a worker that died
    (then the pool is dropped, and the next call starts new workers)."""
    global _pool, _died_at
    worker = pool.idle.get()  # waits while every worker is busy
    try:
        if not worker.ready():
            return None
        try:
            payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return None
        worker.send.send_bytes(payload)
        return worker.recv.recv()
    except (EOFError, OSError):
        with _lock:
            if _pool is pool:
                _pool, _died_at = None, time.monotonic()
        pool.stop()
        return None
    finally:
        pool.idle.put(worker)


def run(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, computed in a worker when ``fn`` is a core function and a worker
    is ready, in this process otherwise. An exception raised by ``fn`` is raised here."""
    pool = start() if sendable(fn) else None
    answer = _ask(pool, fn, args, kwargs) if pool is not None else None
    if answer is None:
        counts["in process"] += 1
        return fn(*args, **kwargs)
    counts["worker"] += 1
    ok, value = answer
    if ok:
        return value
    raise value


if __name__ == "__main__":  # a worker: python -m ui.workers CALLS_FD ANSWERS_FD
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
