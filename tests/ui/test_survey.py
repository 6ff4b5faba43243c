"""The survey driven by real key presses on real files: a page of nine playing takes, marks on two, Enter
applies the page rule (one event per take), Ctrl+Z brings the page back; resume after a restart; a
portrait take; the keep-playing single-take session and its badge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from reviewer.ingest.ingest import ingest
from reviewer.media.proxy import existing_proxy
from reviewer.review.decisions import PAGE_RULE, effective_events
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import open_project
from reviewer.ui.project_window import ProjectWindow
from reviewer.ui.survey import SurveyView
from tests.conftest import ClipFactory, place
from tests.ui.driver import CTRL, NO, SHIFT, leases, open_window, press, shown_window


@pytest.fixture
def twelve_takes(tmp_path: Path, clip: ClipFactory) -> Path:
    """Twelve real takes of one shot (one of them portrait), none decided, proxies made by ingest."""
    media = tmp_path / "media"
    for k in range(12):
        size = {"width": 180, "height": 320} if k == 4 else {"width": 320, "height": 180}
        place(clip(".mp4", seed=40 + k, frames=24, **size), media / "SH010" / f"take_{k:02}.mp4")
    path = tmp_path / "twelve.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    return path


@pytest.fixture
def window(qtbot: QtBot, twelve_takes: Path) -> Iterator[ProjectWindow]:
    yield from shown_window(qtbot, twelve_takes, 12)


def triage_events(path: Path) -> list[tuple[str, str | None, str | None]]:
    """(take name, verdict, source) of every verdict event in effect, oldest first."""
    project = open_project(path)
    with project.sessions() as session:
        rows = session.execute(
            select(m.Event.id, m.Take.name, m.Event.verdict, m.Event.source, m.Event.undoes_id)
            .join(m.Take, m.Take.id == m.Event.take_id)
            .order_by(m.Event.id)
        ).all()
    project.close()
    return [(r.name, r.verdict, r.source) for r in effective_events(rows) if r.verdict]


def names_on_page(window: ProjectWindow) -> list[str]:
    return [str(c.take["name"]) for c in window.survey.view.cells]


def wait_playing(qtbot: QtBot, window: ProjectWindow) -> None:
    view = window.survey.view
    qtbot.waitUntil(view.all_showing, timeout=10_000)
    first = [c.engine.status.shown for c in view.cells]
    qtbot.waitUntil(lambda: all(c.engine.status.shown > f for c, f in zip(view.cells, first, strict=True)),
                    timeout=10_000)  # fmt: skip


def test_a_survey_page_by_keys(qtbot: QtBot, window: ProjectWindow, twelve_takes: Path) -> None:
    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # a session over Triage, to review
    press(qtbot, window, Qt.Key.Key_V)  # the survey
    assert window.view.stage == "survey"
    assert names_on_page(window) == [f"take_{k:02}.mp4" for k in range(9)]
    wait_playing(qtbot, window)  # every cell plays its take (the proxy), looping and muted
    assert all(c.proxy for c in window.survey.view.cells)
    assert "Enter: reject the 9 unmarked" in window.survey.view.header.text()
    # The portrait take stands upright in its cell.
    portrait = window.survey.view.cells[4]
    box = window.survey.view.canvas.picture_rect(4, 180 / 320)
    assert box.height() > box.width() and portrait.image is not None
    assert portrait.image.height() > portrait.image.width()

    press(qtbot, window, Qt.Key.Key_X)  # the cursor cell (the first) rejected
    press(qtbot, window, Qt.Key.Key_Right)
    press(qtbot, window, Qt.Key.Key_Down)  # cell 4: the second row's middle
    assert window.survey.view.at == 4
    press(qtbot, window, Qt.Key.Key_P)  # kept
    press(qtbot, window, Qt.Key.Key_3)
    assert [c.verdict for c in window.survey.view.cells][:5] == ["reject", None, None, None, "keep"]
    assert names_on_page(window)[0] == "take_00.mp4"  # decided cells stay on the page
    assert "Enter: reject the 7 unmarked" in window.survey.view.header.text()
    assert (
        window.listing.current_row is not None and window.listing.current_row["name"] == "take_04.mp4"
    )  # the panel follows

    press(qtbot, window, Qt.Key.Key_Return)  # the page rule, then the next page
    done = triage_events(twelve_takes)
    assert ("take_00.mp4", "reject", None) in done and ("take_04.mp4", "keep", None) in done
    by_rule = [name for name, verdict, source in done if source == PAGE_RULE]
    assert sorted(by_rule) == [f"take_{k:02}.mp4" for k in (1, 2, 3, 5, 6, 7, 8)]
    assert all(v == "reject" for _n, v, s in done if s == PAGE_RULE)
    assert names_on_page(window) == ["take_09.mp4", "take_10.mp4", "take_11.mp4"]
    assert window.triage.session is not None and window.triage.label.text().startswith(
        "Triage session · 9 of 12 · 1 kept"
    )

    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # one Ctrl+Z: the page comes back, its seven undecided again
    assert names_on_page(window) == [f"take_{k:02}.mp4" for k in range(9)]
    done = triage_events(twelve_takes)
    assert [n for n, _v, s in done if s == PAGE_RULE] == []
    assert ("take_00.mp4", "reject", None) in done and ("take_04.mp4", "keep", None) in done
    assert [c.verdict for c in window.survey.view.cells][:5] == ["reject", None, None, None, "keep"]
    assert window.triage.label.text().startswith("Triage session · 2 of 12 · 1 kept")
    press(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # redo: the page turns again
    assert names_on_page(window) == ["take_09.mp4", "take_10.mp4", "take_11.mp4"]
    assert len([n for n, _v, s in triage_events(twelve_takes) if s == PAGE_RULE]) == 7

    press(qtbot, window, Qt.Key.Key_Minus)  # smaller cells: 4x4
    assert window.survey.view.size_ == 16 and "4×4" in window.survey.view.header.text()
    press(qtbot, window, Qt.Key.Key_V)  # back to the player, on the cursor's take
    assert window.view.stage == "player" and window.survey.view.cells == []


def test_the_survey_resumes_where_it_stopped(qtbot: QtBot, twelve_takes: Path) -> None:
    first = next(shown_window(qtbot, twelve_takes, 12))
    press(qtbot, first, Qt.Key.Key_Return, CTRL)
    press(qtbot, first, Qt.Key.Key_V)
    press(qtbot, first, Qt.Key.Key_P)  # take_00 kept
    press(qtbot, first, Qt.Key.Key_Return)  # the eight others rejected by the page rule
    assert names_on_page(first) == ["take_09.mp4", "take_10.mp4", "take_11.mp4"]
    first.survey.view.close_all()
    first.player.close_all()
    first.close()

    again = open_window(qtbot, twelve_takes, 3)  # at Triage, to review: 09-11 (the kept one went on)
    again.triage.start()  # resumes the saved session
    again.survey.toggle()
    assert names_on_page(again) == ["take_09.mp4", "take_10.mp4", "take_11.mp4"]
    assert again.triage.session is not None and again.triage.session.progress().startswith("9 of 12 · 1 kept")
    again.survey.view.close_all()
    again.player.close_all()


def test_a_survey_over_claimed_batches_skips_what_others_hold(
    qtbot: QtBot, twelve_takes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Team mode: the survey's queue is the session's claims; a page larger than a batch claims enough to
    fill it, takes another reviewer holds never show, and the page rule's rejects are this reviewer's."""
    from reviewer.review import team

    monkeypatch.setattr(team, "BATCH", 4)
    project = open_project(twelve_takes)
    with project.sessions() as session:
        ids = dict(session.execute(select(m.Take.name, m.Take.id)).all())
    assert team.claim(project, "anna", 0, [ids["take_00.mp4"], ids["take_05.mp4"]]) == [
        ids["take_00.mp4"], ids["take_05.mp4"]
    ]  # fmt: skip
    project.close()

    window = next(shown_window(qtbot, twelve_takes, 12))
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert window.triage.session is not None and len(window.triage.session.queue) == 4  # a batch of four
    press(qtbot, window, Qt.Key.Key_V)
    others = ["take_01.mp4", "take_02.mp4", "take_03.mp4", "take_04.mp4", "take_06.mp4", "take_07.mp4",
              "take_08.mp4", "take_09.mp4", "take_10.mp4"]  # fmt: skip
    assert names_on_page(window) == others  # nine cells: claimed up to the page, anna's left out
    held = leases(twelve_takes)
    assert held["take_00.mp4"] == held["take_05.mp4"] == "anna"
    assert all(held[n] == "tester" for n in others) and held["take_11.mp4"] is None
    wait_playing(qtbot, window)
    press(qtbot, window, Qt.Key.Key_P)  # take_01 kept; Enter rejects the eight others
    press(qtbot, window, Qt.Key.Key_Return)
    assert names_on_page(window) == ["take_11.mp4"]  # the next claim: all that is left
    assert leases(twelve_takes)["take_11.mp4"] == "tester"
    done = triage_events(twelve_takes)
    assert sorted(n for n, _v, s in done if s == PAGE_RULE) == sorted(others[1:])
    assert not any(n in ("take_00.mp4", "take_05.mp4") for n, _v, _s in done)
    window.survey.view.close_all()
    window.player.close_all()


