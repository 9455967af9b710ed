"""Keep the garbage collector's full collections short on a long-running server.

By a page's first run the process has imported everything the app needs (Streamlit, pandas,
pyarrow, Altair, numpy, the core): a few hundred thousand objects that live as long as the
process. CPython's full (generation 2) collection walks every tracked object, and the server's
allocations trigger one every few seconds under a class's load. Measured with a 50-session
lecture load (bench/load.py): 13 full collections a minute, 15-122 ms each, and each one stops
every session's rerun in flight.

``gc.freeze()`` moves the objects alive at that moment to a permanent generation that later
collections skip, so a full collection walks only what was made afterwards: sessions, cached
results, chart specifications. The cost is bounded: objects frozen here that later become garbage
in a reference cycle are never freed; plain reference counting still frees everything else.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_done = False


def freeze_startup_objects() -> int:
    """Once per process: collect what is garbage now, then freeze the rest; return how many
    objects the permanent generation holds (0 on later calls, which do nothing)."""
    global _done
    if _done:
        return 0
    with _lock:
        if _done:
            return 0
        gc.collect()
        gc.freeze()
        _done = True
        return gc.get_freeze_count()
