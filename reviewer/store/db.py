"""Opening a project: the engine, its connection settings, migrations with a backup, first-run seeding.

A project is a SQLAlchemy URL. A plain path means one SQLite file (a folder means ``project.trproj``
inside it). SQLite runs with WAL, ``synchronous=FULL``, foreign keys on and a busy timeout, so a
decision is on disk when its transaction commits.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from reviewer.errors import ProjectError
from reviewer.store import models as m

PROJECT_SUFFIX = ".trproj"
DEFAULT_PROJECT_FILE = "project" + PROJECT_SUFFIX
DEFAULT_STAGES = ("Triage", "Shortlist", "Selects")
BUSY_TIMEOUT_MS = 10_000


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