def test_a_session_keeps_playing_and_shows_the_verdict(qtbot: QtBot, window: ProjectWindow) -> None:
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    engine = window.player.engine
    assert engine is not None
    qtbot.waitUntil(lambda: engine.status.playing and engine.status.shown > 2, timeout=10_000)
    press(qtbot, window, Qt.Key.Key_BracketRight)  # faster: the session's speed
    assert window.view.session_speed == 1.5 and "1.5x" in window.triage.label.text()
    press(qtbot, window, Qt.Key.Key_P)  # kept: the next take comes up playing at 1.5x
    nxt = window.player.engine
    assert nxt is not None and nxt is not engine
    qtbot.waitUntil(lambda: nxt.status.playing and nxt.status.shown > 2, timeout=10_000)
    assert nxt.status.speed == 1.5 and nxt.status.loop
    press(qtbot, window, Qt.Key.Key_Up)  # back to the kept one: its badge says so
    assert window.player.view.badge.startswith("⚑ kept")
    press(qtbot, window, Qt.Key.Key_U)  # cleared, then Ctrl+Z: the keep is back, and every count says so
    assert window.player.view.badge == ""
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.triage.session is not None and "1 kept" in window.triage.label.text()
    assert window.player.view.badge.startswith("⚑ kept")
    press(qtbot, window, Qt.Key.Key_F, NO)  # full screen, Escape leaves
    assert window.isFullScreen() or window.playback.full_screen
    assert not window.browser.isVisible()
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not window.playback.full_screen
    alt = Qt.KeyboardModifier.AltModifier
    press(qtbot, window, Qt.Key.Key_P, CTRL | alt)  # proxies by choice: the same take from its proxy
    assert window.player.prefer_proxy and window.player.proxy
    assert window.player.take is not None and window.player.take["name"] == "take_00.mp4"
    assert "Proxies on" in window.status_label.text()
    press(qtbot, window, Qt.Key.Key_P, CTRL | alt)
    assert not window.player.prefer_proxy and not window.player.proxy


