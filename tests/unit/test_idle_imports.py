"""An idle server holds no more than it needs (DESIGN: services load on first request): the
modules a started server imports leave botocore, awscrt and every lazily loaded service out."""

from __future__ import annotations

import json
import subprocess
import sys

#: What a server imports to listen, answer health checks and run its autostarted services.
STARTUP = """
import json, sys
import overcast.cli, overcast.server
from overcast.services import AUTOSTART, provider_class
for service in AUTOSTART:
    provider_class(service)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_started_server_has_not_imported_botocore_or_idle_services() -> None:
    result = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout))
    heavy = {
        name for name in modules if name.split(".")[0] in {"botocore", "boto3", "awscrt", "orjson", "pg8000"}
    }
    assert heavy <= {"botocore"}, sorted(heavy)  # the bare package (its version) is cheap
    services = {
        name.split(".")[2]
        for name in modules
        if name.startswith("overcast.services.") and name.count(".") >= 2
    }
    assert services <= {"cloudtrail", "lambda_ids", "lambda_interface", "base"}, sorted(services)


def test_the_start_command_does_not_import_an_http_client() -> None:
    """`overcast start` answers HTTP; the client the other commands use is not loaded for it."""
    script = "import json, sys; import overcast.cli, overcast.server; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout))
    assert not modules & {"urllib.request", "http.client"}, sorted(
        modules & {"urllib.request", "http.client"}
    )
