"""The engine supervisor: binaries found or named by their package, engines started in the
background, probed, restarted after a crash with an event, stopped with Overcast. The "engine"
here is a small Python TCP server, so the supervision is tested without a database."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from overcast.engines import process
from overcast.engines.process import (
    Binaries,
    Launch,
    MissingBinary,
    Supervisor,
    find_binary,
    free_port,
    port_open,
)

ENGINE = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
while True:
    conn, _ = s.accept(); conn.close()
"""


@pytest.fixture
def supervisor(tmp_path, monkeypatch):
    # Not as root's engine user: the test's own process runs the fake engine.
    monkeypatch.setattr(Supervisor, "as_engine_user", staticmethod(lambda: False))
    events: list[tuple[str, str]] = []
    runtime = SimpleNamespace(store=SimpleNamespace(data_dir=tmp_path))
    sup = Supervisor(runtime, "test", lambda key, message: events.append((key, message)))
    sup.events = events  # type: ignore[attr-defined]
    yield sup
    sup.close()


def launch(port: int) -> Launch:
    return Launch([sys.executable, "-c", ENGINE, str(port)], ready=lambda: port_open(port))


def wait(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_an_engine_starts_in_the_background_and_is_probed_ready(supervisor):
    port = free_port()
    ready: list[bool] = []
    started = time.monotonic()
    supervisor.start("one", launch(port), on_ready=lambda: ready.append(True))
    assert time.monotonic() - started < 0.5  # the caller never waits for the engine
    assert supervisor.wait_ready("one", 15)
    wait(lambda: ready == [True])
    assert port_open(port)
    assert (supervisor.root / "one.pid").exists()


def test_a_crashed_engine_is_restarted_and_an_event_recorded(supervisor):
    port = free_port()
    supervisor.start("crashy", launch(port))
    assert supervisor.wait_ready("crashy", 15)
    first = supervisor.pid("crashy")
    os.kill(first, signal.SIGKILL)
    wait(lambda: supervisor.pid("crashy") not in (None, first) and port_open(port))
    assert supervisor.events and supervisor.events[0][0] == "crashy"
    assert "exited unexpectedly" in supervisor.events[0][1]


def test_stop_ends_the_engine_and_it_stays_down(supervisor):
    port = free_port()
    supervisor.start("stopped", launch(port))
    assert supervisor.wait_ready("stopped", 15)
    supervisor.stop("stopped")
    assert not supervisor.running("stopped")
    time.sleep(0.3)
    assert not port_open(port)
    assert supervisor.events == []


def test_an_engine_that_never_answers_fails_with_its_log(supervisor):
    failures: list[str] = []
    supervisor.start(
        "broken",
        Launch(
            [sys.executable, "-c", "import sys; print('no such table'); sys.exit(3)"], ready=lambda: False
        ),
        on_failed=failures.append,
    )
    wait(lambda: failures)
    assert "status 3" in failures[0] and "no such table" in failures[0]


def test_a_leftover_engine_of_a_killed_overcast_is_stopped_first(supervisor):
    port = free_port()
    import subprocess

    orphan = subprocess.Popen([sys.executable, "-c", ENGINE, str(port)])
    supervisor.root  # noqa: B018 - creates the directory
    (supervisor.root / "again.pid").write_text(f"{orphan.pid} {sys.executable}\n")
    wait(lambda: port_open(port))
    supervisor.start("again", launch(port))
    assert supervisor.wait_ready("again", 15)
    assert orphan.wait(5) is not None
    assert supervisor.pid("again") != orphan.pid


def test_a_missing_binary_names_its_package(monkeypatch, tmp_path):
    monkeypatch.setenv("OVERCAST_POSTGRES_BIN_DIR", str(tmp_path))
    with pytest.raises(MissingBinary) as error:
        find_binary(Binaries("postgres", "postgresql", ("/usr/lib/postgresql/*/bin",)), "initdb")
    assert "apt-get install postgresql" in error.value.message
    (tmp_path / "initdb").write_text("#!/bin/sh\n")
    (tmp_path / "initdb").chmod(0o755)
    assert find_binary(Binaries("postgres", "postgresql"), "initdb") == Path(tmp_path / "initdb")


def test_a_version_prefers_its_own_directory(monkeypatch, tmp_path):
    for major in ("14", "15", "16"):
        (tmp_path / major / "bin").mkdir(parents=True)
    binaries = Binaries("postgres", "postgresql", (str(tmp_path / "*" / "bin"),))
    monkeypatch.delenv("OVERCAST_POSTGRES_BIN_DIR", raising=False)
    assert process.candidate_dirs(binaries, "15.4")[0] == tmp_path / "15" / "bin"
    assert process.candidate_dirs(binaries)[0] == tmp_path / "16" / "bin"
    assert process.installed_versions(binaries) == ["16", "15", "14"]
