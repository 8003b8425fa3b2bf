"""ECS fixtures: clients, a cluster per test, and the images tasks run, built offline.

The image is a `docker import` of a root filesystem holding the static busybox of Debian's
busybox-static package, with links for the applets the tasks use (sh, echo, env, wget, ...)
and /lib, /lib64 pointing into /usr so that a task may mount the host's /usr to run the
host's Python. Tests that need an engine skip, saying why, when none is reachable."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from overcast.engines.docker import Engine

IMAGE = "overcast-test/busybox:ecs2"
BUSYBOX = Path("/bin/busybox")
APPLETS = (
    "sh",
    "echo",
    "env",
    "wget",
    "cat",
    "sleep",
    "true",
    "false",
    "ls",
    "nc",
    "httpd",
    "printf",
    "test",
    "kill",
)
SUBNETS = {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d"], "securityGroups": ["sg-0a1b2c3d"]}}


def _rootfs() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "tmp", "etc", "usr", "root", "work"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), "bin/busybox")
        for name, target in [(f"bin/{a}", "busybox") for a in APPLETS] + [
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
        ]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The test image's name, imported once per session; skips without an engine."""
    reason = Engine.shared().unavailable()
    if reason is not None:
        pytest.skip(f"no Docker Engine: {reason}")
    if not BUSYBOX.exists():
        pytest.skip("no static busybox (Debian package busybox-static) to build the test image from")
    if Engine.shared().image(IMAGE) is None:
        docker = shutil.which("docker")
        if docker is None:
            pytest.skip("no docker CLI to import the test image with")
        subprocess.run([docker, "import", "-", IMAGE], input=_rootfs(), check=True, capture_output=True)
    return IMAGE


@pytest.fixture(scope="session")
def ecs(client):
    return client("ecs")


@pytest.fixture(scope="session")
def logs(client):
    return client("logs")


@pytest.fixture
def cluster(ecs) -> str:
    name = f"c-{uuid.uuid4().hex[:10]}"
    ecs.create_cluster(clusterName=name)
    return name


def family() -> str:
    return f"f-{uuid.uuid4().hex[:10]}"


def wait_task(ecs, cluster: str, arn: str, status: str = "STOPPED", timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        if task["lastStatus"] == status or (status != "STOPPED" and task["lastStatus"] == "STOPPED"):
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task still {task['lastStatus']} after {timeout}s: {task}")
        time.sleep(0.1)


def log_messages(logs, group: str, stream: str, want: int = 1, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    messages: list[str] = []
    while time.monotonic() < deadline:
        try:
            events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if len(messages) >= want:
            return messages
        time.sleep(0.2)
    return messages


def wait_for(check, timeout: float = 60, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
