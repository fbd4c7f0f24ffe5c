"""An iterator computed in a forked child process, so that producing and consuming share cores.

Harvesting a national feed and indexing what it wrote are both two CPU-bound halves in a row
(parse and map, then validate and write; read and analyse records, then write the index). In
one Python process they take turns; here the producing half runs in a child and streams its
values, pickled by batches, through a pipe to the consuming half in the parent.

Whatever goes wrong in the child (an exception, its death, a truncated message) is raised in
the parent at the point of iteration, so a caller's transaction rolls back as it would have in
one process. A thread of the parent empties the pipe into a queue of `ahead` batches: the child
goes on producing while the parent works through a batch, instead of waiting, blocked on a full
pipe, for the parent's next read. When the queue is full the child blocks: memory stays bounded.
The child must not use the parent's open database connections (see `fresh_engine`).
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from catalog.db import storage_full
from catalog.errors import UnusableInput

log = logging.getLogger(__name__)
PROTOCOL = pickle.HIGHEST_PROTOCOL
PIPE_BYTES = 1 << 20


class ChildFailed(RuntimeError):
    """The child stopped without saying why (killed, out of memory), or failed with an
    exception that cannot be sent back as it is."""


class ChildKilled(ChildFailed):
    """The child was killed by a signal: the machine's doing (most often the kernel, out of
    memory, with SIGKILL), not a bug of ours. Its message is for the operator."""


def ended_without_finishing(name: str, exitcode: int | None) -> ChildFailed:
    """What to raise for a child that ended before its last message. A negative exit code is
    the signal that killed it; a positive one, its own exit (a bug: the child never exits)."""
    if exitcode is not None and exitcode < 0:
        try:
            signal_name = signal.Signals(-exitcode).name
        except ValueError:
            signal_name = f"signal {-exitcode}"
        why = (" : le plus souvent par le système, faute de mémoire (vérifiez la mémoire disponible "
               "et celle allouée au conteneur)") if exitcode == -signal.SIGKILL else ""
        return ChildKilled(f"Le processus « {name} » a été tué ({signal_name}) avant d'avoir fini{why}.")
    return ChildFailed(f"Le processus « {name} » s'est arrêté sans finir (code {exitcode}).")


def children_enabled() -> bool:
    """A second core to use, fork available, and not switched off (`MAILLAGE_CHILD_PROCESSES=0`,
    e.g. to profile in one process)."""
    return (os.environ.get("MAILLAGE_CHILD_PROCESSES", "1") != "0" and (os.cpu_count() or 1) >= 2
            and "fork" in multiprocessing.get_all_start_methods())


class ChildIterator:
    """Iterate once. `produce()` runs in the child; `progress()` (child side) is sent with each
    batch and readable here as `.progress`; `finish()` (child side) runs once `produce()` is
    exhausted and its result is `.result` here when iteration ends."""

    def __init__(self, produce: Callable[[], Iterator[Any]], *, batch: int = 200, ahead: int = 8,
                 name: str = "maillage", progress: Callable[[], Any] | None = None,
                 finish: Callable[[], Any] | None = None):
        self.produce, self.batch, self.ahead, self.name = produce, batch, ahead, name
        self.progress_of, self.finish = progress, finish
        self.progress: Any = None
        self.result: Any = None

    def __iter__(self) -> Iterator[Any]:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        _widen(sender)
        child = context.Process(target=self._child, args=(sender,), daemon=True, name=self.name)
        child.start()
        sender.close()  # ours: so that the child's end closing reads as end of file
        received: queue.Queue[bytes | None] = queue.Queue(maxsize=self.ahead)
        stop = threading.Event()
        pump = threading.Thread(target=_pump, args=(receiver, received, stop), daemon=True,
                                name=f"{self.name} (réception)")
        pump.start()
        try:
            while True:
                message = received.get()
                if message is None:
                    child.join(5)
                    raise ended_without_finishing(self.name, child.exitcode)
                tag, payload, progress = pickle.loads(message)
                self.progress = progress
                if tag == "values":
                    yield from payload
                elif tag == "done":
                    self.result = payload
                    return
                else:
                    raise payload
        finally:
            stop.set()
            if child.is_alive():  # the parent stopped early (its error, Ctrl-C): stop the child
                child.terminate()
            child.join(5)
            if child.is_alive():  # deaf to SIGTERM: the pump below waits for the pipe's end
                child.kill()
                child.join()
            pump.join()  # the child gone, its end of the pipe is closed: the pump sees the end
            receiver.close()

    def _child(self, sender) -> None:
        # Die on SIGTERM, as the parent expects when it stops this child, rather than run a
        # handler inherited from the parent (harvesters/termination.py).
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            values = iter(self.produce())
            while batch := list(islice(values, self.batch)):
                sender.send_bytes(pickle.dumps(("values", batch, self._progress()), PROTOCOL))
            result = self.finish() if self.finish else None
            sender.send_bytes(pickle.dumps(("done", result, self._progress()), PROTOCOL))
        except BrokenPipeError:
            pass  # the parent is gone or stopped early: nobody to tell
        except BaseException as exc:
            if not isinstance(exc, (UnusableInput, KeyboardInterrupt)) and not storage_full(exc):
                log.exception("Processus « %s »", self.name)  # a bug: its traceback stays in the log
            try:
                sender.send_bytes(pickle.dumps(("error", _sendable(exc), None), PROTOCOL))
            except BrokenPipeError:
                pass
        finally:
            sender.close()

    def _progress(self) -> Any:
        return self.progress_of() if self.progress_of else None


def _pump(receiver, received: queue.Queue, stop: threading.Event) -> None:
    """Move the child's messages from the pipe to `received`, then None once the pipe ends, or
    an error message if receiving fails. `recv_bytes` waits without the GIL: the thread costs the
    parent little. The pipe is closed only after this thread ends, so any other error is real."""
    last = False
    while not last:
        try:
            message = receiver.recv_bytes()
        except EOFError:
            message, last = None, True
        except Exception as exc:  # noqa: BLE001 - said to the parent, which would otherwise wait forever
            message, last = pickle.dumps(("error", ChildFailed(f"Réception interrompue : {exc!r}"), None)), True
        while True:
            try:
                received.put(message, timeout=0.1)
                break
            except queue.Full:
                if stop.is_set():
                    return


def _widen(sender) -> None:
    """A pipe of 1 MB rather than 64 KB (Linux): the child writes a batch in one go instead of
    waiting, chunk after chunk, for the pump thread, which must take the GIL from the busy
    parent for each (~10 % of a national feed's reading time)."""
    try:
        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size: as it was
        pass


def picklable(value: Any) -> bool:
    try:
        pickle.loads(pickle.dumps(value, PROTOCOL))
    except Exception:  # noqa: BLE001 - an open file, a generator, a class without its arguments
        return False
    return True


def fresh_engine(engine):
    """In a child: the parent's SQLAlchemy engine with its pool forgotten, not closed (the
    connections belong to the parent; SQLAlchemy's documented pattern after fork)."""
    engine.dispose(close=False)
    return engine


def _sendable(exc: BaseException) -> BaseException:
    return exc if picklable(exc) else ChildFailed(f"{type(exc).__name__}: {exc}")
