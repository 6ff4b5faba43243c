"""Opening a project: the engine, its connection settings, migrations with a backup, first-run seeding.

A project is a SQLAlchemy URL. A plain path means one SQLite file (a folder means ``project.trproj``
inside it; a new file is given the ``.trproj`` ending). SQLite runs with WAL, ``synchronous=FULL``,
foreign keys on and a busy timeout, so a decision is on disk when its transaction commits.

A SQLite project on storage this user cannot write (a read-only share, an archive) opens read-only:
everything can be looked at, and every write is refused with a message. Failures of the environment
while writing (the disk is full, the file went read-only) become a ``ProjectError`` with a plain message;
no message ever carries a database password (``store.secrets``). Migrating and seeding a project take
the project's migration lock, so two programs opening a new project at once create it once.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reviewer.errors import ProjectError
from reviewer.store import locks, secrets
from reviewer.store import models as m

PROJECT_SUFFIX = ".trproj"
DEFAULT_PROJECT_FILE = "project" + PROJECT_SUFFIX
DEFAULT_STAGES = ("Triage", "Shortlist", "Selects")
BUSY_TIMEOUT_MS = 10_000
BUSY_PATIENCE_S = 120.0  # how long a write keeps retrying a SQLite file other processes keep busy

_P = ParamSpec("_P")
_R = TypeVar("_R")


def project_url(target: str | Path) -> str:
    """The SQLAlchemy URL for a project given as a URL, a file path or a folder."""
    text = str(target)
    if "://" in text:
        # postgresql:// means psycopg (version 3) here, the driver we ship, not SQLAlchemy's default.
        for plain in ("postgresql://", "postgres://"):
            if text.startswith(plain):
                return "postgresql+psycopg://" + text[len(plain) :]
        return text
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / DEFAULT_PROJECT_FILE
    elif path.suffix != PROJECT_SUFFIX and not path.exists() and not path.is_symlink():
        path = path.with_name(path.name + PROJECT_SUFFIX)  # a new project is a .trproj file
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def _busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked" / "busy": another process holds the write lock, or this
    transaction's snapshot went stale under a writer (SQLITE_BUSY_SNAPSHOT, not waited for at all)."""
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and any(
        word in str(orig).lower() for word in ("locked", "busy")
    )


