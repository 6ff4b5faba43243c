"""A take's AI disclosure: generated, not generated or unknown, and the basis it rests on.

What a file says for itself is its *evidence* (read at ingest: C2PA manifests, container labels such as
the Chinese AIGC label or IPTC's digital source type in XMP, generator metadata), a list of items
``{"kind", "ai", "line"}`` strongest first. The disclosure is then, in this order:

1. a reviewer's **declaration** for the take (an event in the log: who, when, why), because a person who
   says so knows something the file does not;
2. the strongest **evidence** that decides (``ai`` true or false; a C2PA manifest that does not validate
   decides nothing, it is only reported);
3. the deepest **folder rule** that covers the take ("plates/ are camera originals");
4. the project's **default** for takes with no evidence at all: unknown unless the project says otherwise.

The result is stored on the take (``ai_generated``, ``ai_basis``, ``ai_basis_text``) so that filters,
exports and ``reviewer takes --json`` read it without knowing these rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.store import models as m

# the kinds of basis, strongest evidence first (the README explains each)
EVIDENCE_KINDS = ("c2pa", "c2pa-untrusted", "aigc-label", "iptc", "generator-metadata")
REPORT_ONLY = ("c2pa-invalid", "c2pa-unreadable")  # evidence that is reported and decides nothing
KINDS = (*EVIDENCE_KINDS, "declared", "rule", "default")
ANSWERS = {"yes": True, "no": False, "unknown": None}
EVIDENCE = "evidence"  # a declaration of "evidence" withdraws the one before: the evidence decides again
RULES_KEY = "disclosure.rules"
DEFAULT_KEY = "disclosure.default"

Db = Session | Connection
_TAKES = cast(Table, m.Take.__table__)


def word(ai: bool | None) -> str:
    return {True: "AI-generated", False: "not AI-generated", None: "unknown"}[ai]


def answer(text: str) -> str:
    """ "yes", "no" or "unknown" for the words people use (generated, ai, camera, real, ...)."""
    t = text.strip().lower()
    if t in ("yes", "y", "true", "ai", "generated", "gen"):
        return "yes"
    if t in ("no", "n", "false", "camera", "real", "not-ai", "notai", "plate", "stock", "human"):
        return "no"
    if t in ("unknown", "?", "none", "null"):
        return "unknown"
    raise KnownError(f"Say yes (AI-generated), no (not AI-generated) or unknown, not {text!r}")


@dataclass(frozen=True)
class Rule:
    """Takes under ``folder`` are (or are not) AI-generated. ``root`` "" matches the folder anywhere
    (``plates`` covers every ``.../plates/...``); a root's name matches only under that root, from its
    top (``folder`` "" is the whole root)."""

    folder: str
    ai: str  # yes / no / unknown
    root: str = ""
    why: str = ""
    by: str = ""
    at: str = ""

    def covers(self, root: str, relpath: str) -> bool:
        if self.root:
            return root == self.root and (not self.folder or relpath.startswith(self.folder + "/"))
        return f"/{self.folder}/" in f"/{relpath}"

    def depth(self) -> tuple[int, int]:
        return (len(PurePosixPath(self.folder).parts) if self.folder else 0, 1 if self.root else 0)

    def text(self) -> str:
        where = f"{self.root}:{self.folder or '/'}" if self.root else f"{self.folder}/"
        why = f" ({self.why})" if self.why else ""
        return f"folder rule {where}: {word(ANSWERS[self.ai])}{why}"

    def as_dict(self) -> dict[str, str]:
        return {
            "folder": self.folder,
            "ai": self.ai,
            "root": self.root,
            "why": self.why,
            "by": self.by,
            "at": self.at,
        }


def clean_folder(folder: str) -> str:
    parts = [p for p in PurePosixPath(folder.replace("\\", "/")).parts if p not in ("/", ".")]
    if ".." in parts:
        raise KnownError(f"A folder rule names a folder, not {folder!r}")
    return "/".join(parts)


def rules(session: Db) -> list[Rule]:
    value = session.execute(select(m.Setting.value).where(m.Setting.key == RULES_KEY)).scalar()
    out = []
    for item in value or []:
        if isinstance(item, dict) and item.get("ai") in ANSWERS:
            out.append(
                Rule(**{k: str(item.get(k) or "") for k in ("folder", "ai", "root", "why", "by", "at")})
            )
    return out


def default(session: Db) -> str:
    value = session.execute(select(m.Setting.value).where(m.Setting.key == DEFAULT_KEY)).scalar()
    return value if value in ANSWERS else "unknown"


def _put(session: Db, key: str, value: Any) -> None:
    if isinstance(session, Session):
        session.merge(m.Setting(key=key, value=value))
        session.flush()
        return
    done: Any = session.execute(update(m.Setting).where(m.Setting.key == key).values(value=value))
    if not done.rowcount:
        session.execute(insert(m.Setting), {"key": key, "value": value})


def set_rules(session: Db, new: Sequence[Rule]) -> None:
    _put(session, RULES_KEY, [r.as_dict() for r in new])


def set_default(session: Db, value: str) -> None:
    _put(session, DEFAULT_KEY, answer(value))


def rule_for(all_rules: Sequence[Rule], root: str, relpath: str) -> Rule | None:
    covering = [r for r in all_rules if r.covers(root, relpath)]
    return max(covering, key=Rule.depth) if covering else None


def resolve(
    evidence: Iterable[dict[str, Any]] | None,
    declaration: dict[str, Any] | None,
    rule: Rule | None,
    project_default: str,
) -> tuple[bool | None, str, str]:
    """(ai_generated, basis kind, the line a reader sees) by the order of the module's docstring."""
    items = list(evidence or [])
    if declaration and declaration.get("ai") in ANSWERS:
        ai = ANSWERS[declaration["ai"]]
        why = f": {declaration['why']}" if declaration.get("why") else ""
        return ai, "declared", f"declared {word(ai)} by {declaration.get('by') or 'a reviewer'}{why}"
    for item in items:
        if item.get("kind") in EVIDENCE_KINDS and item.get("ai") is not None:
            return bool(item["ai"]), str(item["kind"]), str(item.get("line") or item["kind"])
    reported = "; ".join(str(i.get("line")) for i in items if i.get("line"))
    if rule is not None:
        line = rule.text() + (f"; {reported}" if reported else "")
        return ANSWERS[rule.ai], "rule", line
    ai = ANSWERS[project_default]
    line = "no evidence in the file" + (f" ({reported})" if reported else "")
    return ai, "default", f"{line}; project default: {word(ai)}"