def test_large_cells_play_the_originals_and_the_dense_pages_the_proxies(
    qtbot: QtBot, tmp_path: Path, clip: ClipFactory
) -> None:
    """The proxies are made for the pages of nine and sixteen. A cell showing the picture at 1.5 times
    the proxy's height or more (a 2x2 page here) plays the original, which shows more; with proxies by
    choice (slow storage) every cell plays its proxy."""
    media = tmp_path / "media"
    for k in range(4):
        place(clip(".mp4", seed=60 + k, frames=12, width=960, height=540), media / f"t{k}.mp4")
    project = open_project(tmp_path / "p.trproj")
    ingest(project, [media], workers=0)
    with project.sessions() as session:
        rows = list(queries.take_rows(session, [1, 2, 3, 4]))
    project.close()
    assert all(existing_proxy(row["content_hash"]) is not None for row in rows)
    view = SurveyView()
    qtbot.addWidget(view)
    view.resize(1600, 1000)
    view.show()
    qtbot.waitExposed(view)
    try:
        view.size_ = 4
        view.show_page(rows)
        assert view.canvas.picture_rect(0, 16 / 9).height() >= 405  # 1.5 times the 270-line proxy
        assert [(c.proxy, c.wanted_proxy) for c in view.cells] == [(False, False)] * 4
        qtbot.waitUntil(view.all_showing, timeout=10_000)
        assert all(c.image is not None and c.image.height() >= 400 for c in view.cells)
        view.size_ = 16
        view.show_page(rows)
        assert [c.proxy for c in view.cells] == [True] * 4
        view.size_ = 4
        view.only_proxies = True
        view.show_page(rows)
        assert [c.proxy for c in view.cells] == [True] * 4
    finally:
        view.close_all()
