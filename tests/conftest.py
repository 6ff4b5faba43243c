"""Fixtures shared by the whole suite: a private thumbnail cache, projects, and real video files.

Video files are encoded once per session with PyAV (``clip`` returns the same file for the same spec),
so every test works on real H.264, HEVC, VP9, AV1, ProRes and MJPEG files without paying for them twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reviewer.media.synth import ClipSpec, write_clip
from reviewer.store.db import Project, open_project
from tests import pgcluster, soundserver

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TAKE_REVIEWER_CACHE", str(cache))
    monkeypatch.setenv("TAKE_REVIEWER_USER", "tester")
    monkeypatch.setenv("TAKE_REVIEWER_CONFIG", str(cache / "config"))  # never the user's own keymap
    monkeypatch.setenv("TAKE_REVIEWER_PROJECTS", str(cache / "projects"))  # new projects from the GUI
    return cache


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """A PostgreSQL server of the session's own (CI sets REVIEWER_REQUIRE_PG: there, no server fails)."""
    try:
        cluster = pgcluster.start()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("REVIEWER_REQUIRE_PG"):
            raise
        pytest.skip(f"no PostgreSQL server for the team-mode tests: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session", autouse=True)
def sound_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[soundserver.SoundServer | None]:
    """A PulseAudio server with a null sink for the whole session, before QtMultimedia first connects
    (CI sets REVIEWER_REQUIRE_AUDIO: there, no server fails). Tests never reach the developer's own."""
    try:
        server = soundserver.start(tmp_path_factory.mktemp("pulse"))
    except (RuntimeError, OSError) as exc:
        if os.environ.get("REVIEWER_REQUIRE_AUDIO"):
            raise
        os.environ["PULSE_SERVER"] = "unix:/nonexistent/review-tests"
        os.environ["QT_AUDIO_BACKEND"] = "pulseaudio"
        os.environ["REVIEWER_NO_SOUND_REASON"] = str(exc)
        yield None
        return
    os.environ["PULSE_SERVER"] = server.server
    # Qt prefers PipeWire where its daemon runs (a developer's desktop): ask for PulseAudio, i.e. ours.
    os.environ["QT_AUDIO_BACKEND"] = "pulseaudio"
    yield server
    server.stop()


@pytest.fixture
def sound_device(sound_server: soundserver.SoundServer | None) -> soundserver.SoundServer:
    """The session's sound server, or a skip where there is none."""
    if sound_server is None:
        pytest.skip(f"no sound server for the sound tests: {os.environ.get('REVIEWER_NO_SOUND_REASON')}")
    return sound_server


@pytest.fixture
def pg_url(pg_cluster: pgcluster.Cluster) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    """A new project on each backend: a SQLite file, and a PostgreSQL database."""
    target = tmp_path / "test.trproj" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    p = open_project(target)
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
