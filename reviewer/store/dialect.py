"""Everything that differs between SQLite and PostgreSQL, in one place.

Full-text search over prompts and names: SQLite uses an FTS5 table kept in step with ``takes`` by
triggers; PostgreSQL uses ``to_tsvector`` over the same columns. The DDL constants are versioned by
the migration that created them and must not change once released: write a new constant for a new
migration instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text
from sqlalchemy.orm import Session

from reviewer.store import models as m

# Created by migration 0001.
SQLITE_FTS_V1 = (
    """CREATE VIRTUAL TABLE takes_fts USING fts5(
        name, prompt, negative_prompt, model,
        content='takes', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2 tokenchars '-_'")""",
    """CREATE TRIGGER takes_fts_ai AFTER INSERT ON takes BEGIN
        INSERT INTO takes_fts(rowid, name, prompt, negative_prompt, model)
        VALUES (new.id, new.name, new.prompt, new.negative_prompt, new.model);
    END""",
    """CREATE TRIGGER takes_fts_ad AFTER DELETE ON takes BEGIN
        INSERT INTO takes_fts(takes_fts, rowid, name, prompt, negative_prompt, model)
        VALUES ('delete', old.id, old.name, old.prompt, old.negative_prompt, old.model);
    END""",
    """CREATE TRIGGER takes_fts_au AFTER UPDATE OF name, prompt, negative_prompt, model ON takes BEGIN
        INSERT INTO takes_fts(takes_fts, rowid, name, prompt, negative_prompt, model)
        VALUES ('delete', old.id, old.name, old.prompt, old.negative_prompt, old.model);
        INSERT INTO takes_fts(rowid, name, prompt, negative_prompt, model)
        VALUES (new.id, new.name, new.prompt, new.negative_prompt, new.model);
    END""",
)
SQLITE_FTS_V1_DROP = (
    "DROP TRIGGER IF EXISTS takes_fts_au",
    "DROP TRIGGER IF EXISTS takes_fts_ad",
    "DROP TRIGGER IF EXISTS takes_fts_ai",
    "DROP TABLE IF EXISTS takes_fts",
)

_WORD = re.compile(r"[\w\-]+", re.UNICODE)


def _fts5_query(query: str) -> str:
    """A user's words as an FTS5 query: every word must match, each as a prefix, no operators."""
    words = _WORD.findall(query)
    return " ".join('"' + w.replace('"', "") + '"*' for w in words)


def text_match(session: Session, query: str) -> ColumnElement[bool]:
    """A condition on ``Take.id`` that holds for takes whose name, prompt or model match ``query``."""
    dialect = session.get_bind().dialect.name
    if not _WORD.search(query):
        return literal_column("1") == literal_column("1")
    if dialect == "sqlite":
        ids: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text("takes_fts"))
            .where(text("takes_fts MATCH :fts_query").bindparams(fts_query=_fts5_query(query)))
        )
        return m.Take.id.in_(ids)
    document = func.to_tsvector(
        "simple",
        func.concat_ws(" ", m.Take.name, m.Take.prompt, m.Take.negative_prompt, m.Take.model),
    )
    tsquery = func.to_tsquery("simple", " & ".join(w + ":*" for w in _WORD.findall(query)))
    return document.bool_op("@@")(tsquery)
