"""UI fixtures: a private settings folder, and a small real project (real files, real ingest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from reviewer.ingest.ingest import ingest
from reviewer.review.decisions import Decision, decide
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place


@pytest.fixture(autouse=True)
def _private_settings(tmp_path: Path) -> Iterator[None]:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield


@pytest.fixture
def six_takes(tmp_path: Path, clip: ClipFactory) -> Path:
    """Six real takes over two shots, none decided yet."""
    media = tmp_path / "media"
    for k in range(6):
        place(clip(".mp4", seed=20 + k, frames=24), media / f"SH0{1 + k // 3}0" / f"take_{k}.mp4")
    path = tmp_path / "six.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    project.close()
    return path


@pytest.fixture
def small_project(tmp_path: Path, clip: ClipFactory) -> Path:
    media = tmp_path / "media"
    place(clip(".mp4", seed=1), media / "SH010" / "a.mp4")
    place(clip(".webm", codec="vp9", seed=2), media / "SH010" / "b.webm")
    place(clip(".mp4", seed=3), media / "SH020" / "c.mp4")
    (media / "SH020" / "bad.mp4").write_text("nope")
    path = tmp_path / "small.trproj"
    project = open_project(path)
    ingest(project, [media], workers=0)
    decide(project, 1, Decision(verdict="keep"))
    decide(project, 1, Decision(note="the hand morphs here", frame_in=5, frame_out=12), reviewer="anna")
    decide(project, 2, Decision(verdict="reject"))
    project.close()
    return path
