"""How long one HTTP request may take, from its first byte sent to its last byte read.

A read time-out bounds each wait for the next bytes, not the whole answer: a server that sends
one byte every 59 s (broken, or hostile) would keep a scheduled harvest, and with it its source,
busy for days. `HttpClient` opens a `Deadline` per request (MAILLAGE_HTTP_MAX_SECONDS); the
connections see it through `watch`, called as their socket is made or taken from the pool.

On expiry a single watchdog thread shuts the request's sockets down: the read under way ends at
once (a TLS handshake too), and every later one. The deadline holds each socket through a
duplicate of its descriptor, made when it is watched: the TLS layer takes the descriptor over
from the socket object urllib3 made first, and a bare descriptor number could be reused by
another file once closed. A shut-down socket reads as an end of body, so whoever reads the body
asks `expired` before trusting that end (`harvesters.http.read_body`): a cut answer must never
pass for a complete one.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from catalog.config import env_number

# Finished deadlines wait in the heap until their time; past this many, they are swept out.
_SWEEP_AFTER = 1024


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.finished = False
        self._handles: list[socket.socket] = []  # duplicates, closed when finished
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
        with self._lock:
            if self.finished:
                handle.close()
                return
            self._handles.append(handle)
            expired = self.expired
        if expired:  # a retry after the expiry fails at once
            _cut(handle)

    def expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            handles = list(self._handles)
        for handle in handles:
            _cut(handle)

    def finish(self) -> None:
        """The body is read (or given up): its connection, back in the pool, may serve other
        requests untouched."""
        with self._lock:
            self.finished = True
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.close()


def _cut(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:  # already shut by its peer
        pass


class _Watchdog:
    """One thread for the whole process, asleep until the nearest deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._wake:
            if len(self._heap) > _SWEEP_AFTER:
                self._heap = [entry for entry in self._heap if not entry[2].finished]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="maillage-http-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].finished or self._heap[0][0] <= now):
                    heapq.heappop(self._heap)[2].expire()  # a finished one ignores it
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = _Watchdog()
_current = threading.local()


def _fresh_watchdog_in_child() -> None:
    # A forked process (the LHEO reader) has no watchdog thread, and its lock may have been held.
    global _watchdog, _current
    _watchdog, _current = _Watchdog(), threading.local()


os.register_at_fork(after_in_child=_fresh_watchdog_in_child)


def start() -> Deadline:
    """A deadline (MAILLAGE_HTTP_MAX_SECONDS, one hour by default) for the request this thread is
    about to send (see `sending`)."""
    deadline = Deadline(env_number("MAILLAGE_HTTP_MAX_SECONDS", 3600, minimum=0.001))
    _watchdog.add(deadline)
    return deadline


@contextmanager
def sending(deadline: Deadline) -> Iterator[Deadline]:
    """While the request is sent and its headers read, the sockets this thread opens or takes
    from the pool belong to `deadline`."""
    _current.deadline = deadline
    try:
        yield deadline
    finally:
        _current.deadline = None


def current_expired() -> bool:
    """Whether the request this thread is sending is past its deadline (no retry then)."""
    deadline = getattr(_current, "deadline", None)
    return deadline is not None and deadline.expired


def watch(sock: socket.socket | None) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        try:
            deadline.watch(sock)
        except OSError:  # closed meanwhile: urllib3 will make another, watched in turn
            pass

