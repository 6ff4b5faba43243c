"""Opening a project: the engine, its connection settings, migrations with a backup, first-run seeding.

A project is a SQLAlchemy URL. A plain path means one SQLite file (a folder means ``project.trproj``
inside it). SQLite runs with WAL, ``synchronous=FULL``, foreign keys on and a busy timeout, so a
decision is on disk when its transaction commits.
"""

from __future__ import annotations

import datetime as dt
import functools
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
    return f"sqlite:///{path.resolve()}"


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
    """An open project: the engine and the session factory every layer above uses."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

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
        with self.sessions.begin() as session:
            yield session

    def setting(self, key: str, default: Any = None) -> Any:
        with self.sessions() as session:
            row = session.get(m.Setting, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        with self.session() as session:
            session.merge(m.Setting(key=key, value=value))

    def close(self) -> None:
        self.engine.dispose()


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


def _migrate(engine: Engine, project_path: Path | None) -> None:
    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = head_revision()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
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
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


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


def open_project(target: str | Path, *, create: bool = True) -> Project:
    """Open (and migrate) a project; create it when ``create`` and it does not exist yet."""
    url = project_url(target)
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    path: Path | None = None
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
        elif path.is_dir():
            raise ProjectError(f"{path} is a folder, not a project file")
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _migrate(engine, path)
    except ProjectError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise ProjectError(f"Cannot open the project {path or url}: {exc.orig}") from None
    project = Project(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
    _seed(project)
    return project