def refresh(session: Db, take_ids: Iterable[int] | None = None) -> int:
    """Store the disclosure of these takes (all when None) from what is known now; returns how many
    changed."""
    all_rules, project_default = rules(session), default(session)
    q = select(
        m.Take.id, m.MediaRoot.name, m.Take.relpath, m.Take.evidence, m.Take.declaration,
        m.Take.ai_generated, m.Take.ai_basis, m.Take.ai_basis_text,
    ).join(m.MediaRoot, m.MediaRoot.id == m.Take.root_id)  # fmt: skip
    ids = None if take_ids is None else list(take_ids)
    rows: list[Any] = []
    if ids is None:
        rows = list(session.execute(q))
    else:
        for start in range(0, len(ids), 500):
            rows.extend(session.execute(q.where(m.Take.id.in_(ids[start : start + 500]))))
    changes = []
    for r in rows:
        ai, kind, line = resolve(
            r.evidence, r.declaration, rule_for(all_rules, r.name, r.relpath), project_default
        )
        if (ai, kind, line) != (r.ai_generated, r.ai_basis, r.ai_basis_text):
            changes.append({"b_id": r.id, "ai_generated": ai, "ai_basis": kind, "ai_basis_text": line})
    if changes:
        stmt = (
            update(_TAKES)
            .where(_TAKES.c.id == bindparam("b_id"))
            .values(
                ai_generated=bindparam("ai_generated"),
                ai_basis=bindparam("ai_basis"),
                ai_basis_text=bindparam("ai_basis_text"),
            )
        )
        session.execute(stmt, changes)
    return len(changes)


def declaration_of(events: Sequence[Any], reviewers: dict[int, str] | None = None) -> dict[str, Any] | None:
    """The declaration in effect from a take's live events (undone ones already left out): the last
    reviewer's declaration, None when there is none or the last one gave the decision back to the
    evidence. Rule events are not declarations: the rule itself decides, where it applies."""
    last = None
    for e in events:
        if e.ai_declared is not None and e.source != "rule":
            last = e
    if last is None or last.ai_declared == EVIDENCE:
        return None
    at = last.at.isoformat() if isinstance(last.at, dt.datetime) else str(last.at or "")
    by = (reviewers or {}).get(last.reviewer_id, "") or str(last.reviewer_id)
    return {"ai": last.ai_declared, "by": by, "why": last.note or "", "at": at}


def c2pa_of(evidence: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The ``c2pa`` object of ``reviewer takes --json``: the manifest's facts, or why it could not be read."""
    for item in evidence or []:
        if item.get("c2pa"):
            return dict(item["c2pa"])
        if item.get("kind") == "c2pa-unreadable":
            return {"validation": "unreadable", "codes": [], "error": item.get("line", "")}
    return None