def retry_busy(write: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``write`` (a function that is one transaction, rolled back whole on error) again while a
    SQLite file is busy: SQLite's own busy handler waits, but sleeps and polls without a queue, so under
    several processes writing at full speed one of them can wait past its timeout, and a transaction
    that read before writing fails at once on a stale snapshot. A reviewer never sees "database is
    locked"; after ``BUSY_PATIENCE_S`` of it, a clear error."""

    @functools.wraps(write)
    def retrying(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        deadline = time.monotonic() + BUSY_PATIENCE_S
        pause = 0.005
        while True:
            try:
                return write(*args, **kwargs)
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                if time.monotonic() > deadline:
                    raise ProjectError(
                        f"The project stayed busy for {BUSY_PATIENCE_S:.0f} s (other processes writing to it); "
                        "nothing was recorded. Try again."
                    ) from None
            time.sleep(
                pause * (0.5 + random.random())
            )  # jittered: the waiting processes do not collide again
            pause = min(pause * 2, 0.2)

    return retrying


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("reviewer.store") / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the migration chain has no head"
    return head


@dataclass
class Project:
    """An open project: the engine and the session factory every layer above uses.

    ``url`` never holds a password (it is shown, and kept in settings)."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    read_only: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        """The SQLite file of the project, or None for a server database."""
        database = make_url(self.url).database
        return Path(database) if self.is_sqlite and database else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        if self.read_only:
            raise ProjectError(read_only_message(self.path))
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def exclusive(self, name: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the project's lock ``name`` (say ``ingest``) against other processes for the block;
        ``on_wait`` is called once if another holds it and this one waits."""
        if self.path is not None:
            with locks.file_lock(locks.lock_file(self.path, name), on_wait):
                yield
        elif self.engine.dialect.name == "postgresql":
            with locks.server_lock(self.engine, name, on_wait):
                yield
        else:
            yield

    def setting(self, key: str, default: Any = None) -> Any:
        with self.sessions() as session:
            row = session.get(m.Setting, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        with self.session() as session:
            session.merge(m.Setting(key=key, value=value))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _backup_sqlite(path: Path, revision: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(backup)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return backup


def read_only_message(path: Path | None) -> str:
    where = f" ({path})" if path else ""
    return (
        f"This project is open read-only{where}: its storage cannot be written from this workstation, so "
        "nothing can be recorded. Copy it somewhere writable to review in it."
    )


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _migrate(engine: Engine, project_path: Path | None, read_only: bool = False) -> None:
    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = head_revision()
    current = _current_revision(engine)
    if current == head:
        return
    if read_only:
        if current is None:
            raise ProjectError(f"{project_path} is not a Take Reviewer project")
        raise ProjectError(
            f"This project (schema {current}) needs an upgrade to this version's schema {head}, and its "
            f"storage is read-only here ({project_path}): open it once where it can be written."
        )
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            raise ProjectError(
                f"This project was written by a newer version of Take Reviewer (schema {current}); "
                f"this version knows schema {head} at most. Update Take Reviewer to open it."
            ) from None
        if project_path is not None:
            _backup_sqlite(project_path, current)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # A migration that changes a column makes the table anew (SQLite's ALTER TABLE cannot): with
            # foreign keys on, dropping the old ``takes`` would cascade into every take's events. SQLite
            # takes this pragma only outside a transaction; the check after says nothing dangles.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise ProjectError("The project's upgrade left dangling references; it was not changed")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def _seed(project: Project) -> None:
    """Stages and the defect taxonomy for a new project; leaves an existing one alone."""
    with project.session() as session:
        if session.scalar(select(m.Stage.id).limit(1)) is None:
            for position, name in enumerate(DEFAULT_STAGES):
                session.add(m.Stage(name=name, position=position))
        if session.scalar(select(m.Tag.id).limit(1)) is None:
            for name in default_defect_tags():
                session.add(m.Tag(name=name, kind="defect"))


def default_defect_tags() -> list[str]:
    import json

    text = (resources.files("reviewer.resources") / "defect_tags.json").read_text(encoding="utf-8")
    return [str(t) for t in json.loads(text)]


def _needs_preparing(project: Project) -> bool:
    if _current_revision(project.engine) != head_revision():
        return True
    with project.sessions() as session:
        return (
            session.scalar(select(m.Stage.id).limit(1)) is None
            or session.scalar(select(m.Tag.id).limit(1)) is None
        )


def _sqlite_read_only(path: Path) -> bool:
    """A project file this process cannot write, or in a folder where SQLite cannot make its journal."""
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK))


def _translate_errors(engine: Engine, where: str, password: str | None) -> None:
    """The environment's failures while writing, as ``ProjectError``s with a plain message."""

    @event.listens_for(engine, "handle_error")
    def translate(context: Any) -> None:
        orig = context.original_exception
        text = str(orig).lower()
        if "database or disk is full" in text or "no space left" in text or "disk full" in text:
            raise ProjectError(
                f"The disk holding the project is full ({where}): the last change was not recorded; "
                "everything before it is kept. Free some space and go on."
            ) from None
        if "readonly database" in text or ("read-only" in text and isinstance(orig, sqlite3.Error)):
            raise ProjectError(read_only_message(Path(where) if "://" not in where else None)) from None
        if password and password in str(orig):
            raise ProjectError(
                f"Cannot use the project {where}: {secrets.scrub(str(orig), password)}"
            ) from None


def open_project(target: str | Path, *, create: bool = True) -> Project:
    """Open (and migrate) a project; create it when ``create`` and it does not exist yet.

    A server database's password comes from the URL, else the system keyring, else libpq's own
    ``$PGPASSWORD`` or ``~/.pgpass``; it is never part of ``Project.url`` or of a message."""
    url = project_url(target)
    parsed = make_url(url)
    password = parsed.password if isinstance(parsed.password, str) else None
    shown = secrets.without_password(url)
    if parsed.get_backend_name() == "postgresql" and password is None:
        password = secrets.keyring_password(parsed)
        if password is not None:
            parsed = parsed.set(password=password)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    path: Path | None = None
    read_only = False
    if is_sqlite and parsed.database:
        path = Path(parsed.database)
        if not path.exists():
            if not create:
                raise ProjectError(f"No project at {path}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProjectError(
                    f"Cannot create the project folder {path.parent}: {exc.strerror}"
                ) from None
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise ProjectError(f"Cannot create a project in {path.parent}: that folder is read-only here")
        elif path.is_dir():
            raise ProjectError(f"{path} is a folder, not a project file")
        read_only = _sqlite_read_only(path)
    engine = _engine(parsed, path, read_only)
    where = str(path) if path is not None else secrets.redact(shown)
    _translate_errors(engine, where, password)
    project = Project(url=shown, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False),
                      read_only=read_only)  # fmt: skip
    try:
        if read_only:
            _migrate(engine, path, read_only=True)
        elif _needs_preparing(project):
            with project.exclusive("migrate"):
                _migrate(engine, path)
                _seed(project)
    except ProjectError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        reason = secrets.scrub(str(exc.orig), password)
        raise ProjectError(f"Cannot open the project {where}: {reason}") from None
    return project


def _engine(url: Any, path: Path | None, read_only: bool) -> Engine:
    kwargs: dict[str, Any] = {}
    if path is not None:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        if read_only:
            engine = create_engine(f"sqlite:///{_read_only_uri(path)}&uri=true", **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas_read_only)
            return engine
    engine = create_engine(url, **kwargs)
    if path is not None:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _read_only_uri(path: Path) -> str:
    """SQLite's URI for reading a file we cannot write: ``mode=ro`` where it can share the journal's
    index with writers (the folder is writable, or the index is there), else ``immutable=1``: the file
    is read as it is, without locks (a read-only share or archive is not being written either)."""
    from urllib.parse import quote

    quoted = quote(str(path))
    shm = path.with_name(path.name + "-shm")
    if os.access(path.parent, os.W_OK | os.X_OK) or (shm.exists() and os.access(shm, os.R_OK)):
        return f"file:{quoted}?mode=ro"
    return f"file:{quoted}?immutable=1"
