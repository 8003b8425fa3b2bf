"""The SAM CLI and the CDK CLI, found where .ci/run installs them (SAM in its own virtualenv,
/opt/overcast-tools/sam/bin/sam; the CDK with aws-cdk-lib under /opt/overcast-tools/cdk) or on
PATH; tests marked with `requires_sam` / `requires_cdk` skip, saying how to install, where
neither is.

    python3 -m venv /opt/overcast-tools/sam && /opt/overcast-tools/sam/bin/pip install aws-sam-cli
    npm install --prefix /opt/overcast-tools/cdk aws-cdk aws-cdk-lib constructs
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path("/opt/overcast-tools")


def sam() -> str | None:
    installed = TOOLS / "sam" / "bin" / "sam"
    return str(installed) if installed.exists() else shutil.which("sam")


def cdk_modules() -> Path | None:
    """The node_modules holding both the CDK CLI and aws-cdk-lib."""
    for root in (TOOLS / "cdk" / "node_modules", Path.cwd() / "node_modules"):
        if (root / ".bin" / "cdk").exists() and (root / "aws-cdk-lib").is_dir():
            return root
    return None


requires_sam = pytest.mark.skipif(
    sam() is None,
    reason="the SAM CLI is not installed (python3 -m venv /opt/overcast-tools/sam && "
    "/opt/overcast-tools/sam/bin/pip install aws-sam-cli)",
)
requires_cdk = [
    pytest.mark.skipif(
        cdk_modules() is None,
        reason="the CDK is not installed (npm install --prefix /opt/overcast-tools/cdk aws-cdk aws-cdk-lib constructs)",
    ),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


def tool_env(endpoint: str, workdir: Path, account: str = "000000000000") -> dict[str, str]:
    """The environment a tool runs in: pointed at Overcast through AWS_ENDPOINT_URL, with
    credentials of `account` and no telemetry or update checks."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": account,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "SAM_CLI_TELEMETRY": "0",
            "CDK_DISABLE_VERSION_CHECK": "1",
            "HOME": str(workdir),
        }
    )
    return env


def run(command: list[str], workdir: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run a tool; its output, or a failure that shows it."""
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout + result.stderr
