"""A PostgreSQL server of its own for one fault case, so it can be stopped and started without touching
the machine's shared server: `initdb` into a temporary folder, on a loopback port held for it from start to
close (so no other test run takes it while the server is stopped), run as the `postgres` user. Skipped (with
the reason) where the binaries or that user are missing."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ess_ops.nats.natsserver import HeldPort


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class DedicatedPostgres:
    def __init__(self) -> None:
        bin_dir = _binaries()
        if bin_dir is None:
            pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
        try:
            self.user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no 'postgres' system user to run a dedicated PostgreSQL server")
        if os.geteuid() != 0:
            pytest.skip("starting a dedicated PostgreSQL server as the postgres user needs root")
        self.bin = bin_dir
        # Under /tmp, not pytest's tmp_path: the postgres user cannot enter root's 0700 pytest folders.
        self.root = Path(tempfile.mkdtemp(prefix="ess-pg-"))
        self._held = HeldPort()  # PostgreSQL binds it with SO_REUSEADDR; kept through stop() and start()
        self.port = self._held.port
        try:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
            self.data = self.root / "data"
            self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        except BaseException:
            self._held.close()
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=self.root)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: like a crash, no shutdown checkpoint; connections are cut at once."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        self._held.close()
        shutil.rmtree(self.root, ignore_errors=True)
