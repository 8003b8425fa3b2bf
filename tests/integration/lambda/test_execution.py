"""Functions run for real: runtimes, environment, context, errors, timeouts, containment."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.config import Config

from .helpers import ROLE, create, unique, zip_bytes

ENV_HANDLER = """
import os, sys
COUNT = [0]
def handler(event, context):
    COUNT[0] += 1
    names = ["AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME",
             "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TZ", "AWS_ENDPOINT_URL", "AWS_LAMBDA_RUNTIME_API",
             "MY_SETTING"]
    import boto3
    return {
        "env": {n: os.environ.get(n) for n in names},
        "cwd": os.getcwd(),
        "python": "%d.%d" % sys.version_info[:2],
        "count": COUNT[0],
        "event": event,
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
"""


def invoke(lam, name, payload=None, **kwargs):
    response = lam.invoke(
        FunctionName=name, Payload=json.dumps(payload if payload is not None else {}), **kwargs
    )
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


def test_python_handler_sees_aws_environment_and_context(client):
    lam = client("lambda")
    name = create(
        lam, ENV_HANDLER, MemorySize=256, Timeout=7, Environment={"Variables": {"MY_SETTING": "on"}}
    )
    response, result = invoke(lam, name, {"hello": "world"})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["_HANDLER"] == "handler.handler"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["MY_SETTING"] == "on"
    assert env["TZ"] == ":UTC"
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    host, _, port = env["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
    assert host == "127.0.0.1" and port.isdigit()
    assert result["cwd"] == env["LAMBDA_TASK_ROOT"]
    assert result["python"] == "3.12"
    assert result["event"] == {"hello": "world"}
    context = result["context"]
    assert context["function_name"] == name
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert 5000 < context["remaining"] <= 7000
    assert len(context["aws_request_id"]) == 36


def test_environment_is_reused_while_warm(client):
    lam = client("lambda")
    name = create(lam, ENV_HANDLER)
    counts = [invoke(lam, name)[1]["count"] for _ in range(3)]
    assert counts == [1, 2, 3]
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MY_SETTING": "new"}})
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    _, result = invoke(lam, name)
    assert result["count"] == 1 and result["env"]["MY_SETTING"] == "new"


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.13"])
def test_python_runtimes_run_their_interpreter_with_boto3(client, version):
    lam = client("lambda")
    name = create(lam, ENV_HANDLER, runtime=f"python{version}")
    response, result = invoke(lam, name)
    assert "FunctionError" not in response, result
    assert result["python"] == (version if version != "3.9" or not _sdk_needs_310() else "3.11")


def test_tail_log_and_cloudwatch_log_stream(client):
    lam, logs = client("lambda"), client("logs")
    source = (
        "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
        "def handler(event, context):\n    print('plain output')\n    logger.info('via logging %s', 42)\n    return 1\n"
    )
    name = create(lam, source)
    response, result = invoke(lam, name, LogType="Tail")
    assert result == 1
    tail = base64.b64decode(response["LogResult"]).decode()
    lines = tail.strip().split("\n")
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith("Version: $LATEST")
    assert "plain output" in tail
    assert "[INFO]" in tail and "via logging 42" in tail
    assert lines[-2].startswith("END RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ") and "Init Duration" in lines[-1]
    group = f"/aws/lambda/{name}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(
        logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True
    )["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("START RequestId:") and "plain output" in messages
    found = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert len(found) == 1


def test_handler_exception_is_an_unhandled_function_error(client):
    lam = client("lambda")
    name = create(lam, "def handler(event, context):\n    raise ValueError('bad input ' + str(event['n']))\n")
    response, result = invoke(lam, name, {"n": 7})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "bad input 7"
    assert len(result["requestId"]) == 36
    assert any("raise ValueError" in line for line in result["stackTrace"])


@pytest.mark.parametrize(
    "files,handler,error_type,message",
    [
        (
            {"handler.py": "def handler(e, c):\n    return 1\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            {"handler.py": "def handler(e, c):\n    return 1\n"},
            "handler.nope",
            "Runtime.HandlerNotFound",
            "Handler 'nope' missing on module 'handler'",
        ),
        (
            {"handler.py": "def handler(e, c)\n    return 1\n"},
            "handler.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'handler'",
        ),
        (
            {"handler.py": "import not_a_module_anywhere\n"},
            "handler.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'handler': No module named 'not_a_module_anywhere'",
        ),
    ],
)
def test_init_failures_have_aws_error_types(client, files, handler, error_type, message):
    lam = client("lambda")
    name = unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/r",
        Handler=handler,
        Code={"ZipFile": zip_bytes(files)},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    response, result = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == error_type
    assert result["errorMessage"].startswith(message)


def test_runtime_exit_is_an_exit_error(client):
    lam = client("lambda")
    name = create(lam, "import os\ndef handler(e, c):\n    os._exit(3)\n")
    response, result = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.ExitError"
    assert result["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    # The next invocation gets a fresh environment.
    response, result = invoke(lam, name)
    assert result["errorType"] == "Runtime.ExitError"


def test_timeout_kills_the_environment(client):
    lam = client("lambda")
    source = (
        "import time, os, subprocess\nSTARTS = [0]\ndef handler(event, context):\n    STARTS[0] += 1\n"
        "    if event.get('fork'):\n        subprocess.Popen(['sleep', '300'])\n"
        "    if event.get('hang'):\n        print('about to hang')\n        time.sleep(60)\n"
        "    return STARTS[0]\n"
    )
    name = create(lam, source, Timeout=1)
    assert invoke(lam, name)[1] == 1
    started = time.monotonic()
    response, result = invoke(lam, name, {"hang": True, "fork": True}, LogType="Tail")
    assert time.monotonic() - started < 5
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Sandbox.Timedout"
    assert result["errorMessage"].endswith("Task timed out after 1.00 seconds")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert (
        "about to hang" in tail and "Task timed out after 1.00 seconds" in tail and "Status: timeout" in tail
    )
    assert invoke(lam, name)[1] == 1  # a new environment


def test_huge_output_is_capped(client):
    lam = client("lambda")
    name = create(
        lam,
        "import sys\ndef handler(e, c):\n    sys.stdout.write('x' * (100 * 1024 * 1024))\n"
        "    return 'done'\n",
        MemorySize=1024,
        Timeout=60,
    )
    response, result = invoke(lam, name, LogType="Tail")
    assert result == "done"
    assert "bytes of output dropped" in base64.b64decode(response["LogResult"]).decode()


@pytest.fixture
def shared_dir():
    """A folder a function may write in: functions run as users of their own (isolation.py),
    so pytest's owner-only tmp_path is closed to them."""
    folder = Path(tempfile.mkdtemp(prefix="overcast-test-shared-"))
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_reserved_concurrency_throttles_exactly_at_the_limit(client, shared_dir):
    tmp_path = shared_dir
    lam = client("lambda")
    no_retry = client("lambda", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    # Each invocation marks that it runs, then holds its environment until the test releases it,
    # so the third call is made while exactly two are in flight, however slow the machine.
    source = (
        "import os, time\n"
        "def handler(e, c):\n"
        "    d = e.get('dir')\n"
        "    if d:\n"
        "        open(os.path.join(d, c.aws_request_id), 'w').close()\n"
        "        deadline = time.time() + 30\n"
        "        while not os.path.exists(os.path.join(d, 'release')) and time.time() < deadline:\n"
        "            time.sleep(0.02)\n"
        "    return 'ok'\n"
    )
    name = create(lam, source)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(no_retry.exceptions.TooManyRequestsException) as raised:
        no_retry.invoke(FunctionName=name, Payload=b"{}")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert raised.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 2
    payload = json.dumps({"dir": str(tmp_path)}).encode()

    def call(_):
        try:
            no_retry.invoke(FunctionName=name, Payload=payload)
            return "ok"
        except no_retry.exceptions.TooManyRequestsException:
            return "throttled"

    with ThreadPoolExecutor(3) as pool:
        first = [pool.submit(call, i) for i in range(2)]
        deadline = time.time() + 30
        while len(list(tmp_path.iterdir())) < 2 and time.time() < deadline:
            time.sleep(0.02)
        third = pool.submit(call, 2).result()
        (tmp_path / "release").touch()
        outcomes = [f.result() for f in first]
    assert outcomes == ["ok", "ok"] and third == "throttled"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


NODE_CJS = """
exports.handler = async (event, context) => {
  console.log("node says", JSON.stringify(event));
  return { got: event, name: context.functionName, remaining: context.getRemainingTimeInMillis() > 0,
           version: process.version, region: process.env.AWS_REGION };
};
"""


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runtimes need node on the PATH")


@needs_node
@pytest.mark.parametrize("runtime", ["nodejs18.x", "nodejs20.x", "nodejs22.x"])
def test_node_runtime_async_handler(client, runtime):
    lam = client("lambda")
    name = create(lam, NODE_CJS, handler="index.handler", runtime=runtime, filename="index.js")
    response, result = invoke(lam, name, {"x": 1}, LogType="Tail")
    assert "FunctionError" not in response, result
    assert result["got"] == {"x": 1} and result["name"] == name and result["remaining"] is True
    assert result["region"] == "us-east-1"
    tail = base64.b64decode(response["LogResult"]).decode()
    assert '\tINFO\tnode says {"x":1}' in tail


@needs_node
def test_node_esm_callback_and_errors(client):
    lam = client("lambda")
    esm = create(
        lam,
        "export const handler = async (event) => ({ esm: true, n: event.n });",
        handler="app.handler",
        runtime="nodejs20.x",
        filename="app.mjs",
    )
    assert invoke(lam, esm, {"n": 2})[1] == {"esm": True, "n": 2}
    callback = create(
        lam,
        "exports.handler = (event, context, cb) => { setTimeout(() => cb(null, 'called back'), 5); };",
        handler="index.handler",
        runtime="nodejs20.x",
        filename="index.js",
    )
    assert invoke(lam, callback)[1] == "called back"
    failing = create(
        lam,
        "exports.handler = async () => { throw new TypeError('nope'); };",
        handler="index.handler",
        runtime="nodejs20.x",
        filename="index.js",
    )
    response, result = invoke(lam, failing)
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "TypeError" and result["errorMessage"] == "nope"
    missing = create(
        lam,
        "exports.other = async () => 1;",
        handler="index.handler",
        runtime="nodejs20.x",
        filename="index.js",
    )
    response, result = invoke(lam, missing)
    assert result["errorType"] == "Runtime.HandlerNotFound"
    assert result["errorMessage"] == "index.handler is undefined or not exported"


def test_layers_are_importable_from_opt(client):
    lam = client("lambda")
    layer = lam.publish_layer_version(
        LayerName=unique("layer"),
        Content={"ZipFile": zip_bytes({"python/shared_lib.py": "VALUE = 'from layer'\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    assert layer["Version"] == 1 and layer["LayerVersionArn"].endswith(":1")
    name = create(
        lam,
        "import shared_lib\ndef handler(e, c):\n    return shared_lib.VALUE\n",
        Layers=[layer["LayerVersionArn"]],
    )
    assert invoke(lam, name)[1] == "from layer"
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    got = lam.get_layer_version(LayerName=layer["LayerArn"].split(":")[-1], VersionNumber=1)
    assert got["Content"]["CodeSha256"] == layer["Content"]["CodeSha256"]
    versions = lam.list_layer_versions(LayerName=layer["LayerArn"].split(":")[-1])["LayerVersions"]
    assert [v["Version"] for v in versions] == [1]


def test_invoke_from_inside_a_function_reaches_overcast(client):
    lam = client("lambda")
    target = create(lam, "def handler(e, c):\n    return {'inner': e}\n")
    outer = create(
        lam,
        "import boto3, json\ndef handler(e, c):\n"
        "    r = boto3.client('lambda').invoke(FunctionName=e['target'], Payload=b'{\"a\": 1}')\n"
        "    return json.loads(r['Payload'].read())\n",
    )
    assert invoke(lam, outer, {"target": target})[1] == {"inner": {"a": 1}}


def _sdk_needs_310() -> bool:
    """botocore installs urllib3 2.x, which needs Python 3.10+: then python3.9 functions run
    on the host's Python (with a warning), since boto3 must be importable."""
    import urllib3

    return int(urllib3.__version__.split(".")[0]) >= 2


def test_exec_wrapper_starts_the_runtime(client):
    lam = client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "handler.py", "import os\ndef handler(e, c):\n    return os.environ.get('WRAPPED')\n"
        )
        info = zipfile.ZipInfo("wrapper.sh")
        info.external_attr = 0o100755 << 16
        archive.writestr(info, '#!/bin/bash\nexport WRAPPED=yes\nexec "$@"\n')
    name = unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrapper.sh"}},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    answer = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == "yes"
