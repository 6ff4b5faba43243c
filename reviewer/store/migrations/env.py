"""Alembic environment: migrations run in-process on the connection the project store hands over.

``reviewer.store.db`` puts the open connection into ``config.attributes["connection"]``; there is no
alembic.ini and no URL here, so the same chain runs on SQLite and PostgreSQL.
"""

from alembic import context

from reviewer.store.models import Base

connection = context.config.attributes["connection"]


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The FTS5 tables are made by raw DDL (reviewer.store.dialect), not by the models."""
    return not (type_ == "table" and (name or "").startswith("takes_fts"))


context.configure(
    include_object=include_object,
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
