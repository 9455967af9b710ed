"""What the server-side benchmarks share: a real `streamlit run` server and a WebSocket client.

``Server`` starts `streamlit run` on 127.0.0.1 in a subprocess (its log goes to a temporary file,
never to an unread pipe that could fill up and stall the server under load) and measures it:
resident memory with its children (psutil), CPU time, and the OpenMetrics of ``/_stcore/metrics``.

``Session`` is one browser tab reduced to Streamlit's wire protocol (guides/streamlit.md 4.2): a
WebSocket to ``/_stcore/stream`` with the ``streamlit`` subprotocol; each rerun sends a
``BackMsg.rerun_script`` carrying the URL's query string and the page, then reads ``ForwardMsg``s
until ``script_finished``. For an app with a ``pages/`` folder, Streamlit 1.67 wraps the folder in
an implicit ``st.navigation`` and resolves ``page_name`` against each page's ``url_pathname`` (the
file name without its number prefix, e.g. ``Ill_conditioning``; ``""`` is the home page), so the
client needs no page hash. Like the browser, it can report the hashes of large messages it already
holds (``cached_message_hashes``); the server then sends a short ``ref_hash`` instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import knobs as K  # noqa: E402
from ui.pages import PAGES, PageInfo  # noqa: E402

FINISHED = {v: k for k, v in ForwardMsg.ScriptFinishedStatus.items()}
# Knobs a student does not nudge while exploring (the seed is varied only by bench/memory.py).
NOT_NUDGED = {"seed", "present", "show"}


# --- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run <script>` on 127.0.0.1, started from the project root (so it reads the
    project's .streamlit/config.toml). ``started`` is the perf_counter time just before the
    process was spawned; :meth:`wait_healthy` returns the seconds until /_stcore/health said ok.
    """

    def __init__(self, script: str = "app.py", wait: bool = True, timeout: float = 120):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        self.log = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.healthy_after: float | None = None
        if wait:
            self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 120, poll: float = 0.05) -> float:
        """Poll /_stcore/health until it answers 'ok'; the seconds since the spawn."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        self.healthy_after = time.perf_counter() - self.started
                        return self.healthy_after
            except OSError:
                time.sleep(poll)
            if self.proc.poll() is not None:
                raise RuntimeError("streamlit exited:\n" + self.log_tail())
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f} s")

    def _procs(self) -> list[psutil.Process]:
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        """Resident memory of the server and its children, in bytes."""
        total = 0
        for p in self._procs():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its children so far."""
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def metrics(self, *families: str) -> dict[str, float]:
        """/_stcore/metrics (all families, or the ones named) as {name with labels: value}."""
        query = urllib.parse.urlencode([("families", f) for f in families])
        url = self.url + "/_stcore/metrics" + (f"?{query}" if query else "")
        req = urllib.request.Request(url, headers={"Accept": "application/openmetrics-text"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, val = line.rpartition(" ")
                try:
                    out[name] = float(val)
                except ValueError:
                    pass
        return out

    def active_sessions(self) -> int:
        """The server's own count of connected sessions (metric ``active_sessions``)."""
        m = self.metrics("active_sessions")
        return int(sum(v for k, v in m.items() if k.split("{")[0] == "active_sessions"))

    def log_tail(self, n: int = 3000) -> str:
        """The last n characters of the server's log."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-n:]

    def first_traceback(self, n: int = 4000) -> str:
        """The first traceback in the server's log (with the line before it), or ""."""
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        i = text.find("Traceback (most recent call last)")
        return "" if i < 0 else text[text.rfind("\n", 0, max(0, i - 1)) + 1:i + n]

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit within 10 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class RssSampler:
    """Samples a server's RSS every ``interval`` seconds in a thread; ``peak`` is the largest."""

    def __init__(self, server: Server, interval: float = 0.25):
        self.server, self.interval = server, interval
        self.peak = server.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.server.rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss())


# --- the pages and their knobs -------------------------------------------------------------------
def existing_pages() -> list[PageInfo]:
    """The rows of the menu table whose page file exists, in the menu's order."""
    return [p for p in PAGES if p.exists()]


def views() -> list[tuple[PageInfo, str | None]]:
    """Every (page, part) a student can look at, in the menu's order (part None: no parts)."""
    return [(p, part.id) for p in existing_pages() for part in p.parts] + \
        [(p, None) for p in existing_pages() if not p.parts]


def view_name(page: PageInfo, part: str | None) -> str:
    return f"{page.id}/{part}" if part else page.id


def page_knobs(page: PageInfo) -> list[K.Knob]:
    """Every knob the page reads from the URL: all shared knobs (the frame keeps them all in the
    link), the page's own and its part."""
    return list(K.SHARED) + list(page.url_knobs)


def default_params(page: PageInfo, part: str | None = None) -> dict[str, str]:
    """The page's URL parameters at their defaults, as the app writes them (with ``part`` open)."""
    params = {k.name: K.encode(k, k.default) for k in page_knobs(page) if k.kind != "names"}
    if part:
        params["part"] = part
    return params


def nudgeable(page: PageInfo, part: str | None = None) -> list[K.Knob]:
    """The knobs a student turns on this page with ``part`` open (default: the first part): its
    visible shared knobs and the own knobs that part draws."""
    own = page.own_of(part)
    return [K.SHARED_BY_NAME[n] for n in page.shared_of(part) if n not in NOT_NUDGED] + \
        [k for k in own if k.name not in NOT_NUDGED and k.kind != "names"]


def nudge(knob: K.Knob, text: str, rng: random.Random, max_steps: int = 2) -> str:
    """The URL text of a value near ``text``: one to ``max_steps`` slider steps away (another
    option for a choice, the other state for a toggle), as a student moves a slider."""
    value, _ = K.parse(knob, [text])
    if knob.kind == "bool":
        return K.encode(knob, not value)
    if knob.kind == "choice":
        return K.encode(knob, rng.choice([o for o in knob.options if o != value]))
    if knob.kind == "seed":
        return K.encode(knob, rng.randrange(int(knob.hi)))
    if knob.kind == "grid":
        opts = list(knob.options)
        i = min(range(len(opts)), key=lambda j: abs(opts[j] - value))
        j = i + rng.choice([-1, 1]) * rng.randint(1, max_steps)
        j = j if 0 <= j < len(opts) else 2 * i - j  # bounce off the ends
        return K.encode(knob, opts[min(max(j, 0), len(opts) - 1)])
    step = knob.step if knob.step is not None else 1
    k = rng.choice([-1, 1]) * rng.randint(1, max_steps)
    v = value + k * step
    if not knob.lo <= v <= knob.hi:
        v = value - k * step
    v = min(max(v, knob.lo), knob.hi)
    return K.encode(knob, int(v) if knob.kind == "int" else K.snap(knob, v))


def most_expensive(page: PageInfo, part: str | None = None) -> dict[str, str]:
    """Every size-like knob of the page at its largest value (the same rule as bench/rerun.py:
    dim, depth, steps, restarts, batch, kappa), on top of the defaults."""
    params = default_params(page, part)
    for knob in [K.SHARED_BY_NAME[n] for n in page.shared] + list(page.knobs):
        if knob.name in ("dim", "depth", "steps", "restarts", "batch", "kappa"):
            params[knob.name] = K.encode(knob, knob.bounds()[1])
    return params


# --- the client ----------------------------------------------------------------------------------
def arrow_rows(buf: bytes) -> int:
    """Rows of an Arrow IPC stream (a chart dataset)."""
    if not buf:
        return 0
    import pyarrow as pa

    return pa.ipc.open_stream(buf).read_all().num_rows


def _inline_rows(spec) -> int:
    """Rows given inline in a Vega-Lite spec ("values": [...]), at any depth."""
    if isinstance(spec, dict):
        own = len(spec["values"]) if isinstance(spec.get("values"), list) else 0
        return own + sum(_inline_rows(v) for k, v in spec.items() if k != "values")
    if isinstance(spec, list):
        return sum(_inline_rows(v) for v in spec)
    return 0


def chart_rows(chart) -> int:
    """Rows a Vega-Lite chart proto ships: its Arrow datasets, its main dataset and inline data."""
    rows = arrow_rows(chart.data.data) + sum(arrow_rows(d.data.data) for d in chart.datasets)
    return rows + _inline_rows(json.loads(chart.spec)) if chart.spec else rows


@dataclass
class RunResult:
    """One rerun as the client saw it."""

    page: str
    sent: dict[str, str]
    latency: float = math.nan  # seconds from sending rerun_script to receiving script_finished
    nbytes: int = 0  # sum of the serialized ForwardMsg sizes
    nmsgs: int = 0
    largest_msg: int = 0
    elements: Counter = field(default_factory=Counter)  # element type -> count
    chart_rows: list[int] = field(default_factory=list)  # rows per chart (when counted)
    chart_bytes: list[int] = field(default_factory=list)  # serialized size per chart message
    chart_digest: str = ""  # changes when any chart's spec or data changes
    refs: int = 0  # messages the server replaced by a ref_hash (the client had them)
    exceptions: list[str] = field(default_factory=list)
    page_not_found: bool = False
    status: str = ""
    query_string: str = ""  # the URL as the app rewrote it (page_info_changed)
    error: str = ""  # connection or timeout trouble

    @property
    def problems(self) -> list[str]:
        """What went wrong in this run (empty when it went right)."""
        out = [f"exception: {e}" for e in self.exceptions]
        if self.page_not_found:
            out.append(f"page not found: {self.page!r}")
        if self.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY", ""):
            out.append(f"script finished with {self.status}")
        if self.error:
            out.append(self.error)
        return out

    def adopted(self) -> bool:
        """Did the page take every knob value the client sent (the URL it wrote back has them)?"""
        back = dict(urllib.parse.parse_qsl(self.query_string))
        return all(back.get(k) == v for k, v in self.sent.items() if k in back)


class Session:
    """One browser tab speaking Streamlit's protocol over a WebSocket (use ``async with``).

    Args:
        ws_url: ws://127.0.0.1:PORT/_stcore/stream.
        browser_cache: report the hashes of large messages already received, as the browser
            does, so unchanged charts come back as short references.
        count_rows: parse each chart's Arrow data to count its rows (costs client CPU).
    """

    def __init__(self, ws_url: str, browser_cache: bool = True, count_rows: bool = False):
        self.ws_url, self.browser_cache, self.count_rows = ws_url, browser_cache, count_rows
        self.ws = None
        self.cached: dict[str, str] = {}  # hash -> element type, of the cacheable messages held
        # knob name -> (widget id, element type, fragment id) of the widgets drawn inside a
        # fragment in the latest run of the open page (what a browser's knob change reruns)
        self.fragment_widgets: dict[str, tuple[str, str, str]] = {}

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           ping_interval=None, open_timeout=120)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def rerun(self, page: str, params: dict[str, str], timeout: float = 300) -> RunResult:
        """Ask for a run of ``page`` (its url_pathname, "" for home) with the URL ``params`` and
        read the server's messages until the script has finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = urllib.parse.urlencode(params)
        msg.rerun_script.page_name = page
        self.fragment_widgets.clear()  # a full run draws the page's widgets again
        return await self._send(msg, RunResult(page, dict(params)), timeout)

    def can_turn(self, knob: K.Knob) -> bool:
        """Is ``knob`` a widget inside a fragment on the open page (so a browser would rerun
        only that fragment when it is turned)?"""
        return knob.name in self.fragment_widgets and knob.kind in _WIDGET_VALUE

    async def turn(self, page: str, params: dict[str, str], knob: K.Knob, text: str,
                   timeout: float = 300) -> RunResult:
        """Turn ``knob`` to the URL value ``text`` as a browser does: a rerun of the fragment that
        drew its widget, carrying the widget's new value (``params`` is the page's URL before the
        change; the app writes the new one back)."""
        wid, _, fragment = self.fragment_widgets[knob.name]
        msg = BackMsg()
        msg.rerun_script.query_string = urllib.parse.urlencode(params)
        msg.rerun_script.page_name = page
        msg.rerun_script.fragment_id = fragment
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = wid
        _WIDGET_VALUE[knob.kind](state, knob, K.parse(knob, [text])[0])
        return await self._send(msg, RunResult(page, {**params, knob.name: text}), timeout)

    async def _send(self, msg: BackMsg, res: RunResult, timeout: float) -> RunResult:
        import asyncio

        if self.browser_cache:
            msg.rerun_script.cached_message_hashes.extend(self.cached)
        digest = hashlib.blake2b(digest_size=12)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await self.ws.recv()
                    if self._read(raw, res, digest):
                        break
        except TimeoutError:
            res.error = f"timeout: no script_finished within {timeout:.0f} s"
        except websockets.ConnectionClosed as e:
            res.error = f"connection closed: {e}"
        res.latency = time.perf_counter() - t0
        res.chart_digest = digest.hexdigest()
        return res

    def _read(self, raw: bytes, res: RunResult, digest) -> bool:
        """Account for one ForwardMsg; True once the script run is over."""
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        res.nbytes += len(raw)
        res.nmsgs += 1
        res.largest_msg = max(res.largest_msg, len(raw))
        kind = fm.WhichOneof("type")
        if kind == "ref_hash":
            res.refs += 1
            el = self.cached.get(fm.ref_hash, "?")
            res.elements[el] += 1
            if el == "vega_lite_chart":
                digest.update(fm.ref_hash.encode())
                res.chart_bytes.append(len(raw))
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element.WhichOneof("type")
            res.elements[el] += 1
            wid = getattr(getattr(fm.delta.new_element, el), "id", "")
            if fm.delta.fragment_id and isinstance(wid, str) and wid.startswith("$$ID-"):
                # a keyed widget's id ends with its key, which is the knob's URL name
                self.fragment_widgets[wid.split("-", 2)[2]] = (wid, el, fm.delta.fragment_id)
            if fm.metadata.cacheable:
                self.cached[fm.hash] = el
            if el == "exception":
                ex = fm.delta.new_element.exception
                res.exceptions.append(f"{ex.type}: {ex.message}"[:300])
            elif el == "vega_lite_chart":
                chart = fm.delta.new_element.vega_lite_chart
                digest.update(fm.hash.encode())
                res.chart_bytes.append(len(raw))
                if self.count_rows:
                    res.chart_rows.append(chart_rows(chart))
        elif kind == "page_not_found":
            res.page_not_found = True
        elif kind == "page_info_changed":
            res.query_string = fm.page_info_changed.query_string
        elif kind == "script_finished":
            res.status = FINISHED.get(fm.script_finished, str(fm.script_finished))
            # A run interrupted by st.rerun() is followed by the run that replaces it.
            return fm.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return False


def _set_list(field_name: str):
    def put(state, knob: K.Knob, v) -> None:
        getattr(state, field_name).data.append(knob.show(v) if field_name.startswith("string")
                                               else float(v))
    return put


# How each knob kind's widget reports its value (Streamlit 1.67's value types: a select_slider
# sends its formatted option, a slider its number, a radio its formatted option, a toggle a bool).
_WIDGET_VALUE = {
    "grid": _set_list("string_array_value"),
    "int": _set_list("double_array_value"),
    "float": _set_list("double_array_value"),
    "choice": lambda state, knob, v: setattr(state, "string_value", knob.show(v)),
    "bool": lambda state, knob, v: setattr(state, "bool_value", bool(v)),
}


# --- numbers -------------------------------------------------------------------------------------
def pct(xs, q: float) -> float:
    """The q-quantile of xs by the nearest-rank rule (NaN for no data)."""
    xs = sorted(x for x in xs if not math.isnan(x))
    if not xs:
        return math.nan
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def mb(nbytes: float) -> str:
    """Bytes as MB with one decimal."""
    return f"{nbytes / 2**20:.1f} MB"


def table(headers: list[str], rows: list[list]) -> str:
    """A plain text table, columns right-aligned except the first."""
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def speed_probe(repeats: int = 5) -> float:
    """Milliseconds (best of ``repeats``) for a fixed mix of interpreter and small-numpy work,
    the kind a page's rerun does. A cloud VM's speed drifts through the day (the same commit
    measured 20-60% slower in the evening than in the morning here), so every table prints this:
    compare runs only when their probes agree, or run old and new side by side."""
    import numpy as np

    a = np.linspace(0.0, 1.0, 64 * 64).reshape(64, 64)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        acc = 0
        for i in range(200_000):
            acc += i % 7
        for _ in range(2_000):
            a = np.tanh(a @ a.T * 1e-3 + 0.1)
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def machine() -> str:
    """One line about the machine, its current load and speed, printed above every table."""
    load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    return (f"# {time.strftime('%Y-%m-%d %H:%M')} · {psutil.cpu_count()} cores · "
            f"load average {load} · {mb(psutil.virtual_memory().total)} RAM · "
            f"speed probe {speed_probe():.0f} ms (lower is faster)")
