"""What the workspace reads in its worker threads: plain functions over the project, no Qt.

Each returns what the GUI thread then only applies (the catalogue, a page of counts, a take's notes
and history, others' changes since the last poll), so the window never waits on the database for them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from reviewer.review import dashboard, live, shots, stacks, votes
from reviewer.review.catalog import Catalog, Update, read_shot_order, read_update
from reviewer.review.decisions import HistoryEntry, Note, history, notes_of
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project
from reviewer.untrusted import for_terminal

# The catalogue, the take count, unreadable files, the project's name, all tags, the defect tags.
Loaded = tuple[Catalog, int, int, str, list[str], list[str]]
# A take's id, notes, history and, at a voted stage, the votes line as its viewer may see them.
Details = tuple[int, list[Note], list[HistoryEntry], str]


def load_catalog(project: Project, limit: int | None) -> Loaded:
    """The catalogue (or its first ``limit`` takes) and what the window shows beside it."""
    with project.engine.connect() as conn:
        catalog = Catalog.load(conn, limit=limit)
        total = conn.execute(select(queries.func.count()).select_from(m.Take)).scalar_one()
        problems = conn.execute(select(queries.func.count()).select_from(m.Problem)).scalar_one()
        tags = [t for (t,) in conn.execute(select(m.Tag.name).order_by(m.Tag.name))]
        defects = [
            t for (t,) in conn.execute(select(m.Tag.name).where(m.Tag.kind == "defect").order_by(m.Tag.id))
        ]
    name = for_terminal(project.setting("name") or (project.path.stem if project.path else project.url))
    return catalog, int(total), int(problems), str(name), tags, defects


def load_stacks(project: Project) -> list[list[int]]:
    with project.sessions() as session:
        return stacks.find(session)


def count_funnel(project: Project) -> queries.Funnel:
    with project.sessions() as session:
        return queries.funnel(session)


def read_live(
    project: Project, seen: live.Seen, mine: frozenset[int], me: tuple[str, str]
) -> tuple[live.Seen, Update | None]:
    """Others' events since ``seen`` and their takes re-read (None: takes were added, reload).
    ``mine``: events this window wrote; ``me``: (reviewer, workstation)."""
    now = live.since(project, seen)
    if now.last_take > seen.last_take:
        return now, None
    ids = {t for e, t, name, host in now.events if e not in mine and (name, host) != me}
    with project.engine.connect() as conn:
        return now, read_update(conn, ids)


def load_details(project: Project, take_id: int, viewer: str) -> Details:
    team_rules = votes.rules(project)
    revealed = list(team_rules.revealed)
    with project.sessions() as session:
        state = session.get(m.TakeState, take_id)
        said = ""
        if state is not None and not state.rejected and state.stage_pos in team_rules.voting:
            is_open = team_rules.is_revealed(state.stage_pos)
            said = (
                "Votes: " + votes.tally(session, state.stage_pos, [take_id], viewer, is_open)[take_id].text()
            )
        return take_id, notes_of(session, take_id), history(session, take_id, viewer, revealed), said


def take_rows(project: Project, take_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The takes' full rows (``reviewer takes --json`` shape) by id."""
    with project.sessions() as session:
        return {int(r["id"]): r for r in queries.take_rows(session, take_ids)}


def find_duplicates(project: Project, take_id: int) -> tuple[int, list[int]]:
    from reviewer.review.duplicates import near_duplicates

    with project.sessions() as session:
        return take_id, [t for t, _d in near_duplicates(session, take_id)]


def load_dashboard(project: Project) -> dashboard.Dashboard:
    with project.sessions() as session:
        return dashboard.load(session)


def read_takes(project: Project, take_ids: list[int]) -> Update:
    """These takes as the catalogue holds them (``Catalog.apply`` takes it in)."""
    with project.engine.connect() as conn:
        return read_update(conn, take_ids)


def all_tags(project: Project) -> list[str]:
    with project.sessions() as session:
        return list(session.scalars(select(m.Tag.name).order_by(m.Tag.name)))


def shot_order(project: Project) -> dict[str, tuple[int, str]]:
    """The shot board's order (``Catalog.take_shots`` takes it in)."""
    with project.engine.connect() as conn:
        return read_shot_order(conn)


def project_fps(project: Project) -> float:
    """The rate most takes have (for durations given in seconds or timecode)."""
    with project.sessions() as session:
        row = session.execute(
            select(m.Take.fps_num, m.Take.fps_den, func.count().label("n"))
            .where(m.Take.fps_num > 0)
            .group_by(m.Take.fps_num, m.Take.fps_den)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    return row.fps_num / row.fps_den if row and row.fps_den else shots.DEFAULT_FPS


def the_cut(project: Project) -> list[shots.CutItem]:
    """The heroes of every shot in board order (``shots.cut``)."""
    with project.sessions() as session:
        return shots.cut(session)


def hero_candidates(project: Project, code: str) -> list[int]:
    """The takes of the shot that may be its hero (``shots.candidates``)."""
    with project.sessions() as session:
        return shots.candidates(session, code)
