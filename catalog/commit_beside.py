"""A commit run in a thread while the caller does work that needs no result of it.

A harvest's catalog commit writes its last dirty pages (tens of MB for a national feed) without
the GIL; meanwhile the harvest can write its last index postings into the index's own file. The
caller must not use the committing connection until `wait()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class CommitBeside:
    def __init__(self, commit: Callable[[], None]):
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(commit,), name="commit", daemon=True)
        self._thread.start()

    def _run(self, commit: Callable[[], None]) -> None:
        try:
            commit()
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by wait()
            self._error = exc

    def wait(self) -> bool:
        """True once committed; the commit's error, raised here, otherwise."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return True
