"""The README's shell examples, run as written against a real server: what a new user types
first must work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN

ROOT = Path(__file__).resolve().parents[2]
#: Lines that set Overcast up or start it: the test's own venv and server stand in for them
#: (.ci/run and the plain-install smoke test run them as written).
SETUP = re.compile(r"python3 -m venv|pip install|overcast start")


def shell_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def runnable(block: str, endpoint: str) -> str:
    lines = [line for line in block.splitlines() if line.strip() and not SETUP.search(line)]
    return "\n".join(lines).replace("http://localhost:4566", endpoint).replace(".venv/bin/", f"{BIN}/")


def test_the_readme_has_its_first_steps():
    blocks = shell_examples()
    assert blocks and "overcast start" in blocks[0]
    assert any("AWS_ACCESS_KEY_ID=test" in block and "AWS_DEFAULT_REGION" in block for block in blocks)


def test_the_readme_shell_examples_work_against_a_server(endpoint, tmp_path):
    if not (BIN / "aws").exists() and shutil.which("aws") is None:
        pytest.skip("the AWS CLI (test extras) is not installed")
    script = "\n".join(runnable(block, endpoint) for block in shell_examples())
    assert script.strip()
    # A shell as a new user's: none of the test run's AWS settings, a folder of their own.
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OVERCAST_"))}
    environ["HOME"] = str(tmp_path)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert "arn:aws:iam::000000000000:root" in result.stdout
    assert "my-first-bucket" in result.stdout and "my-first-queue" in result.stdout
