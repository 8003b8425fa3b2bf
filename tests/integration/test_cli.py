"""The `overcast` command as a user meets it: every mistake answered in one line on stderr,
with a non-zero exit and no traceback; `--port 0`, OVERCAST_PORT and `state --help`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, Server, free_port

OVERCAST = str(BIN / "overcast")


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OVERCAST_", "GATEWAY_"))}
    environ["OVERCAST_STRICT_WIRE"] = "1"
    return subprocess.run(
        [OVERCAST, *args], capture_output=True, text=True, timeout=timeout, env={**environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A data dir a running server holds."""
    data_dir = tmp_path_factory.mktemp("held") / "data"
    server = Server("--data-dir", str(data_dir), "--quiet")
    yield data_dir
    server.stop()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data dir no server holds."""
    from overcast.store import Store

    path = tmp_path_factory.mktemp("stopped") / "data"
    Store.open(path).close()
    return path


#: (argv, environment, what the one line says). {tmp} is a fresh folder holding `garbage` (not
#: an archive) and `folder/` (not empty, not a data dir); {held} a data dir a server holds;
#: {data} a stopped server's data dir; {dead} an endpoint nothing answers.
MISTAKES = {
    "port above 65535": (["start", "--port", "99999"], {}, "--port must be a port number from 1 to 65535"),
    "negative port": (["start", "--port", "-5"], {}, "--port must be a port number from 1 to 65535"),
    "port not a number": (["start", "--port", "abc"], {}, "--port must be a port number"),
    "OVERCAST_PORT not a number": (
        ["start", "--ephemeral"],
        {"OVERCAST_PORT": "abc"},
        "OVERCAST_PORT must be",
    ),
    "GATEWAY_LISTEN port not a number": (
        ["start", "--ephemeral"],
        {"GATEWAY_LISTEN": "0.0.0.0:http"},
        "GATEWAY_LISTEN must be",
    ),
    "host that does not resolve": (
        ["start", "--ephemeral", "--host", "nosuchhost.invalid", "--port", "0"],
        {},
        "the host name nosuchhost.invalid does not resolve",
    ),
    "unknown service": (
        ["start", "--ephemeral", "--services", "s3,bogus"],
        {},
        "--services names the unknown service bogus, which Overcast does not emulate; it emulates",
    ),
    "unknown service in OVERCAST_SERVICES": (
        ["start", "--ephemeral"],
        {"OVERCAST_SERVICES": "sqs,nope,zzz"},
        "OVERCAST_SERVICES names the unknown services nope, zzz",
    ),
    "data dir that is a file": (
        ["start", "--data-dir", "{tmp}/garbage", "--port", "0"],
        {},
        "cannot use data dir {tmp}/garbage: it is a file, not a folder",
    ),
    "data dir under a file": (
        ["start", "--data-dir", "{tmp}/garbage/data", "--port", "0"],
        {},
        "a part of that path is a file, not a folder",
    ),
    "export of a data dir a server holds": (
        ["state", "export", "{tmp}/out.tar.gz", "--data-dir", "{held}"],
        {},
        "is in use by another Overcast process",
    ),
    "import into a data dir a server holds": (
        ["state", "import", "{tmp}/garbage", "--data-dir", "{held}"],
        {},
        "is in use by another Overcast process",
    ),
    "export of a mistyped data dir": (
        ["state", "export", "{tmp}/out.tar.gz", "--data-dir", "{tmp}/no-such-data-dir"],
        {},
        "cannot export from {tmp}/no-such-data-dir: there is no such folder",
    ),
    "export of a folder that is not a data dir": (
        ["state", "export", "{tmp}/out.tar.gz", "--data-dir", "{tmp}/folder"],
        {},
        "it is not an Overcast data dir",
    ),
    "import into a folder that is not a data dir": (
        ["state", "import", "{tmp}/garbage", "--data-dir", "{tmp}/folder"],
        {},
        "it is not an Overcast data dir, and not an empty folder",
    ),
    "import of a missing file into a data dir": (
        ["state", "import", "{tmp}/missing.tar.gz", "--data-dir", "{data}"],
        {},
        "cannot import {tmp}/missing.tar.gz: there is no such file",
    ),
    "import of a non-archive into a data dir": (
        ["state", "import", "{tmp}/garbage", "--data-dir", "{data}"],
        {},
        "{tmp}/garbage is not an Overcast export",
    ),
    "import of a missing file through a server": (
        ["state", "import", "{tmp}/missing.tar.gz", "--endpoint", "{endpoint}"],
        {},
        "cannot import {tmp}/missing.tar.gz: there is no such file",
    ),
    "import of a non-archive through a server names the user's file": (
        ["state", "import", "{tmp}/garbage", "--endpoint", "{endpoint}"],
        {},
        "import failed: {tmp}/garbage is not an Overcast export",
    ),
    "import of a folder": (["state", "import", "{tmp}/folder"], {}, "it is not a file"),
    "export into a missing folder": (
        ["state", "export", "{tmp}/nowhere/out.tar.gz", "--endpoint", "{endpoint}"],
        {},
        "the folder {tmp}/nowhere does not exist",
    ),
    "status with nothing answering": (["status", "--endpoint", "{dead}"], {}, "Overcast is not answering at"),
    "state with nothing answering on OVERCAST_PORT": (
        ["state", "export", "{tmp}/out.tar.gz"],
        {"OVERCAST_PORT": "{dead_port}"},
        "Overcast is not answering at http://localhost:{dead_port}",
    ),
    "unknown state action": (["state", "copy", "x"], {}, "invalid choice: 'copy'"),
    "tuning not a number": (["start", "--ephemeral"], {"OVERCAST_S3_RESTORE_SECONDS": "soon"}, "not 'soon'"),
}


@pytest.mark.parametrize("argv,env,expected", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_is_one_line_and_no_traceback(argv, env, expected, tmp_path, held, data_dir, endpoint):
    (tmp_path / "garbage").write_bytes(b"not an export")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("mine")
    dead_port = free_port()
    values = {
        "tmp": str(tmp_path),
        "held": str(held),
        "data": str(data_dir),
        "endpoint": endpoint,
        "dead": f"http://127.0.0.1:{dead_port}",
        "dead_port": str(dead_port),
    }
    result = run(*(arg.format(**values) for arg in argv), env={k: v.format(**values) for k, v in env.items()})
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("overcast"), lines[0]
    assert expected.format(**values) in lines[0]
    # Nothing was made where the user mistyped.
    assert not (tmp_path / "no-such-data-dir").exists()
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == ["notes.txt"]


def test_port_zero_serves_on_a_free_port_it_prints():
    process = subprocess.Popen(
        [OVERCAST, "start", "--ephemeral", "--quiet", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert match is not None, line
        port = int(match.group(1))
        assert port not in (0, 4566)
        # OVERCAST_PORT tells `status` where to look.
        status = run("status", env={"OVERCAST_PORT": str(port)})
        assert status.returncode == 0, status.stderr
        assert f"at http://localhost:{port}" in status.stdout and "sts" in status.stdout
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_state_commands_honour_overcast_port(server, tmp_path):
    target = tmp_path / "exported.tar.gz"
    result = run("state", "export", str(target), env={"OVERCAST_PORT": str(server.port)})
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 0
    result = run("state", "import", str(target), env={"OVERCAST_PORT": str(server.port)})
    assert result.returncode == 0, result.stderr


def test_state_help_explains_both_directions_and_the_file():
    result = run("state", "--help")
    assert result.returncode == 0
    text = result.stdout
    for said in ("export FILE", "import FILE", "replace the whole state", ".tar.gz", "overcast-export.json"):
        assert said in text, said
