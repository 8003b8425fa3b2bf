"""The container runtime other services build on (overcast/engines/docker.py), against the
real Docker Engine: networks, labelled containers with environment and ports, output, exit
codes, events, and finding Overcast's own containers again. Skipped without an engine."""

from __future__ import annotations

import threading
import uuid

import pytest

from overcast.engines.docker import Engine, EngineError


@pytest.fixture
def engine(docker_image) -> Engine:
    return Engine.shared()


def test_container_lifecycle(engine, docker_image):
    tag = uuid.uuid4().hex[:10]
    network = f"overcast-test-{tag}"
    engine.create_network(network, {"overcast.test": tag})
    assert engine.network(network)["Labels"]["overcast"] == "1"
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        for event in engine.events({"overcast.test": tag}):
            seen.append(event.get("Action", event.get("status", "")))
            if seen[-1] == "die":
                done.set()
                return

    threading.Thread(target=watch, daemon=True).start()
    container = engine.create(
        f"overcast-test-{tag}",
        {
            "Image": docker_image,
            "Cmd": ["sh", "-c", "echo out $GREETING; echo err >&2; exit 4"],
            "Env": ["GREETING=hi"],
            "Labels": {"overcast.test": tag},
            "HostConfig": {"NetworkMode": network},
        },
    )
    try:
        assert [c["Id"] for c in engine.containers({"overcast.test": tag})] == [container]
        engine.start(container)
        assert engine.wait(container) == 4
        assert sorted(engine.logs(container, follow=False)) == [("stderr", b"err"), ("stdout", b"out hi")]
        assert done.wait(10)
        assert "start" in seen and "die" in seen
        assert engine.inspect(container)["State"]["ExitCode"] == 4
    finally:
        engine.remove(container)
        engine.remove_network(network)
    assert engine.inspect(container) is None
    assert engine.containers({"overcast.test": tag}) == []
    engine.remove(container)  # removing what is gone is no error
    with pytest.raises(EngineError) as excinfo:
        engine.start(container)
    assert excinfo.value.status == 404


def test_stop_and_kill(engine, docker_image):
    container = engine.create(
        f"overcast-test-{uuid.uuid4().hex[:10]}", {"Image": docker_image, "Cmd": ["sleep", "60"]}
    )
    try:
        engine.start(container)
        engine.kill(container, "KILL")
        assert engine.wait(container) == 137
        engine.stop(container, 1)  # already stopped: no error
    finally:
        engine.remove(container)
