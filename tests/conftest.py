"""Fixtures shared by the whole suite: a private thumbnail cache, projects, and real video files.

Video files are encoded once per session with PyAV (``clip`` returns the same file for the same spec),
so every test works on real H.264, HEVC, VP9, AV1, ProRes and MJPEG files without paying for them twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reviewer.media.synth import ClipSpec, write_clip
from reviewer.store.db import Project, open_project

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TAKE_REVIEWER_CACHE", str(cache))
    monkeypatch.setenv("TAKE_REVIEWER_USER", "tester")
    monkeypatch.setenv("TAKE_REVIEWER_CONFIG", str(cache / "config"))  # never the user's own keymap
    return cache


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    p = open_project(tmp_path / "test.trproj")
    yield p
    p.close()


@pytest.fixture(scope="session")
def clip_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


ClipFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def clip(clip_store: Path) -> ClipFactory:
    """``clip(name, **spec)``: a real encoded file; the same spec is encoded once per session."""

    def make(suffix: str = ".mp4", **spec: object) -> Path:
        key = hashlib.sha1(repr((suffix, sorted(spec.items()))).encode()).hexdigest()[:16]
        path = clip_store / f"{key}{suffix}"
        if not path.exists():
            write_clip(path, ClipSpec(**spec))  # type: ignore[arg-type]
        return path

    return make


def place(src: Path, dst: Path) -> Path:
    """Copy a session clip to where a test wants it (tests may modify or move their copy)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


requires_ffprobe = pytest.mark.skipif(
    shutil.which("ffprobe") is None and not os.environ.get("CI"),
    reason="ffprobe (Debian's ffmpeg) is not installed; .ci/run installs it",
)
