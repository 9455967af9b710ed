"""Turn off Nagle's algorithm on the server's TCP sockets (a workaround for Streamlit 1.67).

Streamlit binds its listening socket itself (``streamlit/web/server/starlette/starlette_server.py``,
``_bind_socket``) as ``socket.socket(family)``, so its ``proto`` is 0, and so is every connection
accepted from it. asyncio disables Nagle's algorithm (``TCP_NODELAY``) only on sockets whose
``proto`` is ``IPPROTO_TCP``, so the app's WebSockets keep it on (uvicorn issue 3149 describes the
same trap in uvicorn's own pre-bound-socket path). A rerun sends many small messages; with Nagle
on, all but the first wait until the browser acknowledges the first, and browsers delay
acknowledgements (40 ms on Linux, up to 200 ms on Windows), or, over a real network, for a round
trip. Measured here: a rerun seen by a WebSocket client took 48-52 ms with Nagle on and 9-14 ms with
it off.

The app cannot reach the server before it binds, so on its first run it sets ``TCP_NODELAY`` on
every TCP socket the process holds: the listening socket (Linux copies the option to every
connection accepted from it later) and the connections already open. Remove this module once
Streamlit's ``_bind_socket`` creates the socket with ``proto=socket.IPPROTO_TCP`` (or sets
``TCP_NODELAY`` itself): tests/test_net.py then still passes, and the load client's warm reruns stay
near 15 ms without it.
"""

from __future__ import annotations

import gc
import socket
import threading

_lock = threading.Lock()
_done = False


def set_nodelay_on_open_sockets() -> int:
    """Set ``TCP_NODELAY`` on every open IPv4/IPv6 stream socket of this process; return how many
    (sockets that refuse, e.g. closed ones, are skipped)."""
    count = 0
    for obj in gc.get_objects():
        if (isinstance(obj, socket.socket) and obj.type == socket.SOCK_STREAM
                and obj.family in (socket.AF_INET, socket.AF_INET6) and obj.fileno() >= 0):
            try:
                obj.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                continue
            count += 1
    return count


def ensure_nodelay() -> None:
    """:func:`set_nodelay_on_open_sockets`, once per process (it walks every object the garbage
    collector tracks, about 20 ms)."""
    global _done
    if _done:
        return
    with _lock:
        if not _done:
            set_nodelay_on_open_sockets()
            _done = True
