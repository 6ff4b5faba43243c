"""The decision log: stage rules, ratings, tags, notes, undo and redo, the funnel, durability."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from reviewer.errors import KnownError
from reviewer.review.decisions import Decision, decide, history, move_to_shot, undo
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project, open_project


def add_takes(project: Project, count: int, shot: str = "SH010") -> list[int]:
    """Takes as rows (no files needed for decision logic)."""
    with project.session() as session:
        root = session.scalar(select(m.MediaRoot)) or m.MediaRoot(name="r", path="/media")
        session.add(root)
        s = session.scalar(select(m.Shot).where(m.Shot.code == shot)) or m.Shot(
            code=shot, sort_order=int(shot[2:])
        )
        session.add(s)
        session.flush()
        first = (session.scalar(select(func.max(m.Take.id))) or 0) + 1
        ids = list(range(first, first + count))
        now = m.utcnow()
        session.execute(
            insert(m.Take),
            [dict(id=t, root_id=root.id, relpath=f"{shot}/t{i}.mp4", name=f"t{i}.mp4", content_hash=f"h{shot}{i}",
                  size=1, mtime=0.0, shot_id=s.id, prompt=f"a red truck number {i}", ingested_at=now,
                  updated_at=now) for i, t in enumerate(ids)],
        )  # fmt: skip
        session.execute(insert(m.TakeState), [{"take_id": t} for t in ids])
    if not project.is_sqlite:  # ids given explicitly: the sequence moves past them
        with project.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('takes', 'id'), :n)"), {"n": ids[-1]})
    return ids


def row(project: Project, take_id: int) -> dict:
    with project.sessions() as session:
        return next(queries.take_rows(session, [take_id]))


def test_keep_promotes_through_the_stages_and_reject_drops(project: Project) -> None:
    a, b = add_takes(project, 2)
    decide(project, a, Decision(verdict="keep"))
    assert (row(project, a)["stage"], row(project, a)["verdict"]) == ("Shortlist", None)
    decide(project, a, Decision(verdict="keep"))
    decide(project, a, Decision(verdict="keep"))
    assert (row(project, a)["stage"], row(project, a)["verdict"], row(project, a)["stage_position"]) == (
        "Selects", "keep", 3
    )  # fmt: skip
    decide(project, b, Decision(verdict="reject", tags_added=("morphing",)))
    assert (row(project, b)["stage"], row(project, b)["verdict"], row(project, b)["tags"]) == (
        "Triage", "reject", ["morphing"]
    )  # fmt: skip


def test_clear_and_a_verdict_at_an_earlier_stage(project: Project) -> None:
    (a,) = add_takes(project, 1)
    decide(project, a, Decision(verdict="keep"))
    decide(project, a, Decision(verdict="reject"))  # rejected at Shortlist
    assert (row(project, a)["stage"], row(project, a)["verdict"]) == ("Shortlist", "reject")
    decide(project, a, Decision(verdict="clear", stage="Triage"))
    assert (row(project, a)["stage"], row(project, a)["verdict"]) == ("Triage", None)
    with pytest.raises(KnownError, match="has not reached Selects"):
        decide(project, a, Decision(verdict="keep", stage="Selects"))
    with pytest.raises(KnownError, match="No stage called"):
        decide(project, a, Decision(verdict="keep", stage="Final cut"))


def test_rating_tags_and_notes(project: Project) -> None:
    (a,) = add_takes(project, 1)
    decide(project, a, Decision(rating=2, tags_added=("hands/anatomy", "my  tag ")))
    decide(project, a, Decision(rating=4, tags_removed=("hands/anatomy",), note="truck changes colour", frame_in=10,
                                frame_out=24))  # fmt: skip
    r = row(project, a)
    assert r["rating"] == 4 and r["tags"] == ["my tag"] and r["notes"] == 1 and r["stage"] == "Triage"
    with project.sessions() as session:
        note = session.scalars(select(m.Event).where(m.Event.note.is_not(None))).one()
        assert (note.frame_in, note.frame_out, note.reviewer.name) == (10, 24, "tester")
    for bad in (
        Decision(rating=6),
        Decision(),
        Decision(verdict="maybe"),
        Decision(note="x", frame_in=5, frame_out=2),
    ):
        with pytest.raises(KnownError):
            decide(project, a, bad)


def test_undo_and_redo_through_the_log(project: Project) -> None:
    (a,) = add_takes(project, 1)
    first = decide(project, a, Decision(verdict="keep", rating=3))
    second = decide(project, a, Decision(verdict="reject"))
    assert row(project, a)["verdict"] == "reject"
    undone = undo(project, second.event_ids)
    assert (row(project, a)["stage"], row(project, a)["verdict"]) == ("Shortlist", None)
    undo(project, undone.event_ids)  # redo
    assert row(project, a)["verdict"] == "reject"
    undo(project, first.event_ids)
    r = row(project, a)
    assert (r["stage"], r["rating"]) == (
        "Triage",
        None,
    )  # the reject was at Shortlist, which is no longer reached
    with project.sessions() as session:
        assert len(list(session.scalars(select(m.Event)))) == 5  # nothing is ever deleted from the log


def test_bulk_decision_is_one_transaction(project: Project) -> None:
    ids = add_takes(project, 5)
    change = decide(project, ids, Decision(verdict="reject", tags_added=("flicker",)))
    assert change.take_ids == set(ids) and len(change.event_ids) == 5
    with pytest.raises(KnownError):
        decide(project, [*ids[:2], 99999], Decision(verdict="keep"))
    assert all(row(project, i)["verdict"] == "reject" for i in ids)  # the failed bulk changed nothing


def test_funnel_counts_per_stage_and_shot(project: Project) -> None:
    a = add_takes(project, 4, "SH010")
    b = add_takes(project, 2, "SH020")
    decide(project, a[:3], Decision(verdict="keep"))
    decide(project, a[3], Decision(verdict="reject"))
    decide(project, a[0], Decision(verdict="keep"))
    decide(project, a[1], Decision(verdict="reject"))
    decide(project, b[0], Decision(verdict="keep"))
    with project.sessions() as session:
        f = queries.funnel(session)
    triage, shortlist, selects = f.stages
    assert (f.total, f.selected) == (6, 0)
    assert (triage.reached, triage.kept, triage.rejected, triage.pending) == (6, 4, 1, 1)
    assert (shortlist.reached, shortlist.kept, shortlist.rejected, shortlist.pending) == (4, 1, 1, 2)
    assert (selects.reached, selects.pending) == (1, 1)
    assert [s.kept for s in f.per_shot["SH010"]] == [3, 1, 0]
    assert [s.reached for s in f.per_shot["SH020"]] == [2, 1, 0]


def test_filters_combine(project: Project) -> None:
    a = add_takes(project, 4, "SH010")
    add_takes(project, 2, "SH020")
    decide(project, a[0], Decision(verdict="keep", rating=5, tags_added=("camera",)))
    decide(project, a[1], Decision(verdict="keep", rating=2))
    with project.sessions() as session:

        def ids(**kw: object) -> list[int]:
            return list(session.scalars(queries.select_takes(session, queries.TakeFilter(**kw))))  # type: ignore[arg-type]

        assert ids(stage=0, status="kept") == a[:2]
        assert ids(stage=0, status="pending", shots=["SH010"]) == a[2:]
        assert ids(min_rating=3) == [a[0]]
        assert ids(tags=["camera"], stage=1) == [a[0]]
        assert ids(text="numb") and len(ids(text="truck number")) == 6
        assert ids(text="zebra") == []
        assert ids(reviewers=["tester"]) == a[:2]


def test_cli_decide_and_stats(project: Project, tmp_path: Path) -> None:
    (a,) = add_takes(project, 1)
    env = {**os.environ, "TAKE_REVIEWER_USER": "director"}
    run = [sys.executable, "-m", "reviewer"]
    url = project.url
    out = subprocess.run([*run, "decide", url, str(a), "--keep", "--rating", "4", "--tag", "camera"],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "stage Shortlist" in out.stdout
    out = subprocess.run([*run, "decide", url, "t0.mp4", "--note", "morph at 12", "--frame", "12", "--as", "anna"],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    stats = json.loads(subprocess.run([*run, "stats", url, "--json"], capture_output=True, text=True).stdout)
    assert stats["stages"][0] == {"name": "Triage", "reached": 1, "kept": 1, "rejected": 0, "pending": 0}
    assert stats["shots"]["SH010"][1]["pending"] == 1
    bad = subprocess.run([*run, "decide", url, "nope.mp4", "--keep"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("reviewer: No take 'nope.mp4'")
    with project.sessions() as session:
        who = [e.reviewer.name for e in session.scalars(select(m.Event).order_by(m.Event.id))]
    assert who == ["director", "anna"]


CHILD = textwrap.dedent(
    """
    import sys
    from reviewer.review.decisions import Decision, decide
    from reviewer.store.db import open_project
    project = open_project(sys.argv[1])
    for take_id in map(int, sys.argv[2:]):
        decide(project, take_id, Decision(verdict="reject" if take_id % 2 else "keep", rating=take_id % 6))
        print(take_id, flush=True)   # acknowledged: the key press has returned
    """
)


def test_killed_process_loses_no_acknowledged_decision(project: Project) -> None:
    ids = add_takes(project, 400)
    acked = []
    with subprocess.Popen([sys.executable, "-c", CHILD, project.url, *map(str, ids)],
                          stdout=subprocess.PIPE, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            acked.append(int(line))
            if len(acked) == 60:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    reopened = open_project(project.url)
    with reopened.sessions() as session:
        decided = set(session.scalars(select(m.Event.take_id)))
        states = {s.take_id: s for s in session.scalars(select(m.TakeState))}
    reopened.close()
    assert set(acked) <= decided
    for take_id in acked:
        assert states[take_id].rating == take_id % 6


def test_moving_takes_between_shots_is_logged_and_undoable(project: Project) -> None:
    (a,) = add_takes(project, 1, shot="SH010")
    change = move_to_shot(project, a, "SH020")  # a new shot is created on the way
    assert row(project, a)["shot"] == "SH020"
    second = move_to_shot(project, a, "SH030")
    assert move_to_shot(project, a, "SH030").event_ids == []  # already there: nothing logged
    undo(project, second.event_ids)
    assert row(project, a)["shot"] == "SH020"
    undo(project, change.event_ids)
    assert row(project, a)["shot"] == "SH010"  # every move undone: back where ingest put it
    with project.sessions() as session:
        lines = [h.text for h in history(session, a)]
        assert "moved SH010 → SH020" in lines
        assert any(h.undone for h in history(session, a))
        codes = list(session.scalars(select(m.Shot.code).order_by(m.Shot.sort_order)))
    assert codes == ["SH010", "SH020", "SH030"]
    with pytest.raises(KnownError, match="needs a code"):
        move_to_shot(project, a, "  ")


def test_history_describes_every_event_newest_first(project: Project) -> None:
    (a,) = add_takes(project, 1)
    decide(project, a, Decision(verdict="keep", rating=4), reviewer="anna")
    tagged = decide(project, a, Decision(tags_added=("flicker",)), reviewer="ben")
    decide(project, a, Decision(note="hand melts", frame_in=10, frame_out=14), reviewer="ben")
    undo(project, tagged.event_ids, reviewer="anna")
    with project.sessions() as session:
        entries = history(session, a)
    assert [(e.reviewer, e.text, e.undone) for e in entries] == [
        ("anna", f"undid #{tagged.event_ids[0]}", False),
        ("ben", "note at frame 10–14: hand melts", False),
        ("ben", "tagged flicker", True),
        ("anna", "keep at Triage; rated 4", False),
    ]
    assert all(e.workstation for e in entries)
