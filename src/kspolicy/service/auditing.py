"""The service's audit log: one writer thread, every decision appended, none lost.

Requests hand their records to `AuditWriter.submit` and wait for the record's place in
the chain; the writer takes whatever records are waiting, in the order they came, and
appends them with one `audit.append_all` (one lock, one fsync): concurrent requests are
serialised by the queue, and a burst costs one fsync rather than one each. A request is
answered only once its record is on disk, so a decision the service gave is one the log
holds. `close` lets the writer finish every record handed to it before it returns.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from pathlib import Path
from typing import Any

from ..diagnostics import KspolicyError
from ..tools import audit

_STOP = object()


class AuditWriter:
    """Appends records to a hash-chained audit log (tools/audit.py) from one thread."""

    def __init__(self, path: Path, batch: int = 256) -> None:
        self.path = path
        self._batch = batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._guard = threading.Lock()  # submit and close: nothing is queued after _STOP
        self._thread = threading.Thread(target=self._run, name="kspolicy-audit", daemon=True)
        self._thread.start()

    def submit(self, record: dict[str, Any]) -> concurrent.futures.Future[dict[str, Any]]:
        """Queue a record; the future gives it chained (with `seq`, `prev`, `sha256`), or
        the KspolicyError saying why it was not written."""
        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        with self._guard:
            if self._closed:
                raise KspolicyError("the audit log is closed: the service is stopping")
            self._queue.put((record, future))
        return future

    def close(self) -> None:
        """Write every record submitted, then stop the writer."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            stop = item is _STOP
            waiting = [] if stop else [item]
            while len(waiting) < self._batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                waiting.append(more)
            if waiting:
                self._write(waiting)
            if stop:
                return

    def _write(self, waiting: list[tuple[dict[str, Any], Any]]) -> None:
        try:
            chained = audit.append_all(self.path, [record for record, _ in waiting])
        except Exception as exc:  # every waiting request learns it, none hangs
            for _, future in waiting:
                future.set_exception(exc)
            return
        for (_, future), record in zip(waiting, chained, strict=True):
            future.set_result(record)
