"""ui/net.py: Nagle's algorithm off on the server's sockets, the ones open now and the ones the
listening socket accepts later (Streamlit 1.67 binds it with proto 0, so asyncio never does)."""

from __future__ import annotations

import socket
import sys

import pytest

from ui import net


def _nodelay(s: socket.socket) -> int:
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture
def listener():
    lst = socket.socket(socket.AF_INET)  # as Streamlit binds it: proto 0
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    opened = []

    def connect():
        client = socket.create_connection(lst.getsockname())
        server_side, _ = lst.accept()
        opened.extend([client, server_side])
        return server_side

    yield lst, connect
    for s in opened + [lst]:
        s.close()


def test_open_connections_and_the_listener_get_nodelay(listener):
    lst, connect = listener
    before = connect()
    assert lst.proto == 0 and _nodelay(before) == 0  # the trap: nobody set it
    assert net.set_nodelay_on_open_sockets() >= 2
    assert _nodelay(before) == 1 and _nodelay(lst) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux copies TCP_NODELAY to "
                    "accepted sockets; elsewhere only the connections open at the first run get it")
def test_connections_accepted_later_inherit_nodelay_from_the_listener(listener):
    _, connect = listener
    net.set_nodelay_on_open_sockets()
    assert _nodelay(connect()) == 1


def test_closed_sockets_and_other_kinds_are_skipped():
    closed = socket.socket(socket.AF_INET)
    closed.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        net.set_nodelay_on_open_sockets()  # must not raise on either
    finally:
        udp.close()


def test_ensure_nodelay_walks_the_heap_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setattr(net, "_done", False)
    monkeypatch.setattr(net, "set_nodelay_on_open_sockets", lambda: calls.append(1) or 0)
    net.ensure_nodelay()
    net.ensure_nodelay()
    assert calls == [1]


def test_every_page_turns_it_on_through_the_frame(monkeypatch):
    from tests.pagetest import open_page
    from ui.pages import BY_ID

    monkeypatch.setattr(net, "_done", False)
    at = open_page(BY_ID["home"])
    assert not at.exception and net._done
