"""Compiling many migration files at once, on several cores, for the loader.

A fresh checkout (or ``PYTHONDONTWRITEBYTECODE``) has no bytecode for its
migration files, and compiling them is most of the loader's time on a large
project: CPython compiles about 10 MB of source a second, so 100 files of a
1,000-model project cost ~75 ms before ``migrate`` can plan anything. Where
the platform forks cheaply, forked children compile shares of the files in
parallel and send the code objects back marshalled; the import itself stays
the standard one (``importlib.import_module``), with a finder whose loader
takes the compiled code instead of compiling again. Bytecode caching,
``__file__``, ``__spec__`` and errors are the import system's own: a file
that does not compile in a child is compiled again by the importer, which
raises its ``SyntaxError`` as usual.

Only files whose cached bytecode Python would not use are compiled ahead,
and only when there is enough source to pay for a fork (~1 ms), more than
one CPU, and no other thread (a child forked from a threaded process may
find a lock held by a thread it does not have).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import marshal
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["CompiledAhead", "can_fork_workers", "compile_ahead", "compiled_imports"]

# Below this much source to compile, a fork costs more than it saves.
PARALLEL_MIN_BYTES = 128 * 1024


def _bytecode_is_current(path: str, size: int, mtime: float) -> bool:
    """Whether the import system would use ``path``'s cached bytecode instead of compiling."""
    try:
        cache = importlib.util.cache_from_source(path)
        with open(cache, "rb") as handle:
            header = handle.read(16)
    except (OSError, NotImplementedError, ValueError):
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    if int.from_bytes(header[4:8], "little") & 0b1:
        return True  # hash-based: the importer checks it; compiling ahead could be wasted
    return (
        int.from_bytes(header[8:12], "little") == int(mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == size & 0xFFFFFFFF
    )


def _sources_to_compile(paths: list[str]) -> list[tuple[str, int]]:
    """``(path, size)`` of each file the importer would compile from source."""
    result = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            continue
        if not _bytecode_is_current(path, stat.st_size, stat.st_mtime):
            result.append((path, stat.st_size))
    return result


def _compile_files(paths: list[str]) -> dict[str, tuple[bytes, Any]]:
    """Each file's source and code object, compiled as the importer would; failures left out."""
    compiled = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                source = handle.read()
            compiled[path] = (source, compile(source, path, "exec", dont_inherit=True))
        except Exception:
            continue  # the importer compiles it again and reports the error itself
    return compiled


def _workers() -> int:
    """How many processes may compile at once here (1: compile in this process only)."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return 1
    if threading.active_count() > 1:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork_workers() -> bool:
    """Whether work may be given to forked processes here, on other CPUs (see `_workers`)."""
    return _workers() >= 2


def _shares(files: list[tuple[str, int]], count: int, first_weight: float = 1.0) -> list[list[str]]:
    """``files`` cut into at most ``count`` runs, in order, of about equal source size.

    The first run is ``first_weight`` times the size of the others.
    """
    total = sum(size for _, size in files)
    bounds = [first_weight + index for index in range(count)]
    scale = max(total, 1) / bounds[-1]
    shares: list[list[str]] = [[] for _ in range(count)]
    share = 0
    done = 0
    for path, size in files:
        while share < count - 1 and done >= bounds[share] * scale:
            share += 1
        shares[share].append(path)
        done += size
    return [share for share in shares if share]


def _fork_compiler(paths: list[str]) -> tuple[int, int] | None:
    """Fork a child that compiles ``paths`` and sends them marshalled on a pipe; (pid, read end).

    The data is preceded by its length, so the reader need not wait for the
    end of the pipe: that comes only once the child's exit has released its
    copy of this process's memory.
    """
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: compile, write, and leave without running any cleanup
        status = 1
        try:
            os.close(read_end)
            data = marshal.dumps(_compile_files(paths))
            view = memoryview(len(data).to_bytes(8, "little") + data)
            while view:
                view = view[os.write(write_end, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(read_end: int) -> dict[str, tuple[bytes, Any]]:
    """What one forked compiler sent (nothing if it failed); the child is reaped apart."""
    chunks = []
    expected = None
    received = 0
    try:
        while expected is None or received < expected:
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                return {}
            chunks.append(chunk)
            received += len(chunk)
            if expected is None and received >= 8:
                data = b"".join(chunks)
                expected, chunks, received = int.from_bytes(data[:8], "little"), [data[8:]], received - 8
    finally:
        os.close(read_end)
    try:
        return marshal.loads(b"".join(chunks))
    except (EOFError, ValueError, TypeError):
        return {}


class CompiledAhead:
    """Code compiled ahead: this process's share, and each child's once first asked for.

    A child's share is read when the importer reaches its first file, so this
    process imports its own share (the first files) while the children still
    compile theirs. (Reading each file as it is compiled was tried: blocking
    once per file cost more than it overlapped, on a 2-CPU virtual machine.)
    """

    def __init__(self, own: dict[str, tuple[bytes, Any]],
                 children: list[tuple[int, int, list[str]]]) -> None:
        self.compiled = own
        self._children = {path: child for child in children for path in child[2]}
        self._running = [pid for pid, _, _ in children]

    def take(self, path: str) -> tuple[bytes, Any] | None:
        """``path``'s source and code (once), waiting for its child if needed; None if not compiled."""
        child = self._children.get(path)
        if child is not None:
            self._receive(child)
        return self.compiled.pop(path, None)

    def _receive(self, child: tuple[int, int, list[str]]) -> None:
        _, read_end, paths = child
        for path in paths:
            self._children.pop(path, None)
        self.compiled.update(_collect(read_end))

    def wait(self) -> dict[str, tuple[bytes, Any]]:
        """Every child's code received and every child reaped; everything not taken yet."""
        while self._children:
            self._receive(next(iter(self._children.values())))
        while self._running:
            os.waitpid(self._running.pop(), 0)
        return self.compiled

    def __len__(self) -> int:
        return len(self.compiled) + len(self._children)


# This process also imports its share while the children compile theirs: it takes less.
OWN_SHARE_WEIGHT = 0.7


def compile_ahead(paths: list[str], workers: int | None = None) -> CompiledAhead | None:
    """Start compiling the files among ``paths`` the importer would compile, in parallel.

    None when compiling ahead would not pay (little source, one CPU, threads,
    no fork): the importer then compiles each file itself, as usual. This
    process compiles the first files before returning; forked children
    compile the rest meanwhile.
    """
    files = _sources_to_compile(paths)
    if not files or sum(size for _, size in files) < PARALLEL_MIN_BYTES:
        return None
    count = _workers() if workers is None else workers
    if count < 2:
        return None
    own, *others = _shares(files, count, OWN_SHARE_WEIGHT)
    children = []
    for share in others:
        child = _fork_compiler(share)
        if child is None:
            own.extend(share)
        else:
            children.append((*child, share))
    return CompiledAhead(_compile_files(own), children)


class _CompiledLoader(importlib.machinery.SourceFileLoader):
    """The standard source loader, taking code compiled ahead for the same source bytes."""

    def __init__(self, fullname: str, path: str, compiled: tuple[bytes, Any]) -> None:
        super().__init__(fullname, path)
        self._compiled: tuple[bytes, Any] | None = compiled

    def get_code(self, fullname: str) -> Any:
        """The code compiled ahead, or the standard loader's (which then writes the bytecode).

        With bytecode writing off, the standard path would only stat the file,
        look for the cached bytecode found stale before compiling, and read the
        source again: the code compiled ahead, from the source as read then, is
        returned as is.
        """
        if sys.dont_write_bytecode and self._compiled is not None:
            compiled, self._compiled = self._compiled, None
            return compiled[1]
        return super().get_code(fullname)

    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> Any:  # type: ignore[override]
        compiled, self._compiled = self._compiled, None
        if compiled is not None and _optimize == -1 and compiled[0] == data:
            return compiled[1]
        return super().source_to_code(data, path, _optimize=_optimize)


class _CompiledFinder:
    """A meta path finder for the modules compiled ahead; any other name is left to the rest."""

    def __init__(self, modules: dict[str, str], compiled: CompiledAhead) -> None:
        self.modules = modules
        self.compiled = compiled

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        file_path = self.modules.get(fullname)
        if file_path is None:
            return None
        compiled = self.compiled.take(file_path)
        if compiled is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, file_path, loader=_CompiledLoader(fullname, file_path, compiled)
        )


@contextmanager
def compiled_imports(modules: dict[str, str]) -> Iterator[None]:
    """Within the block, importing one of ``modules`` (name -> file) uses code compiled ahead.

    The files start compiling on entry (see ``compile_ahead``); each import
    then runs through ``importlib`` as usual. On exit every child is waited for.
    """
    compiled = compile_ahead(list(modules.values()))
    if compiled is None:
        yield
        return
    finder = _CompiledFinder(modules, compiled)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        compiled.wait()
