"""A forked worker process sending its results back in batches, for work done on another CPU.

The loader compiles migration files, and the executor writes the statements
of new tables, in such workers (``compiling``, ``ahead``). A worker is a
copy of this process made by ``fork``: it computes from what it inherited,
never touches a connection (the connections are this process's), sends
marshalled batches on a pipe, each preceded by its length, and leaves with
``os._exit`` (no cleanup, no flushing of inherited buffers). Reading never
waits on the pipe unless asked to (`wait`), so a process with other work to
do does it instead.

Where to use one is `can_fork`'s call: Linux, more than one CPU, no other
thread (a child forked from a threaded process may find a lock held by a
thread it does not have), and not turned off with the environment variable
``MANOUCHE_FORK_WORKERS=0``.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Worker", "can_fork", "cpu_count"]

# The pipe's capacity asked for (Linux's default limit for it, /proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether work may go to forked workers here (see the module); ``MANOUCHE_FORK_WORKERS=0`` says no."""
    return (
        os.environ.get("MANOUCHE_FORK_WORKERS", "1") != "0"
        and hasattr(os, "fork")
        and sys.platform.startswith("linux")
        and threading.active_count() == 1
        and cpu_count() > 1
    )


class Worker:
    """One forked worker: ``work(send)`` runs in the child; batches come back with `receive`."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self.read_end = read_end

    @classmethod
    def start(cls, work: Callable[[Callable[[Any], None]], None]) -> Worker | None:
        """Fork a child running ``work(send)``; None if the process cannot fork.

        ``send(value)`` marshals ``value`` and writes it as one batch.
        """
        read_end, write_end = os.pipe()
        try:
            # Room for everything a worker sends, so it never stops to wait for the reader.
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (AttributeError, OSError):
            pass
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child
            try:
                os.close(read_end)

                def send(value: Any) -> None:
                    data = marshal.dumps(value)
                    view = memoryview(len(data).to_bytes(8, "little") + data)
                    while view:
                        view = view[os.write(write_end, view):]

                work(send)
            finally:
                os._exit(0)
        os.close(write_end)
        return cls(pid, read_end)

    @property
    def done(self) -> bool:
        """Whether everything it sent has been read (the end, or a failure)."""
        return self.read_end < 0

    def ready(self) -> bool:
        """Whether a batch (or the end) can be read without waiting for the worker."""
        return self.read_end >= 0 and bool(select.select([self.read_end], [], [], 0)[0])

    def wait(self) -> None:
        """Wait until a batch (or the end) can be read."""
        if self.read_end >= 0:
            select.select([self.read_end], [], [])

    def receive(self) -> Any:
        """The next batch (waiting for it if needed); None at the end, or if the worker failed."""
        header = self._read(8)
        value = None
        if header is not None:
            data = self._read(int.from_bytes(header, "little"))
            try:
                value = marshal.loads(data) if data is not None else None
            except (EOFError, ValueError, TypeError):
                value = None
        if value is None:
            # Reaped later (stop): its exit releases a copy of this process's memory, which takes a while.
            self._close()
        return value

    def _read(self, size: int) -> bytes | None:
        chunks = []
        while size > 0 and self.read_end >= 0:
            try:
                chunk = os.read(self.read_end, min(size, 1 << 20))
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks) if size == 0 else None

    def _close(self) -> None:
        if self.read_end >= 0:
            os.close(self.read_end)
            self.read_end = -1

    def stop(self) -> None:
        """Stop reading and reap the worker (ended first if it may still be at work)."""
        if self.pid <= 0:
            return
        if self.read_end >= 0:
            self._close()
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass  # reaped already (SIGCHLD ignored, or a wait() for any child in the program)
        self.pid = 0
