"""aws:executeScript: the step's Python script runs for real, in a child process of its own
(isolated mode, a scratch directory, no inherited environment), its handler called with the
step's InputPayload. Inside, boto3 reaches Overcast (AWS_ENDPOINT_URL) as the execution's
account. What the handler returns is the step's Payload."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from overcast.services.ssm.automation_actions import StepFailed, StepRun

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: Runs in the child: compiles the script, calls the handler, writes the outcome to a file
#: (the script's own prints go to stdout and are its log).
_RUNNER = r"""
import json, sys, traceback
source, handler, result_path = sys.argv[1], sys.argv[2], sys.argv[3]
events = json.loads(sys.stdin.read() or "{}")
namespace = {"__name__": "script"}
try:
    exec(compile(source, "script", "exec"), namespace)
    function = namespace.get(handler)
    if not callable(function):
        raise NameError(f"The handler {handler} is not a function of the script.")
    outcome = {"ok": function(events, None)}
except BaseException as error:
    outcome = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
with open(result_path, "w") as out:
    json.dump(outcome, out, default=str)
"""


def _endpoint(runtime: Runtime) -> str:
    config = runtime.config
    host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


async def execute_script(run: StepRun) -> None:
    runtime_name = str(run.inputs.get("Runtime", ""))
    if not runtime_name.startswith("python3"):
        raise StepFailed(f"The runtime {runtime_name} is not available; Overcast runs Python scripts.")
    script, handler = run.inputs.get("Script"), run.inputs.get("Handler")
    if not isinstance(script, str) or not script.strip():
        raise StepFailed("The step has no inline Script (attachments are not read).")
    if not isinstance(handler, str) or not handler:
        raise StepFailed("The step needs a Handler.")
    payload = json.dumps(run.inputs.get("InputPayload") or {}, default=str).encode()
    with tempfile.TemporaryDirectory(prefix="ssm-script-") as scratch:
        result_path = Path(scratch) / "result.json"
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": scratch,
            "AWS_ENDPOINT_URL": _endpoint(run.provider.runtime),
            "AWS_ACCESS_KEY_ID": run.account,
            "AWS_SECRET_ACCESS_KEY": "overcast",
            "AWS_REGION": run.region,
            "AWS_DEFAULT_REGION": run.region,
            "AUTOMATION_EXECUTION_ID": run.execution_id,
        }
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-c", _RUNNER, script, handler, str(result_path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            cwd=scratch, env=environment,
        )  # fmt: skip
        try:
            log, _ = await child.communicate(payload)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
            raise
        try:
            outcome = json.loads(result_path.read_text())
        except (OSError, ValueError):
            raise StepFailed(
                f"The script ended without a result: {log.decode(errors='replace')[-2000:]}"
            ) from None
    if "error" in outcome:
        raise StepFailed(f"{outcome['error']}\n{outcome.get('trace', '')}".strip())
    run.response = {"Payload": outcome["ok"]}
    run.outputs["OutputPayload"] = json.dumps(run.response, default=str)
