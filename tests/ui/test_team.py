"""Work sharing in the workspace: a session claims only what nobody else holds, claims more as it goes,
and gives its takes back when it ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import event, select

from reviewer.ingest.ingest import ingest
from reviewer.review import team
from reviewer.review.catalog import COLUMN_KEYS
from reviewer.review.decisions import Decision, decide
from reviewer.store import models as m
from reviewer.store.db import open_project
from reviewer.ui.project_window import ProjectWindow
from tests import pgcluster
from tests.conftest import ClipFactory, place
from tests.latency import DelayProxy
from tests.ui.driver import CTRL, SHIFT, current_name, leases, press, shown_window, state, written


def test_a_session_claims_what_others_do_not_hold(
    qtbot: QtBot, six_takes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team, "BATCH", 2)
    project = open_project(six_takes)
    with project.sessions() as session:
        ids = dict(session.execute(select(m.Take.name, m.Take.id)).all())
    assert team.claim(project, "anna", 0, [ids["take_0.mp4"], ids["take_1.mp4"]]) == [
        ids["take_0.mp4"],
        ids["take_1.mp4"],
    ]
    project.close()

    gen = shown_window(qtbot, six_takes, 6)
    window: ProjectWindow = next(gen)
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert window.triage.session is not None
    assert window.triage.session.queue == [
        ids["take_2.mp4"],
        ids["take_3.mp4"],
    ]  # a batch of two, anna's skipped
    held = leases(six_takes)
    assert (held["take_0.mp4"], held["take_2.mp4"], held["take_3.mp4"], held["take_4.mp4"]) == (
        "anna", "tester", "tester", None
    )  # fmt: skip
    press(qtbot, window, Qt.Key.Key_P)  # keep take_2: one undecided ahead, so the next batch is claimed
    assert window.triage.session.queue == [ids[f"take_{k}.mp4"] for k in (2, 3, 4, 5)]
    assert window.model.rowCount() == 4 and leases(six_takes)["take_5.mp4"] == "tester"
    press(qtbot, window, Qt.Key.Key_Return, CTRL | SHIFT)  # leave: the undecided go back to the pool
    assert window.triage.session is None
    held = leases(six_takes)
    assert [held[f"take_{k}.mp4"] for k in range(6)] == ["anna", "anna", None, None, None, None]
    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # resume: its takes are claimed again
    assert window.triage.session is not None and leases(six_takes)["take_4.mp4"] == "tester"
    next(gen, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path: Path, clip: ClipFactory) -> str:
    """Four real takes in a project on either store, as a team would share it."""
    media = tmp_path / "media"
    for k in range(4):
        place(clip(".mp4", seed=20 + k, frames=24), media / "SH010" / f"take_{k}.mp4")
    target = str(tmp_path / "team.trproj") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    project = open_project(target)
    ingest(project, [media], workers=0)
    project.close()
    return target


def test_others_decisions_show_within_a_second_or_two_and_leave_the_current_take_alone(
    qtbot: QtBot, shared: str
) -> None:
    gen = shown_window(qtbot, shared, 4)  # type: ignore[arg-type]
    window: ProjectWindow = next(gen)
    qtbot.waitUntil(lambda: window.live_updates.seen is not None, timeout=5000)
    window.grid.setCurrentIndex(window.model.index(0, 1))
    qtbot.waitUntil(
        lambda: window.listing.current_row is not None, timeout=5000
    )  # team mode: read in a worker
    assert window.listing.current_row is not None
    current = window.listing.current_row["name"]
    other = open_project(shared)
    with other.sessions() as session:
        ids = dict(session.execute(select(m.Take.name, m.Take.id)).all())
    decide(other, ids["take_3.mp4"], Decision(verdict="reject"), reviewer="anna")
    decide(other, ids[current], Decision(rating=5, note="lovely light"), reviewer="anna")
    other.close()
    qtbot.waitUntil(lambda: "anna 2 changes" in window.live_updates.label.text(), timeout=5000)
    qtbot.waitUntil(
        lambda: window.listing.current_row is not None and window.listing.current_row["rating"] == 5,
        timeout=5000,
    )  # the panel follows
    assert window.listing.current_row is not None and window.listing.current_row["name"] == current
    row = window.model.row_of(ids["take_3.mp4"])
    assert row is not None
    assert window.listing.catalog is not None and window.listing.catalog.status(
        window.listing.catalog.row_of[ids["take_3.mp4"]]
    ) == (window.model.index(row, COLUMN_KEYS.index("verdict")).data())
    assert "reject" in str(window.model.index(row, COLUMN_KEYS.index("verdict")).data()).lower()
    qtbot.waitUntil(lambda: "1 out" in window.funnel_bar.buttons[0].text(), timeout=5000)
    next(gen, None)


def test_a_root_mounted_elsewhere_is_mapped_from_the_dialog(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    from reviewer.ui.roots_dialog import RootsDialog

    there = tmp_path / "mnt" / "ad"
    place(clip(".mp4", seed=71, frames=24), there / "SH010" / "a.mp4")
    project = open_project(tmp_path / "p.trproj")
    ingest(project, [there], workers=0)
    here = tmp_path / "Volumes" / "ad"
    here.parent.mkdir()
    there.rename(here)
    dialog = RootsDialog(project)
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 2).text().startswith("not found")
    dialog.map_to(str(here))
    assert dialog.changed and dialog.table.item(0, 2).text() == str(here)
    assert dialog.table.item(0, 1).text() == str(there) and dialog.table.item(0, 3).text() == "1"
    from reviewer.store import queries

    with project.sessions() as session:
        (row,) = queries.take_rows(session, [1])
    assert Path(row["path"]).is_file()
    dialog.unmap()
    assert dialog.table.item(0, 2).text().startswith("not found")
    project.close()


def voted_shortlist(project_at: Path | str) -> None:
    """Every take of the project kept into Shortlist, where the team votes and anna is the lead."""
    from reviewer.review import votes

    project = open_project(project_at)
    decide(project, list(range(1, 7)), Decision(verdict="keep"), reviewer="anna")
    votes.set_rules(project, voting=[1], leads=["anna"])
    project.close()


def test_at_a_voted_stage_p_and_x_vote_and_a_lead_reveals_and_settles(qtbot: QtBot, six_takes: Path) -> None:
    voted_shortlist(six_takes)
    gen = shown_window(qtbot, six_takes, 6)
    window: ProjectWindow = next(gen)
    window.triage.auto_advance.setChecked(False)
    window.grid.setCurrentIndex(window.model.index(0, 1))
    take = window.listing.current_id
    assert take is not None
    press(qtbot, window, Qt.Key.Key_P)  # tester is no lead: a vote
    assert "Voted keep on 1 take" in window.status_label.text()
    qtbot.waitUntil(
        lambda: "1 voted (hidden until revealed; yours: keep)" in window.panel.votes.text(), timeout=5000
    )
    check = open_project(six_takes)
    with check.sessions() as session:
        state = session.get(m.TakeState, take)
        assert state is not None and state.stage_pos == 1  # nothing decided
    check.close()
    press(qtbot, window, Qt.Key.Key_V, CTRL | SHIFT)
    assert "Only a lead" in window.status_label.text()
    window.reviewer = "anna"
    press(qtbot, window, Qt.Key.Key_V, CTRL | SHIFT)
    assert "revealed" in window.status_label.text()
    qtbot.waitUntil(lambda: "agreement 100% (tester keep)" in window.panel.votes.text(), timeout=5000)
    press(qtbot, window, Qt.Key.Key_P)  # the lead's verdict settles it
    check = open_project(six_takes)
    with check.sessions() as session:
        state = session.get(m.TakeState, take)
        assert state is not None and state.stage_pos == 2
    check.close()
    next(gen, None)


def test_a_session_at_a_voted_stage_shares_the_whole_shortlist(qtbot: QtBot, six_takes: Path) -> None:
    voted_shortlist(six_takes)
    gen = shown_window(qtbot, six_takes, 6)
    window: ProjectWindow = next(gen)
    window.listing.set_filter(window.listing.filter.__class__(stage=1, status="pending"))
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert (
        window.triage.session is not None and len(window.triage.session.queue) == 6
    )  # every voter sees every take
    assert set(leases(six_takes).values()) == {None}  # and claims none of them
    next(gen, None)


def six_takes_in(url: str, clip: ClipFactory, tmp_path: Path, seed: int) -> None:
    """Six real takes of one shot ingested into the project at ``url``."""
    media = tmp_path / "media"
    for k in range(6):
        place(clip(".mp4", seed=seed + k, frames=24), media / "SH010" / f"take_{k}.mp4")
    project = open_project(url)
    ingest(project, [media], workers=0)
    project.close()


def through(proxy: DelayProxy, cluster: pgcluster.Cluster, url: str) -> str:
    """The project's URL reached through ``proxy`` (a server further away)."""
    return url.replace(f"host={cluster.host}&port={cluster.port}", f"host=127.0.0.1&port={proxy.port}")


