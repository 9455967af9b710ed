"""ui/heap.py: the objects alive at the first run are frozen once per process, so the server's
full garbage collections walk only what was made afterwards."""

from __future__ import annotations

import gc
import subprocess
import sys

from tests.pagetest import ROOT
from ui import heap


def test_a_fresh_process_freezes_its_startup_objects_once_and_still_collects_new_cycles():
    code = """
import gc
from ui import heap
import streamlit, pandas, altair  # what the server has imported by a page's first run
assert gc.get_freeze_count() == 0
frozen = heap.freeze_startup_objects()
assert frozen > 10_000 and 0 < gc.get_freeze_count() <= frozen, frozen  # (frozen objects can die)
assert heap.freeze_startup_objects() == 0 and gc.get_freeze_count() <= frozen  # nothing new frozen
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after the freeze is still found and freed
del a, b
assert gc.collect() >= 2
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_every_page_freezes_through_the_frame(monkeypatch):
    from tests.pagetest import open_page
    from ui.pages import BY_ID

    calls = []
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    at = open_page(BY_ID["home"])
    assert not at.exception and heap._done and calls == [1]
    open_page(BY_ID["cliffs"])
    assert calls == [1]  # once per process, not per run
