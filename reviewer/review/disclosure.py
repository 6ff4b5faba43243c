"""Declaring what the files cannot say: a reviewer's declaration per take, folder rules, the default.

Each is logged: a declaration is an event of its own (who, when, why; undone like any other), and a
folder rule, when it is made or removed, writes an event on every take it covers then, so a take's
history says why it is called what it is. The order in which these and the files' own evidence decide
is ``reviewer.store.disclosure``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.review.decisions import (
    FOLDER_RULE,
    Change,
    Decision,
    decide,
    default_reviewer,
    reviewer_id,
    workstation,
)
from reviewer.store import disclosure
from reviewer.store import models as m
from reviewer.store.db import Project, retry_busy
from reviewer.store.disclosure import Rule


def declare(
    project: Project, take_ids: int | Sequence[int], ai: str, why: str = "", reviewer: str | None = None
) -> Change:
    """Declare these takes AI-generated ("yes"), not ("no"), unknown, or give them back to their
    evidence ("evidence"); one event each."""
    value = ai if ai == disclosure.EVIDENCE else disclosure.answer(ai)
    return decide(project, take_ids, Decision(declare=value, note=why.strip() or None), reviewer)


def _covered(session: Session, rule: Rule) -> list[int]:
    rows = session.execute(
        select(m.Take.id, m.MediaRoot.name, m.Take.relpath).join(
            m.MediaRoot, m.MediaRoot.id == m.Take.root_id
        )
    )
    return [r.id for r in rows if rule.covers(r.name, r.relpath)]


def root_and_folder(project: Project, folder: str) -> tuple[str, str]:
    """(root name, folder under it) for a folder path on this workstation inside a media root; ("",
    folder) for a relative name, which matches that folder anywhere."""
    text = folder.strip()
    if not text:
        raise KnownError("Name a folder for the rule (plates/, or a path inside a media root)")
    if not text.startswith(("/", "~")) and ":" not in text[:3]:
        return "", disclosure.clean_folder(text)
    path = Path(text).expanduser().resolve()
    with project.sessions() as session:
        roots = [(r.name, Path(r.path).expanduser().resolve()) for r in session.scalars(select(m.MediaRoot))]
    for name, base in sorted(roots, key=lambda nb: len(nb[1].parts), reverse=True):
        if path == base or base in path.parents:
            return name, path.relative_to(base).as_posix() if path != base else ""
    raise KnownError(
        f"{folder} is in no media root of this project: ingest it first, or name a folder (plates/)"
    )


@retry_busy
def add_rule(
    project: Project, folder: str, ai: str, why: str = "", reviewer: str | None = None
) -> tuple[Rule, int]:
    """Make (or replace) the rule for ``folder``; returns it and how many takes it covers now."""
    root, sub = root_and_folder(project, folder)
    who = reviewer or default_reviewer()
    rule = Rule(
        folder=sub, ai=disclosure.answer(ai), root=root, why=why.strip(), by=who, at=m.utcnow().isoformat()
    )
    with project.session() as session:
        kept = [r for r in disclosure.rules(session) if (r.root, r.folder) != (rule.root, rule.folder)]
        disclosure.set_rules(session, [*kept, rule])
        covered = _covered(session, rule)
        _log(session, covered, rule.ai, rule.text(), who)
        disclosure.refresh(session, covered)
    return rule, len(covered)


@retry_busy
def remove_rule(project: Project, folder: str, reviewer: str | None = None) -> int:
    """Remove the rule for ``folder``; returns how many takes it covered."""
    root, sub = root_and_folder(project, folder)
    who = reviewer or default_reviewer()
    with project.session() as session:
        current = disclosure.rules(session)
        gone = [r for r in current if (r.root, r.folder) == (root, sub)]
        if not gone:
            raise KnownError(f"No folder rule for {folder}")
        disclosure.set_rules(session, [r for r in current if r not in gone])
        covered = _covered(session, gone[0])
        _log(session, covered, disclosure.EVIDENCE, f"removed {gone[0].text()}", who)
        disclosure.refresh(session, covered)
    return len(covered)


def _log(session: Session, take_ids: Sequence[int], ai: str, text: str, who: str) -> None:
    if not take_ids:
        return
    rid = reviewer_id(session, who)
    now, host = m.utcnow(), workstation()
    rows = [
        {**m.EVENT_DEFAULTS, "take_id": t, "reviewer_id": rid, "at": now, "workstation": host,
         "ai_declared": ai, "note": text, "source": FOLDER_RULE}
        for t in take_ids
    ]  # fmt: skip
    session.execute(insert(m.Event), rows)


@retry_busy
def set_default(project: Project, ai: str) -> int:
    """The answer for takes without evidence, declaration or rule; returns how many takes changed."""
    with project.session() as session:
        disclosure.set_default(session, ai)
        return disclosure.refresh(session)


def rules(project: Project) -> list[Rule]:
    with project.sessions() as session:
        return disclosure.rules(session)


def counts(project: Project) -> dict[str, int]:
    """Takes per answer: {"yes": n, "no": n, "unknown": n}."""
    with project.sessions() as session:
        rows = session.execute(select(m.Take.ai_generated).where(m.Take.missing.is_(False))).scalars()
        out = {"yes": 0, "no": 0, "unknown": 0}
        for ai in rows:
            out["yes" if ai is True else "no" if ai is False else "unknown"] += 1
        return out
