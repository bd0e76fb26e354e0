"""Compiling many migration files at once, on several cores, for the loader.

A fresh checkout (or ``PYTHONDONTWRITEBYTECODE``) has no bytecode for its
migration files, and compiling them is most of the loader's time on a large
project: CPython compiles about 10 MB of source a second, so 100 files of a
1,000-model project cost ~75 ms before ``migrate`` can plan anything. Where
the platform forks cheaply (``forked``), workers compile the later files in
parallel and send the code objects back marshalled, in batches, while this
process compiles and imports the first ones; the import itself stays
the standard one (``importlib.import_module``), with a finder whose loader
takes the compiled code instead of compiling again. Bytecode caching,
``__file__``, ``__spec__`` and errors are the import system's own: a file
that does not compile in a child is compiled again by the importer, which
raises its ``SyntaxError`` as usual.

Only files whose cached bytecode Python would not use are compiled ahead,
and only when there is enough source to pay for a fork (~2 ms). When the
importer reaches a worker's file before the worker has sent it, this process
compiles that worker's last files meanwhile rather than wait (a busy or
slow CPU then costs little more than compiling everything here).
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .forked import Worker, can_fork, cpu_count

__all__ = ["CompiledAhead", "compile_ahead", "compiled_imports"]

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
    return cpu_count() if can_fork() else 1


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


# A worker sends a batch once it has compiled this much source.
BATCH_BYTES = 32 * 1024


def _compile_and_send(paths: list[str], send: Callable[[Any], None]) -> None:
    """In a worker: compile ``paths`` in order, sending ``{path: (source, code)}`` batches."""
    batch: dict[str, tuple[bytes, Any]] = {}
    size = 0
    for path in paths:
        compiled = _compile_files([path]).get(path)
        if compiled is None:
            continue
        batch[path] = compiled
        size += len(compiled[0])
        if size >= BATCH_BYTES:
            send(batch)
            batch, size = {}, 0
    if batch:
        send(batch)


class _Share:
    """One worker's files: those it has not sent yet, and where this process may take over."""

    def __init__(self, worker: Worker, paths: list[str]) -> None:
        self.worker = worker
        self.paths = paths
        # This process compiles the share's files from the last one back while it would wait.
        self.next_to_take_over = len(paths) - 1


class CompiledAhead:
    """Code compiled ahead: this process's share at once, the workers' as their batches come.

    When the importer asks for a file whose worker has not sent it yet, this
    process reads whatever batches are in, and otherwise compiles that
    worker's last files itself, waiting only when none are left.
    """

    def __init__(self, own: dict[str, tuple[bytes, Any]], shares: list[_Share]) -> None:
        self.compiled = own
        self._shares = {path: share for share in shares for path in share.paths}
        self._all = shares
        self._taken: set[str] = set()
        self._failed: set[str] = set()

    def take(self, path: str) -> tuple[bytes, Any] | None:
        """``path``'s source and code (once); None if it was not compiled ahead."""
        if path in self._taken:
            return None  # given out already (imported again after a failure): the importer compiles
        share = self._shares.get(path)
        while (share is not None and path not in self.compiled and path not in self._failed
               and not share.worker.done):
            if share.worker.ready():
                self._receive(share)
            elif not self._take_over(share):
                share.worker.wait()
        self._taken.add(path)
        return self.compiled.pop(path, None)

    def _receive(self, share: _Share) -> None:
        batch = share.worker.receive()
        for path, compiled in (batch or {}).items():
            if path not in self._taken:
                self.compiled.setdefault(path, compiled)

    def _take_over(self, share: _Share) -> bool:
        """Compile the worker's last file not in yet; False when there is none left."""
        while share.next_to_take_over >= 0:
            path = share.paths[share.next_to_take_over]
            share.next_to_take_over -= 1
            if path in self.compiled or path in self._taken or path in self._failed:
                continue
            compiled = _compile_files([path])
            if compiled:
                self.compiled.update(compiled)
            else:
                self._failed.add(path)  # the importer compiles it again and reports the error
            return True
        return False

    def close(self) -> None:
        """Stop and reap the workers, without reading what they have not sent yet."""
        for share in self._all:
            share.worker.stop()
        self.compiled = {}

    def wait(self) -> dict[str, tuple[bytes, Any]]:
        """Every worker's batches read and every worker reaped; everything not taken yet."""
        for share in self._all:
            while not share.worker.done:
                self._receive(share)
            share.worker.stop()
        return self.compiled

    def __len__(self) -> int:
        return len(self.compiled) + sum(
            1 for path in self._shares if path not in self.compiled and path not in self._taken
        )


# This process also imports its share while the workers compile theirs: it takes less.
OWN_SHARE_WEIGHT = 0.55


def compile_ahead(paths: list[str], workers: int | None = None) -> CompiledAhead | None:
    """Start compiling the files among ``paths`` the importer would compile, in parallel.

    None when compiling ahead would not pay (little source, one CPU, threads,
    no fork): the importer then compiles each file itself, as usual. This
    process compiles the first files before returning; forked workers
    compile the rest meanwhile.
    """
    files = _sources_to_compile(paths)
    if not files or sum(size for _, size in files) < PARALLEL_MIN_BYTES:
        return None
    count = _workers() if workers is None else workers
    if count < 2:
        return None
    own, *others = _shares(files, count, OWN_SHARE_WEIGHT)
    shares = []
    for share_paths in others:
        worker = Worker.start(functools.partial(_compile_and_send, share_paths))
        if worker is None:
            own.extend(share_paths)
        else:
            shares.append(_Share(worker, share_paths))
    return CompiledAhead(_compile_files(own), shares)


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
    then runs through ``importlib`` as usual. On exit the workers are stopped.
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
        compiled.close()
