"""A private PostgreSQL server for tests of the PostgreSQL state backend: the machine's
PostgreSQL binaries (Debian's `postgresql` package), a cluster in a temp dir, run as the
`postgres` user when the tests run as root (PostgreSQL refuses root). Each test gets a database
of its own from `database()`."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL binaries (install Debian's postgresql package)")
        self.root = Path(tempfile.mkdtemp(prefix="overcast-pg-"))
        self.data = self.root / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run([str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--no-sync"])  # fmt: skip
        self._run([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start",
                   "-o", f"-p {self.port} -k {self.root} -h 127.0.0.1 -F"])  # fmt: skip
        self.bin_dir = bin_dir

    def _run(self, command: list[str]) -> None:
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of an empty database: the one database of this server, its Overcast tables
        dropped (quicker than a CREATE DATABASE a test)."""
        import pg8000.native

        admin = pg8000.native.Connection(
            user="postgres", host="127.0.0.1", port=self.port, database="postgres"
        )
        try:
            admin.run("DROP TABLE IF EXISTS overcast_items, overcast_layouts, overcast_meta")
        finally:
            admin.close()
        return self.url()

    def stop(self) -> None:
        """An immediate shutdown (SIGQUIT to the postmaster): the cluster is thrown away."""
        pid_file = self.data / "postmaster.pid"
        try:
            os.kill(int(pid_file.read_text().split()[0]), 3)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and pid_file.exists():
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
