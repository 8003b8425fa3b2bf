"""A function cannot read Overcast's state or another function's code, nor change its own code
(DESIGN.md §6): each environment runs in a sandbox (isolation.py, bootstrap/sandbox.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest

from tests.conftest import Server

from .helpers import ROLE, unique, zip_bytes

PROBE_PY = r"""
import glob, json, os, urllib.request

def attempt(fn):
    try:
        value = fn()
        return "allowed" if value is None else "allowed:" + str(value)[:60]
    except Exception as error:
        return type(error).__name__

def handler(event, context):
    task = os.environ["LAMBDA_TASK_ROOT"]
    server = event["server_pid"]
    out = {
        "state": attempt(lambda: open(event["state"], "rb").read(16) and None),
        "data_dir": attempt(lambda: os.listdir(event["data_dir"]) or None),
        "other_code": attempt(lambda: open(event["other_code"]).read() and None),
        "write_own": attempt(lambda: open(os.path.join(task, "probe.py"), "a").write("# changed\n") and None),
        "create_in_own": attempt(lambda: open(os.path.join(task, "new.py"), "w").write("x = 1\n") and None),
        "server_environ": attempt(lambda: open("/proc/%d/environ" % server, "rb").read() and None),
        "server_root": attempt(lambda: os.listdir("/proc/%d/root%s" % (server, event["data_dir"])) or None),
        "other_cwd": attempt(lambda: os.listdir("/proc/%d/cwd" % event["other_pid"]) or None),
        "other_envs": attempt(
            lambda: [p for p in glob.glob("/tmp/overcast-lambda-env-*/task/*") if not p.startswith(task)] or None
        ),
        "home_aws": attempt(lambda: os.listdir(os.path.expanduser("~root/.aws")) or None),
        "tmp": attempt(lambda: open(os.path.join(os.environ["TMPDIR"], "scratch"), "w").write("ok") and None),
        "own_code": attempt(lambda: open(os.path.join(task, "probe.py")).read(9)),
        "uid": os.getuid(),
        "export": attempt(lambda: urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_overcast/state/export").read(2)),
    }
    return out
"""

PROBE_JS = r"""
const fs = require("fs");
const path = require("path");
function attempt(fn) {
  try { fn(); return "allowed"; } catch (error) { return error.code || String(error); }
}
exports.handler = async (event) => ({
  state: attempt(() => fs.readFileSync(event.state)),
  data_dir: attempt(() => fs.readdirSync(event.data_dir)),
  other_code: attempt(() => fs.readFileSync(event.other_code)),
  write_own: attempt(() => fs.appendFileSync(path.join(process.env.LAMBDA_TASK_ROOT, "index.js"), "//")),
  own_code: attempt(() => fs.readFileSync(path.join(process.env.LAMBDA_TASK_ROOT, "index.js"))),
  sdk: attempt(() => require("@aws-sdk/client-sts")),
});
"""

VICTIM = """
import os
def handler(event, context):
    return {"pid": os.getpid(), "code": os.environ["LAMBDA_TASK_ROOT"]}
"""


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    data = tmp_path_factory.mktemp("isolation") / "data"
    instance = Server("--data-dir", str(data), "--quiet")
    instance.data_dir = data
    yield instance
    instance.stop()


def lambda_client(server: Server):
    return boto3.client(
        "lambda", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def make(lam, files: dict[str, str], handler: str, runtime: str) -> str:
    name = unique("iso")
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code={"ZipFile": zip_bytes(files)}
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    return name


def invoke(lam, name: str, event: dict) -> dict:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    return payload


def victim_code_path(server: Server) -> str:
    unpacked = sorted(server.data_dir.glob("files/lambda/.unpacked.v2/*/victim.py"))
    assert unpacked
    return str(unpacked[0])


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12"])
def test_a_python_function_cannot_read_state_or_other_code_or_change_its_own(isolated, runtime):
    lam = lambda_client(isolated)
    victim = make(lam, {"victim.py": VICTIM}, "victim.handler", "python3.12")
    victim_pid = invoke(lam, victim, {})["pid"]  # warm: its environment runs meanwhile
    probe = make(lam, {"probe.py": PROBE_PY}, "probe.handler", runtime)
    event = {
        "state": str(isolated.data_dir / "state.sqlite"),
        "data_dir": str(isolated.data_dir),
        "other_code": victim_code_path(isolated),
        "server_pid": isolated.process.pid,
        "other_pid": victim_pid,
    }
    seen = invoke(lam, probe, event)
    for refused in (
        "state",
        "data_dir",
        "other_code",
        "server_environ",
        "server_root",
        "other_cwd",
        "home_aws",
    ):
        assert not seen[refused].startswith("allowed"), (refused, seen)
    assert seen["write_own"] in ("OSError", "PermissionError"), seen  # read-only file system
    assert seen["create_in_own"] in ("OSError", "PermissionError"), seen
    assert seen["other_envs"] in ("allowed", "PermissionError"), seen  # none but its own
    assert seen["tmp"] == "allowed" and seen["own_code"].startswith("allowed:")
    if os.getuid() == 0:
        assert seen["uid"] != 0
        # Nor through the server: the internal endpoints know a function's socket by its owner.
        assert seen["export"] == "HTTPError", seen
    # Its code is still what was deployed: a second, cold environment runs it unchanged.
    lam.update_function_configuration(FunctionName=probe, Environment={"Variables": {"AGAIN": "1"}})
    again = invoke(lam, probe, event)
    assert again["own_code"] == seen["own_code"]
    assert invoke(lam, victim, {})["pid"] == victim_pid  # the victim's warm environment lives on


def test_two_functions_run_as_different_users(isolated):
    if os.getuid() != 0:
        pytest.skip("functions have users of their own when Overcast runs as root")
    lam = lambda_client(isolated)
    probe = make(lam, {"probe.py": PROBE_PY}, "probe.handler", "python3.11")
    other = make(lam, {"probe.py": PROBE_PY}, "probe.handler", "python3.11")
    event = {"state": "/nonexistent", "data_dir": "/nonexistent", "other_code": "/nonexistent",
             "server_pid": isolated.process.pid, "other_pid": isolated.process.pid}  # fmt: skip
    assert invoke(lam, probe, event)["uid"] != invoke(lam, other, event)["uid"]


def test_a_nodejs_function_cannot_read_state_or_other_code_or_change_its_own(isolated):
    lam = lambda_client(isolated)
    victim = make(lam, {"victim.py": VICTIM}, "victim.handler", "python3.12")
    invoke(lam, victim, {})
    probe = make(lam, {"index.js": PROBE_JS}, "index.handler", "nodejs20.x")
    seen = invoke(
        lam,
        probe,
        {
            "state": str(isolated.data_dir / "state.sqlite"),
            "data_dir": str(isolated.data_dir),
            "other_code": victim_code_path(isolated),
        },
    )
    for refused in ("state", "data_dir", "other_code"):
        assert seen[refused] != "allowed", (refused, seen)
    assert seen["write_own"] in ("EROFS", "EACCES"), seen
    assert seen["own_code"] == "allowed" and seen["sdk"] == "allowed", seen


def test_the_data_dir_stays_hidden_when_the_state_is_replaced(isolated, tmp_path):
    """An import swaps the files tree under the data dir: functions still see none of it."""
    lam = lambda_client(isolated)
    probe = make(lam, {"probe.py": PROBE_PY}, "probe.handler", "python3.11")
    files = isolated.data_dir / "files"
    event = {"state": str(isolated.data_dir / "state.sqlite"), "data_dir": str(files),
             "other_code": victim_code_path(isolated) if list(files.glob("lambda/.unpacked.v2/*/victim.py")) else "/x",
             "server_pid": isolated.process.pid, "other_pid": isolated.process.pid}  # fmt: skip
    seen = invoke(lam, probe, event)
    assert not seen["data_dir"].startswith("allowed") and not seen["state"].startswith("allowed")
    assert Path(event["state"]).exists()
