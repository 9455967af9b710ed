"""ui/workers.py: core computations go to a worker process, with the same results, and the app
keeps answering when workers are off, die, or run old code. (How much this matters under load is
measured by bench/convoy.py, not here.)"""

from __future__ import annotations

import functools
import os
import signal
import sys

import numpy as np
import psutil
import pytest

from core import local_minima as lm
from core import long_term as lt
from core import mlp_buffered
from tests.pagetest import open_page
from ui import workers
from ui.pages import BY_ID

SMALL = dict(width=3, depth=1, activation="tanh", learning_rate=0.3, num_restarts=4, seed=5, num_steps=50)


def worker_pid() -> int:
    assert workers.ready(timeout=120), "no worker started"
    return workers.start().workers[0].pid


def test_a_core_computation_runs_in_a_worker_process_with_the_same_result():
    pid = worker_pid()
    assert pid != os.getpid()
    before = workers.counts["worker"]
    res = workers.run(lm.restarts, **SMALL)
    assert workers.counts["worker"] == before + 1
    direct = lm.restarts(**SMALL)
    assert res.final.equals(direct.final) and res.history.equals(direct.history)
    np.testing.assert_array_equal(res.theta, direct.theta)
    assert res.inputs == direct.inputs


def test_a_worker_starts_while_a_page_script_is_the_main_module(monkeypatch):
    # During a script run Streamlit makes the page script sys.modules["__main__"]; a worker that
    # imported the parent's main module (multiprocessing's "spawn") would run the page and die.
    import types

    from tests.pagetest import ROOT

    page = types.ModuleType("__main__")
    page.__file__ = str(ROOT / "app.py")
    monkeypatch.setitem(sys.modules, "__main__", page)
    workers.stop()
    assert workers.ready(timeout=120)
    assert workers.run(lm.restarts, **SMALL).final.equals(lm.restarts(**SMALL).final)


def test_an_exception_raised_in_the_worker_is_raised_in_the_caller():
    worker_pid()
    before = workers.counts["worker"]
    with pytest.raises(ValueError, match="tanh or linear"):
        workers.run(mlp_buffered.hvp_fn, np.ones((2, 2)), np.ones((2, 1)), (2, 3, 1), "relu")
    assert workers.counts["worker"] == before + 1


def test_arguments_that_do_not_pickle_are_computed_in_process():
    worker_pid()
    before = dict(workers.counts)
    sweep = workers.run(lm.width_sweep, 1, "tanh", 0.3, 0, 2, (w for w in (2, 3)), 5)  # a generator
    assert workers.counts["in process"] == before["in process"] + 1
    assert sweep["width"].tolist() == [2, 2, 3, 3]
    assert workers.run(lm.width_sweep, 1, "tanh", 0.3, 0, 2, (2, 3), 5).equals(sweep)  # sent: the same


def test_only_functions_of_the_core_are_sent_by_name():
    assert workers.sendable(lm.restarts) and workers.sendable(lt.recurrent_products)

    @functools.wraps(lm.restarts)
    def spy(*a, **kw):  # what tests/pagetest.spy_core_calls puts in a core module
        return lm.restarts(*a, **kw)

    assert not workers.sendable(spy)  # it would run the real function and miss the call
    assert not workers.sendable(lambda: 1)
    assert not workers.sendable(np.tanh)  # no Python code to import
    assert not workers.sendable(open_page)  # not core
    assert not workers.sendable(lm.Restarts)  # a class, not a function


def test_a_core_function_replaced_in_its_module_runs_in_process(monkeypatch):
    worker_pid()
    real = lm.restarts
    monkeypatch.setattr(lm, "restarts", lambda *a, **kw: real(*a, **kw))
    assert not workers.sendable(real)  # the worker would import the replacement's name
    before = dict(workers.counts)
    workers.run(real, **SMALL)
    assert workers.counts["in process"] == before["in process"] + 1
    assert workers.counts["worker"] == before["worker"]


@pytest.mark.parametrize("value, expected", [("0", 0), ("2", 2), ("99", workers.MAX_WORKERS),
                                             ("-3", 0), ("two", 1), ("", 1)])
def test_the_number_of_workers_comes_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("EXPLORER_WORKERS", value)
    assert workers.num_workers() == expected


def test_with_workers_off_everything_is_computed_in_process(monkeypatch):
    monkeypatch.setenv("EXPLORER_WORKERS", "0")
    assert workers.start() is None and not workers.ready(timeout=1)
    before = dict(workers.counts)
    res = workers.run(lm.restarts, **SMALL)
    assert workers.counts["in process"] == before["in process"] + 1
    assert workers.counts["worker"] == before["worker"]
    assert res.final.equals(lm.restarts(**SMALL).final)


def test_a_killed_worker_is_replaced_and_the_call_still_gets_its_answer(monkeypatch):
    pid = worker_pid()
    first = workers.start()
    os.kill(pid, signal.SIGKILL)
    res = workers.run(lm.restarts, **SMALL)  # computed here when the dead worker is found out
    assert res.final.equals(lm.restarts(**SMALL).final)
    before = dict(workers.counts)
    assert workers.start() is None  # no new worker for RETRY seconds: no restart loop
    workers.run(lm.restarts, **SMALL)
    assert workers.counts["in process"] == before["in process"] + 1
    monkeypatch.setattr(workers, "RETRY", 0.0)
    new_pid = worker_pid()
    assert workers.start() is not first and new_pid != pid
    assert workers.run(lm.restarts, **SMALL).final.equals(res.final)
    assert workers.counts["worker"] == before["worker"] + 1


def test_workers_started_before_core_changed_are_replaced(monkeypatch):
    worker_pid()
    old = workers.start()
    monkeypatch.setattr(workers, "_code_stamp", lambda: -1)  # as if a core module was edited
    assert workers.start() is not old
    assert workers.start(check_code=False) is workers.start()  # and kept while nothing changes
    monkeypatch.undo()
    worker_pid()


@pytest.mark.parametrize("page", ["long_term", "saddle_points"])  # (saddle: through ui helpers)
def test_a_page_computes_its_part_in_the_worker(page):
    import streamlit as st

    worker_pid()
    st.cache_data.clear()
    st.cache_resource.clear()
    before = workers.counts["worker"]
    at = open_page(BY_ID[page])
    assert not at.exception and at.get("vega_lite_chart")
    assert workers.counts["worker"] > before


def test_a_worker_exits_when_the_server_process_dies_without_cleaning_up():
    import subprocess
    import time

    from tests.pagetest import ROOT

    code = ("import os, sys; from ui import workers; assert workers.ready(timeout=120); "
            "print(workers.start().workers[0].pid, flush=True); os._exit(0)")  # no atexit
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=180)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return  # exited (a container's first process may be slow to reap it)
        except psutil.NoSuchProcess:
            return  # gone: it read the end of its input and left
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail(f"worker {pid} outlived its server")
