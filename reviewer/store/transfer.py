"""Copy a whole project between stores: a SQLite file to a PostgreSQL database and back.

Every table of the schema is copied row for row with its ids, so the event log, the derived state and
every reference between them come across unchanged; the target must be a new (empty) project. The copy
is one transaction on the target: it is all there or not at all. Afterwards PostgreSQL's id sequences
are moved past the copied ids, and the row count of every table is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, func, select, text, update

from reviewer.errors import KnownError
from reviewer.store import models as m
from reviewer.store import secrets
from reviewer.store.db import Project, open_project

BATCH = 5000


@dataclass
class Copied:
    tables: dict[str, int]  # rows per table

    @property
    def takes(self) -> int:
        return self.tables.get(m.Take.__tablename__, 0)

    @property
    def events(self) -> int:
        return self.tables.get(m.Event.__tablename__, 0)


def _order() -> list[Table]:
    """Tables so that every row's references exist before it (shots' hero is set after the takes)."""
    return list(m.Base.metadata.sorted_tables)


def migrate(source: str, target: str, progress: Callable[[str, int, int], None] | None = None) -> Copied:
    """Copy the project at ``source`` into a new project at ``target`` (paths or database URLs)."""
    src = open_project(source, create=False)
    try:
        dst = open_project(target)
    except BaseException:
        src.close()
        raise
    try:
        with dst.sessions() as session:
            if session.scalar(select(func.count()).select_from(m.Take)) or session.scalar(
                select(func.count()).select_from(m.Event)
            ):
                raise KnownError(
                    f"{secrets.redact(target)} already holds a project: migrate into a new, empty one"
                )
        return _copy(src, dst, progress)
    finally:
        src.close()
        dst.close()


def _copy(src: Project, dst: Project, progress: Callable[[str, int, int], None] | None) -> Copied:
    tables = _order()
    counts: dict[str, int] = {}
    heroes: list[dict[str, object]] = []
    with src.engine.connect() as read, dst.engine.begin() as write:
        for table in reversed(tables):  # the new project's own seed (stages, tags) makes way
            write.execute(table.delete())
        for table in tables:
            total = read.execute(select(func.count()).select_from(table)).scalar_one()
            done = 0
            key = [c for c in table.primary_key.columns]
            rows = read.execution_options(stream_results=True).execute(select(table).order_by(*key))
            while True:
                batch = [dict(r._mapping) for r in rows.fetchmany(BATCH)]
                if not batch:
                    break
                if table is m.Shot.__table__:  # a shot's hero is a take, which comes later
                    heroes += [
                        {"sid": r["id"], "hero": r["hero_take_id"]} for r in batch if r["hero_take_id"]
                    ]
                    for r in batch:
                        r["hero_take_id"] = None
                write.execute(table.insert(), batch)
                done += len(batch)
                if progress is not None:
                    progress(table.name, done, total)
            counts[table.name] = done
        if heroes:
            for row in heroes:
                write.execute(update(m.Shot).where(m.Shot.id == row["sid"]).values(hero_take_id=row["hero"]))
        if write.dialect.name == "postgresql":
            for table in tables:
                if "id" in table.c and table.c.id.autoincrement is not False and len(table.primary_key) == 1:
                    write.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
        for table in tables:  # the same rows in every table, or nothing is committed
            there = write.execute(select(func.count()).select_from(table)).scalar_one()
            if there != counts[table.name]:
                raise KnownError(
                    f"Copying {table.name} went wrong: {counts[table.name]} rows read, {there} written"
                )
    return Copied(counts)
