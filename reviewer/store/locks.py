"""Locks between processes on one project: one for migrating (so two programs opening a new project at
once do not both create its tables) and one for ingesting (so two ingests into one project take turns
instead of racing to insert the same takes).

A SQLite project locks a small file beside it (``flock``: per open file, released by the kernel when
the process dies, however it dies). A PostgreSQL project takes a session-level advisory lock on a
connection of its own, held for as long as the block runs (also released when the process dies).
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, text

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def lock_file(project_file: Path, name: str) -> Path:
    return project_file.with_name(f".{project_file.name}.{name}-lock")  # hidden: nobody needs to see it


@contextlib.contextmanager
def file_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be); ``on_wait`` is called once if another
    process holds it and this one has to wait."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield  # a folder we cannot write in: a read-only project, which writes nothing to race over
        return
    try:
        _lock(fd, on_wait)
        yield
    finally:
        os.close(fd)  # releases the lock


def _lock(fd: int, on_wait: Callable[[], None] | None) -> None:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        return
    import msvcrt  # pragma: no cover - Windows

    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        if on_wait is not None:
            on_wait()
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s
                break
            except OSError:
                continue


def advisory_key(name: str) -> int:
    """A stable 63-bit key for ``pg_advisory_lock`` (the same in every process and version)."""
    return zlib.crc32(f"take-reviewer:{name}".encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def server_lock(engine: Engine, name: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """A PostgreSQL advisory lock, on its own connection, for the duration of the block."""
    key = advisory_key(name)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not got:
            if on_wait is not None:
                on_wait()
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
