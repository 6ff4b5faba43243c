"""Opening projects: connection settings, migrations (with backup), refusal of newer schemas."""

from __future__ import annotations

import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from reviewer.errors import ProjectError
from reviewer.store import db
from reviewer.store import models as m
from reviewer.store.db import DEFAULT_STAGES, open_project
from reviewer.store.dialect import text_match


def test_new_project_has_schema_stages_and_defect_tags(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p.trproj")
    with project.sessions() as session:
        assert [s.name for s in session.query(m.Stage).order_by(m.Stage.position)] == list(DEFAULT_STAGES)
        tags = {t.name for t in session.query(m.Tag)}
    assert {"hands/anatomy", "morphing", "flicker", "frozen", "continuity"} <= tags
    project.close()


def test_sqlite_connections_are_durable_and_checked(project: db.Project) -> None:
    if not project.is_sqlite:
        pytest.skip("SQLite's own connection settings")
    with project.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS


def test_migrations_build_exactly_the_models(project: db.Project) -> None:
    with project.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": _not_fts})
        assert compare_metadata(ctx, m.Base.metadata) == []


def _not_fts(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name.startswith("takes_fts"))


def test_folder_means_project_file_inside(tmp_path: Path) -> None:
    project = open_project(tmp_path)
    assert project.path == tmp_path / db.DEFAULT_PROJECT_FILE
    project.close()


def test_missing_project_without_create_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="No project at"):
        open_project(tmp_path / "nothing.trproj", create=False)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.trproj"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(ProjectError, match="Cannot open the project"):
        open_project(bogus)
    assert bogus.read_text().startswith("this is not a database")


def test_project_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.trproj"
    open_project(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    con.close()
    with pytest.raises(ProjectError, match="newer version of Take Reviewer"):
        open_project(path)


def test_migration_backs_up_first_then_upgrades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.trproj"
    project = open_project(path)
    project.set_setting("name", "before the upgrade")
    project.close()

    # A chain with one more migration than the program ships: the project is one version behind.
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(str(resources.files("reviewer.store") / "migrations")), scripts)
    shipped = db.head_revision()
    (scripts / "versions" / "0999_test_column.py").write_text(
        '"""test"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "0999"\ndown_revision = "{shipped}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade():\n    op.add_column('shots', sa.Column('colour', sa.Text(), nullable=True))\n\n\n"
        "def downgrade():\n    pass\n"
    )

    def config() -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(scripts))
        return cfg

    monkeypatch.setattr(db, "_alembic_config", config)
    upgraded = open_project(path)
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(shots)"))]
    assert "colour" in columns
    assert upgraded.setting("name") == "before the upgrade"
    upgraded.close()
    backups = list(tmp_path.glob(f"p.trproj.backup-{shipped}-*"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (shipped,)
    assert "colour" not in [row[1] for row in con.execute("PRAGMA table_info(shots)")]
    con.close()


def test_datetimes_come_back_in_utc(project: db.Project) -> None:
    with project.session() as session:
        session.add(m.Reviewer(name="x"))
    with project.sessions() as session:
        reviewer = session.query(m.Reviewer).one()
        assert reviewer.created_at.utcoffset() is not None
        assert reviewer.created_at.utcoffset().total_seconds() == 0


def test_a_project_of_the_first_schema_upgrades_keeping_its_log(tmp_path: Path) -> None:
    path = tmp_path / "old.trproj"
    engine = create_engine(f"sqlite:///{path}")
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO reviewers (id, name, created_at) VALUES (1, 'anna', '2026-01-01')"))
        conn.execute(text("INSERT INTO media_roots (id, name, path) VALUES (1, 'r', '/m')"))
        conn.execute(text(
            "INSERT INTO takes (id, root_id, relpath, name, content_hash, size, mtime, missing, container, "
            "video_codec, codec_profile, pix_fmt, bit_depth, color_range, color_space, width, height, sar_num, "
            "sar_den, rotation, fps_num, fps_den, vfr, frame_count, duration_s, start_time_s, bit_rate, has_audio, "
            "audio_codec, audio_channels, audio_rate, probe_warning, generator, model, prompt, negative_prompt, "
            "seed, params, provenance_source, ai_generated, shot_source, ingested_at, updated_at) VALUES "
            "(1, 1, 'a.mp4', 'a.mp4', 'h', 1, 0, 0, '', '', '', '', 8, '', '', 0, 0, 1, 1, 0, 24, 1, 0, 1, 1, 0, 0, "
            "0, '', 0, 0, '', '', '', '', '', '', '{}', '', 1, '', '2026-01-01', '2026-01-01')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO events (id, take_id, reviewer_id, at, workstation, verdict, tags_added, tags_removed) "
            "VALUES (1, 1, 1, '2026-01-01', 'ws', 'keep', '[]', '[]')"
        ))  # fmt: skip
    engine.dispose()
    project = db.open_project(path)
    with project.sessions() as session:
        event = session.get(m.Event, 1)
        assert event is not None and event.verdict == "keep" and event.shot_to_id is None
        take = session.get(m.Take, 1)
        # 0008 made ``takes`` anew (SQLite): the take keeps its log, is unknown now, and search still works
        assert take is not None and take.ai_generated is None and take.ai_basis == "default"
        triggers = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        assert {"takes_fts_ai", "takes_fts_ad", "takes_fts_au"} <= set(triggers)
    with project.session() as session:
        session.get(m.Take, 1).prompt = "a red truck at dusk"
    with project.sessions() as session:
        assert session.scalars(select(m.Take.id).where(text_match(session, "truck"))).all() == [1]
    project.close()
    assert len(list(tmp_path.glob("old.trproj.backup-0001-*"))) == 1
