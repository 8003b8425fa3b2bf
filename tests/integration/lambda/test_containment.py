"""A function cannot break Overcast: processes it starts, even ones that leave its process group,
end with its environment; a Python runtime missing from the machine runs on the host's Python
with a logged warning."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

from tests.conftest import Server

from .helpers import create

ESCAPE = """
import os, subprocess, time
def handler(event, context):
    if event.get("exec"):
        child = subprocess.Popen(["sleep", "300"], start_new_session=True)
        if event.get("hang"):
            print("started", child.pid, flush=True)
            time.sleep(60)
        time.sleep(event.get("hold", 0))
        return child.pid
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            os.close(write)
            time.sleep(300)
            os._exit(0)
        os._exit(0)
    os.close(write)
    pid = int(os.read(read, 32))
    os.wait()
    return pid
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def describe(pid: int) -> str:
    """What a failed assertion should show of a process: its state, parent and marker."""
    try:
        with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/environ", "rb") as environ:
            fields = stat.read().rsplit(")", 1)[1].split()
            marker = [v for v in environ.read().split(b"\0") if v.startswith(b"_OVERCAST_LAMBDA")]
            return f"{pid}: state {fields[0]}, parent {fields[1]}, {marker}"
    except OSError as error:
        return f"{pid}: {error}"


def invoke(lam, name, payload):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    return response, json.loads(response["Payload"].read())


def test_processes_that_leave_the_process_group_end_with_the_environment(client):
    lam = client("lambda")
    name = create(lam, ESCAPE, Timeout=2)
    _, forked = invoke(lam, name, {})
    _, executed = invoke(lam, name, {"exec": True})
    assert alive(forked) and alive(executed)
    lam.delete_function(FunctionName=name)  # its environments end
    assert gone(forked) and gone(executed), (describe(forked), describe(executed))


def test_a_function_deleted_mid_invocation_ends_its_environment_when_the_invocation_does(client):
    lam = client("lambda")
    name = create(lam, ESCAPE, Timeout=10)
    invoke(lam, name, {})  # a warm environment, so the next invoke starts at once
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(invoke, lam, name, {"exec": True, "hold": 1.5})
        time.sleep(0.7)
        lam.delete_function(FunctionName=name)
        _, executed = running.result()
    assert gone(executed), describe(executed)


def test_a_timed_out_environment_takes_its_escaped_children_along(client):
    lam = client("lambda")
    name = create(lam, ESCAPE, Timeout=1)
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"exec": True, "hang": True}), LogType="Tail")
    result = json.loads(response["Payload"].read())
    assert result["errorType"] == "Sandbox.Timedout"
    import base64

    tail = base64.b64decode(response["LogResult"]).decode()
    pid = int(tail.split("started ", 1)[1].split()[0])
    assert gone(pid)


def test_missing_python_runs_on_the_host_python_with_a_warning():
    server = Server("--ephemeral", "--quiet", env={"PYENV_ROOT": "/nonexistent"})
    try:
        lam = boto3.client(
            "lambda",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        name = create(
            lam,
            "import sys\ndef handler(e, c):\n    return '%d.%d' % sys.version_info[:2]\n",
            runtime="python3.13",
        )
        _, version = invoke(lam, name, {})
    finally:
        output = server.stop()
    import sys

    host = "%d.%d" % sys.version_info[:2]
    assert version == host != "3.13"
    assert f"no python3.13 interpreter on this machine; python3.13 functions run on Python {host}" in output
