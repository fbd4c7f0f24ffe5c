"""SIGTERM as an interruption: a harvest stopped by its service manager ends as Ctrl-C does.

`docker compose stop`, systemd and Kubernetes stop a process with SIGTERM, then SIGKILL a few
seconds later. Python's default for SIGTERM is to die on the spot: the run's transaction is
lost (the catalog is safe) but its job stays « en cours » until a later run reaps it, and says
nothing of why. Raised as an exception instead, SIGTERM unwinds the run like Ctrl-C: the
transaction rolls back, a reader child is stopped, the job is closed with its reason, and
the process exits within the grace period.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class TerminationRequested(KeyboardInterrupt):
    """SIGTERM received. A KeyboardInterrupt, so that every path that already stops cleanly on
    Ctrl-C (rollback, stopping the reader child, not logging it as a bug) does so here too."""


_requested = False


def termination_requested() -> bool:
    """Whether a SIGTERM came while inside `sigterm_interrupts`, even if the exception it raised
    was swallowed on the way (library code that catches BaseException while cleaning up): a
    worker asks between its cycles, so that a lost exception cannot keep it running, deaf to
    later signals."""
    return _requested


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside: the first SIGTERM raises TerminationRequested where the main thread is;
    later ones are ignored, so that a second signal cannot break off the job's closing (the
    service manager's SIGKILL remains the last word)."""

    def interrupt(signum, frame) -> None:
        global _requested
        _requested = True
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise TerminationRequested()

    global _requested
    _requested = False
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
