"""bootstrap/sandbox.py as an unprivileged user (a developer running Overcast as themselves):
a user and mount namespace hides the data dir and mounts the code read-only. Under root the
test drops to `nobody` first, so this path is exercised on CI (which runs as root) too."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

isolation = importlib.import_module("overcast.services.lambda.isolation")
PLAN_VARIABLE, SANDBOX = isolation.PLAN_VARIABLE, isolation.SANDBOX

NOBODY = 65534
#: An interpreter `nobody` may run (pyenv's live under root's home).
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

PROBE = """
import json, os, sys
task, data = sys.argv[1], sys.argv[2]
def attempt(fn):
    try:
        fn()
        return "allowed"
    except OSError as error:
        return error.errno
print(json.dumps({
    "secret": attempt(lambda: open(os.path.join(data, "state.sqlite")).read()),
    "listing": os.listdir(data) if os.path.isdir(data) else None,
    "code": open(os.path.join(task, "handler.py")).read(),
    "write": attempt(lambda: open(os.path.join(task, "handler.py"), "a").write("#")),
    "cwd": os.getcwd(),
    "processes": sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit()),
    "outside": attempt(lambda: os.listdir("/proc/%s/root" % sys.argv[3])),
}))
"""


@pytest.fixture
def layout():
    root = Path(tempfile.mkdtemp(prefix="overcast-sandbox-test-"))
    os.chmod(root, 0o755)
    data, code, env = root / "data", root / "code", root / "env"
    for folder in (data, code, env / "task", env / "opt"):
        folder.mkdir(parents=True)
    (data / "state.sqlite").write_text("secret key")
    (code / "handler.py").write_text("def handler(event, context): pass\n")
    if os.getuid() == 0:
        for path in (
            root,
            data,
            code,
            env,
            env / "task",
            env / "opt",
            data / "state.sqlite",
            code / "handler.py",
        ):
            os.chown(path, NOBODY, NOBODY)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_an_unprivileged_sandbox_hides_the_data_dir_and_mounts_code_read_only(layout):
    data, code, task = layout / "data", layout / "code", layout / "env" / "task"
    plan = {
        "binds": [[str(code), str(task), True], [str(code), str(layout / "env" / "opt"), True]],
        "hide": [str(data)],
        "cwd": str(task),
        "uid": None,
        "gid": None,
    }
    command = [PYTHON, "-S", "-I", str(SANDBOX), PYTHON, "-c", PROBE, str(task), str(data), str(os.getpid())]
    if os.getuid() == 0:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    result = subprocess.run(
        command,
        env={"PATH": "/usr/bin:/bin", PLAN_VARIABLE: json.dumps(plan)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode == 126 and "unshare" in result.stderr:
        pytest.skip(f"user namespaces are not available here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["secret"] == 2 and seen["listing"] == []  # ENOENT: an empty tmpfs covers it
    assert seen["code"].startswith("def handler") and seen["cwd"] == str(task)
    assert seen["write"] == 30  # EROFS
    # Its own PID namespace: no process outside it (the server, other functions) is in its /proc.
    assert seen["processes"] == [1] and seen["outside"] == 2
    assert (code / "handler.py").read_text().endswith("pass\n")  # unchanged outside
    assert (data / "state.sqlite").read_text() == "secret key"


def test_a_sandbox_that_cannot_be_made_stops_the_runtime(layout):
    plan = {"binds": [["/nonexistent", str(layout / "env" / "task"), True]], "hide": [], "cwd": "/"}
    result = subprocess.run(
        [PYTHON, "-S", "-I", str(SANDBOX), "/bin/true"],
        env={"PATH": "/usr/bin:/bin", PLAN_VARIABLE: json.dumps(plan)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 126 and "could not isolate" in result.stderr


def test_two_functions_never_share_a_user_id():
    one = ("000000000000", "us-east-1", "one")
    sandboxes = isolation.Isolation(hidden=[])
    first = sandboxes.uid_for(*one)
    assert sandboxes.uid_for(*one) == first  # stable for a function
    # Where another function's hash took that id first, the next free one is given.
    taken = isolation.Isolation(hidden=[], uids={first: ("111111111111", "eu-west-1", "two")})
    second = taken.uid_for(*one)
    assert second != first and isolation.UID_BASE <= second < isolation.UID_BASE + isolation.UID_SPAN


@pytest.mark.skipif(os.getuid() != 0, reason="covers are made only when Overcast runs as root")
def test_a_closed_folder_is_covered_but_what_runtimes_need_from_it_stays():
    """A virtualenv in a `mktemp -d` folder (0700): the function's own user still imports
    boto3 from it, but sees nothing else there."""
    closed = Path(tempfile.mkdtemp(prefix="overcast-closed-test-"))  # 0700, like mktemp -d
    try:
        kept = closed / "venv" / "site-packages"
        kept.mkdir(parents=True)
        (kept / "sdk.py").write_text("VERSION = 1\n")
        (closed / "secret").write_text("secret key")
        needed = [str(kept), "/nonexistent/folder"]
        assert isolation.covers_for(needed) == {str(closed): [str(kept)]}
        stage = closed.parent / f"{closed.name}-stage"
        (stage / "0").mkdir(parents=True, mode=0o700)
        plan = {
            "binds": [],
            "hide": [],
            "cwd": "/",
            "uid": NOBODY,
            "gid": NOBODY,
            "covers": sorted(isolation.covers_for(needed).items()),
            "stage": str(stage),
        }
        probe = (
            "import json, os, sys; sys.path.insert(0, sys.argv[1]); import sdk; "
            "print(json.dumps([sdk.VERSION, sorted(os.listdir(sys.argv[2]))]))"
        )
        result = subprocess.run(
            [PYTHON, "-S", "-I", str(SANDBOX), PYTHON, "-S", "-c", probe, str(kept), str(closed)],
            env={"PATH": "/usr/bin:/bin", PLAN_VARIABLE: json.dumps(plan)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == [1, ["venv"]]  # the secret beside it is covered
    finally:
        shutil.rmtree(closed, ignore_errors=True)
        shutil.rmtree(closed.parent / f"{closed.name}-stage", ignore_errors=True)