@contextmanager
def statements_on_this_thread(window: ProjectWindow) -> Iterator[list[str]]:
    """Every statement the window's project runs on the calling (GUI) thread while the block runs."""
    seen: list[str] = []
    here = threading.get_ident()

    def before(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if threading.get_ident() == here:
            seen.append(statement)

    event.listen(window.project.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(window.project.engine, "before_cursor_execute", before)


def test_a_team_session_far_from_its_server_never_waits_on_it(
    qtbot: QtBot, pg_cluster: pgcluster.Cluster, pg_url: str, clip: ClipFactory, tmp_path: Path
) -> None:
    """Behind 40 ms a round trip no key press of a session runs a statement on the GUI thread: the session
    moves on at once, the writes follow in order (decisions made while one is on its way go together),
    undo waits for them, and a write the server cannot take is said and undone on screen."""
    six_takes_in(pg_url, clip, tmp_path, seed=40)
    with DelayProxy((pg_cluster.host, pg_cluster.port), delay_s=0.02) as proxy:
        far = through(proxy, pg_cluster, pg_url)
        gen = shown_window(qtbot, far, 6)
        window: ProjectWindow = next(gen)
        window.analysis.stop()
        with statements_on_this_thread(window) as on_gui:
            press(qtbot, window, Qt.Key.Key_Return, CTRL)  # the session's claims, then its first take
            qtbot.waitUntil(lambda: window.listing.current_row is not None, timeout=10_000)
            written(qtbot, window)
            queue = window.triage.session.queue if window.triage.session else []
            qtbot.waitUntil(
                lambda: all(t in window.listing.rows for t in queue[1:4]), timeout=10_000
            )  # read ahead
            press(qtbot, window, Qt.Key.Key_P)  # take_0 kept: take_1 comes up at once
            assert current_name(window) == "take_1.mp4"
            press(qtbot, window, Qt.Key.Key_X)  # take_1 rejected: it leaves the queue at once
            assert window.model.rowCount() == 5 and current_name(window) == "take_2.mp4"
            press(qtbot, window, Qt.Key.Key_4)
            press(qtbot, window, Qt.Key.Key_X)  # take_2 rated and rejected
            assert window.triage.session is not None
            assert window.triage.session.progress().startswith("3 of 6 · 1 kept")
            assert on_gui == []  # not one statement waited for on the GUI thread
            written(qtbot, window)
            assert on_gui == []
            rows = state(far)
            assert [rows[f"take_{k}.mp4"]["stage"] for k in range(3)] == ["Shortlist", "Triage", "Triage"]
            assert rows["take_1.mp4"]["verdict"] == rows["take_2.mp4"]["verdict"] == "reject"
            assert rows["take_2.mp4"]["rating"] == 4
            press(qtbot, window, Qt.Key.Key_Z, CTRL)  # the last reject undone, after the writes before it
            qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10_000)  # take_2 back in the queue
            written(qtbot, window)
            assert state(far)["take_2.mp4"]["verdict"] is None
            assert on_gui == []
    # the server can no longer be reached: the reject is said to have failed and the take comes back
    rows_before = window.model.rowCount()
    assert len(window.listing.targets()) == 1  # the undone take alone is selected again
    press(qtbot, window, Qt.Key.Key_X)
    assert window.model.rowCount() == rows_before - 1
    qtbot.waitUntil(lambda: window.model.rowCount() == rows_before, timeout=20_000)
    assert "could not be read or written" in window.status_label.text()
    assert window.triage.session is not None and window.triage.session.progress().startswith(
        "2 of 6 · 1 kept"
    )  # as before the press: take_0 kept, take_1 rejected
    next(gen, None)


def test_a_team_survey_far_from_its_server_never_waits_on_it(
    qtbot: QtBot, pg_cluster: pgcluster.Cluster, pg_url: str, clip: ClipFactory, tmp_path: Path
) -> None:
    """The survey in team mode, 40 ms a round trip from its server: the page, a keep on the cursor's
    cell, Enter's page rule and the page's undo run no statement on the GUI thread, and land."""
    six_takes_in(pg_url, clip, tmp_path, seed=60)
    with DelayProxy((pg_cluster.host, pg_cluster.port), delay_s=0.02) as proxy:
        far = through(proxy, pg_cluster, pg_url)
        gen = shown_window(qtbot, far, 6)
        window: ProjectWindow = next(gen)
        window.analysis.stop()
        with statements_on_this_thread(window) as on_gui:
            press(qtbot, window, Qt.Key.Key_V)  # the survey: a session starts, its claims come back, the page
            qtbot.waitUntil(lambda: len(window.survey.view.cells) == 6, timeout=10_000)
            qtbot.waitUntil(
                lambda: "reject the 6 unmarked" in window.survey.view.header.text(), timeout=10_000
            )
            qtbot.waitUntil(
                lambda: window.survey.rules_known(None), timeout=10_000
            )  # the project's page rules read
            press(qtbot, window, Qt.Key.Key_P)  # the cursor's cell (take_0) kept
            press(qtbot, window, Qt.Key.Key_Return)  # the five others rejected by the page rule
            written(qtbot, window)
            assert on_gui == []
            rows = state(far)
            assert rows["take_0.mp4"]["stage"] == "Shortlist"
            assert [rows[f"take_{k}.mp4"]["verdict"] for k in range(1, 6)] == ["reject"] * 5
            press(qtbot, window, Qt.Key.Key_Z, CTRL)  # the page back, as it was
            written(qtbot, window)
            assert [state(far)[f"take_{k}.mp4"]["verdict"] for k in range(1, 6)] == [None] * 5
            assert on_gui == []
        next(gen, None)


def test_a_vote_in_team_mode_moves_on_at_once_and_is_said_when_it_lands(
    qtbot: QtBot, pg_url: str, clip: ClipFactory, tmp_path: Path
) -> None:
    six_takes_in(pg_url, clip, tmp_path, seed=80)
    voted_shortlist(pg_url)
    gen = shown_window(qtbot, pg_url, 6)
    window: ProjectWindow = next(gen)
    qtbot.waitUntil(lambda: window.listing.current_row is not None, timeout=10_000)
    first = window.listing.current_id
    press(qtbot, window, Qt.Key.Key_P)  # tester is no lead: a vote, and auto-advance goes on at once
    assert window.listing.current_id != first
    qtbot.waitUntil(lambda: "Voted keep on 1 take" in window.status_label.text(), timeout=10_000)
    written(qtbot, window)
    check = open_project(pg_url)
    with check.sessions() as session:
        cast = session.execute(select(m.Event.take_id).where(m.Event.vote == "keep")).scalars().all()
        state_ = session.get(m.TakeState, first)
        assert (
            list(cast) == [first] and state_ is not None and state_.stage_pos == 1
        )  # voted, nothing decided
    check.close()
    next(gen, None)
