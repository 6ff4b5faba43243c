"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a server on a Unix
socket only (no TCP port), trust authentication, a fresh database per test.

Found from Debian's packages (/usr/lib/postgresql/*/bin) or PATH. As root (CI), the server runs as
the ``postgres`` user the package creates, since PostgreSQL refuses to run as root. ``REVIEWER_TEST_PG``
names a server to use instead (a URL to its maintenance database).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg


def bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Cluster:
    base: Path | None  # None: a server we did not start
    admin: str  # psycopg conninfo of the maintenance database
    host: str
    port: int
    user: str

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.host}&port={self.port}"

    def stop(self) -> None:
        if self.base is None:
            return
        binaries = bindir()
        if binaries is not None:
            subprocess.run(
                [
                    *_as_owner(),
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(self.base / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def start(fsync: bool = False, tcp: bool = False) -> Cluster:
    """Start a cluster (fsync off by default: the tests check behaviour, not the disk; ``tcp``: reached
    over loopback TCP, as another workstation would, rather than the Unix socket)."""
    given = os.environ.get("REVIEWER_TEST_PG", "").strip()
    if given:
        info = psycopg.conninfo.conninfo_to_dict(given.replace("postgresql+psycopg://", "postgresql://"))
        return Cluster(None, given.replace("postgresql+psycopg://", "postgresql://"), str(info.get("host", "")),
                       int(info.get("port", 5432)), str(info.get("user", "postgres")))  # fmt: skip
    binaries = bindir()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (initdb not found): apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="reviewer-pg-"))
    (base / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(base / "sock", "postgres")
        os.chmod(base, 0o755)
    port = _free_port() if tcp else 5432 + os.getpid() % 1000
    run = [*_as_owner()]
    subprocess.run(
        [*run, str(binaries / "initdb"), "-D", str(base / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    listen = "127.0.0.1" if tcp else ""
    options = f"-k {base / 'sock'} -c listen_addresses='{listen}' -p {port} -c max_connections=200"
    if not fsync:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [*run, str(binaries / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "server.log"), "-w", "-o",
         options, "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    host = "127.0.0.1" if tcp else str(base / "sock")
    return Cluster(base, f"host={host} port={port} user=postgres dbname=postgres", host, port, "postgres")
