"""Maintenance windows: their configuration, targets and tasks as AWS stores and validates them,
the schedule they compute, and runs that really happen (a LAMBDA task invokes its function)."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/window-role"
#: Records the event it was invoked with in a parameter, so the test sees what the window sent.
FUNCTION = """
import json, os, time, boto3

def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
        return {"slept": True}
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    boto3.client("ssm").put_parameter(
        Name="/windows/" + event["window"] + "/" + event["target"], Value=json.dumps(event), Type="String"
    )
    return {"ok": True}
"""


def _window(ssm, **extra) -> str:
    given = {
        "Name": f"win-{uuid.uuid4().hex[:8]}",
        "Schedule": "cron(0 2 ? * SUN *)",
        "Duration": 3,
        "Cutoff": 1,
        "AllowUnassociatedTargets": False,
        **extra,
    }
    return ssm.create_maintenance_window(**given)["WindowId"]


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


def test_a_window_is_stored_and_returned_as_given(ssm):
    window_id = _window(
        ssm,
        Description="weekly patching",
        ScheduleTimezone="America/Los_Angeles",
        ScheduleOffset=2,
        Tags=[{"Key": "team", "Value": "ops"}],
    )
    got = ssm.get_maintenance_window(WindowId=window_id)
    assert got["Name"].startswith("win-")
    assert got["Description"] == "weekly patching"
    assert got["Schedule"] == "cron(0 2 ? * SUN *)"
    assert got["ScheduleTimezone"] == "America/Los_Angeles"
    assert got["ScheduleOffset"] == 2
    assert (got["Duration"], got["Cutoff"], got["AllowUnassociatedTargets"], got["Enabled"]) == (
        3,
        1,
        False,
        True,
    )
    # Sunday 02:00 in Los Angeles, two days later: a Tuesday at 02:00 local time.
    upcoming = datetime.fromisoformat(got["NextExecutionTime"])
    assert (
        upcoming.weekday() == 1
        and upcoming.hour == 2
        and upcoming.utcoffset()
        in (
            timedelta(hours=-8),
            timedelta(hours=-7),
        )
    )
    tags = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "ops"}]

    updated = ssm.update_maintenance_window(WindowId=window_id, Enabled=False, Duration=4)
    assert (updated["Enabled"], updated["Duration"], updated["Description"]) == (False, 4, "weekly patching")
    assert "NextExecutionTime" not in ssm.get_maintenance_window(WindowId=window_id)
    replaced = ssm.update_maintenance_window(
        WindowId=window_id, Replace=True, Name="replaced", Schedule="rate(7 days)", Duration=2, Cutoff=0,
        AllowUnassociatedTargets=True,
    )  # fmt: skip
    assert "Description" not in replaced and "ScheduleOffset" not in replaced
    assert _code(ssm.update_maintenance_window, WindowId=window_id, Replace=True, Name="only-name") == (
        "ValidationException"
    )
    assert ssm.delete_maintenance_window(WindowId=window_id)["WindowId"] == window_id
    assert _code(ssm.get_maintenance_window, WindowId=window_id) == "DoesNotExistException"


def test_bad_windows_are_refused(ssm):
    for bad in ({"Schedule": "cron(0 2 * * * *)"}, {"Schedule": "every day"}, {"Cutoff": 3},
                {"ScheduleTimezone": "Mars/Olympus"}, {"Schedule": "rate(1 day)", "ScheduleOffset": 1},
                {"StartDate": "2030-01-02T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}):  # fmt: skip
        assert _code(_window, ssm=ssm, **bad) == "ValidationException", bad
    expired = _window(ssm, EndDate="2001-01-01T00:00:00Z")
    assert "NextExecutionTime" not in ssm.get_maintenance_window(WindowId=expired)
    missing = "mw-0123456789abcdef0"
    with pytest.raises(ClientError) as info:
        ssm.get_maintenance_window(WindowId=missing)
    assert info.value.response["Error"]["Message"] == f"Maintenance window {missing} does not exist"


def test_client_token_makes_creation_idempotent(ssm):
    token = uuid.uuid4().hex
    first = _window(ssm, Name="idem-window", ClientToken=token)
    assert _window(ssm, Name="idem-window", ClientToken=token) == first
    assert _code(_window, ssm=ssm, Name="other-window", ClientToken=token) == "IdempotentParameterMismatch"


def test_describe_filters_and_pages(ssm):
    name = f"page-{uuid.uuid4().hex[:8]}"
    ids = {_window(ssm, Name=name) for _ in range(12)}
    seen, token = set(), None
    while True:
        page = ssm.describe_maintenance_windows(
            Filters=[{"Key": "Name", "Values": [name]}],
            MaxResults=10,
            **({"NextToken": token} if token else {}),
        )
        seen |= {w["WindowId"] for w in page["WindowIdentities"]}
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ids
    assert _code(ssm.describe_maintenance_windows, Filters=[{"Key": "Color", "Values": ["x"]}]) == (
        "ValidationException"
    )


def test_targets_and_tasks(ssm):
    window_id = _window(ssm)
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", OwnerInformation="owner",
        Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}],
    )["WindowTargetId"]  # fmt: skip
    targets = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]
    assert [(t["WindowTargetId"], t["OwnerInformation"]) for t in targets] == [(target_id, "owner")]
    group = ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        ResourceType="RESOURCE_GROUP",
        Targets=[{"Key": "resource-groups:Name", "Values": ["web"]}],
    )["WindowTargetId"]
    for resource_type, key in (("RESOURCE_GROUP", "InstanceIds"), ("INSTANCE", "colour")):
        assert _code(
            ssm.register_target_with_maintenance_window, WindowId=window_id, ResourceType=resource_type,
            Targets=[{"Key": key, "Values": ["x"]}],
        ) == "ValidationException"  # fmt: skip
    ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=group)
    found = ssm.describe_maintenance_windows_for_target(
        Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], ResourceType="INSTANCE"
    )["WindowIdentities"]
    assert window_id in [w["WindowId"] for w in found]

    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn="AWS-RunShellScript", TaskType="RUN_COMMAND", Priority=2,
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}], MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["uptime"]}, "TimeoutSeconds": 60}},
    )["WindowTaskId"]  # fmt: skip
    task = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id)
    assert task["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"commands": ["uptime"]}
    assert (task["TaskType"], task["Priority"], task["MaxConcurrency"]) == ("RUN_COMMAND", 2, "1")
    assert task["ServiceRoleArn"].endswith(
        ":role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
    )
    listed = ssm.describe_maintenance_window_tasks(
        WindowId=window_id, Filters=[{"Key": "TaskType", "Values": ["RUN_COMMAND"]}]
    )["Tasks"]
    assert [t["WindowTaskId"] for t in listed] == [task_id]
    updated = ssm.update_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id, Priority=5)
    assert updated["Priority"] == 5

    # A target a task names is in use: a safe deregistration refuses, an unsafe one unlinks it.
    assert _code(
        ssm.deregister_target_from_maintenance_window, WindowId=window_id, WindowTargetId=target_id, Safe=True
    ) == "TargetInUseException"  # fmt: skip
    ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=target_id)
    assert ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"] == []
    ssm.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=task_id)
    assert _code(ssm.get_maintenance_window_task, WindowId=window_id, WindowTaskId=task_id) == (
        "DoesNotExistException"
    )


def test_task_parameters_are_checked_against_the_type(ssm):
    window_id = _window(ssm)
    register = ssm.register_task_with_maintenance_window
    # Lambda parameters on a Run Command task; a Step Functions task without a state machine ARN;
    # unregistered instances in a window that does not allow them; an unknown window target.
    for bad in (
        {"TaskType": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript",
         "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}],
         "TaskInvocationParameters": {"Lambda": {"Payload": b"{}"}}},
        {"TaskType": "STEP_FUNCTIONS", "TaskArn": "not-an-arn"},
        {"TaskType": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript", "MaxConcurrency": "1", "MaxErrors": "1",
         "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]},
    ):  # fmt: skip
        assert _code(register, WindowId=window_id, **bad) == "ValidationException", bad
    assert _code(
        register, WindowId=window_id, TaskType="RUN_COMMAND", TaskArn="AWS-RunShellScript",
        MaxConcurrency="1", MaxErrors="1", Targets=[{"Key": "WindowTargetIds", "Values": [str(uuid.uuid4())]}],
    ) == "DoesNotExistException"  # fmt: skip


def test_the_schedule_lists_the_next_runs(ssm):
    window_id = _window(ssm, Schedule="cron(30 23 ? * TUE#3 *)")
    runs = ssm.describe_maintenance_window_schedule(WindowId=window_id, MaxResults=3)[
        "ScheduledWindowExecutions"
    ]
    assert len(runs) == 3
    for run in runs:
        moment = datetime.strptime(run["ExecutionTime"], "%Y-%m-%dT%H:%MZ")
        # The third Tuesday of the month: a Tuesday between the 15th and the 21st.
        assert moment.weekday() == 1 and 15 <= moment.day <= 21 and (moment.hour, moment.minute) == (23, 30)
    start = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    later = _window(ssm, Schedule="rate(1 day)", StartDate=start.isoformat())
    first = ssm.describe_maintenance_window_schedule(WindowId=later, MaxResults=1)[
        "ScheduledWindowExecutions"
    ][0]
    assert datetime.strptime(first["ExecutionTime"], "%Y-%m-%dT%H:%MZ").replace(
        tzinfo=UTC
    ) >= start - timedelta(minutes=1)
    assert _code(ssm.describe_maintenance_window_schedule, WindowId="mw-0123456789abcdef0") == (
        "DoesNotExistException"
    )
    # The CLI's documented filters.
    cutoff = datetime.strptime(runs[1]["ExecutionTime"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    before = ssm.describe_maintenance_window_schedule(
        WindowId=window_id, Filters=[{"Key": "ScheduledBefore", "Values": [cutoff.isoformat()]}]
    )["ScheduledWindowExecutions"]
    assert [r["ExecutionTime"] for r in before] == [runs[0]["ExecutionTime"]]
    after = ssm.describe_maintenance_window_schedule(
        WindowId=window_id, Filters=[{"Key": "ScheduledAfter", "Values": [cutoff.isoformat()]}], MaxResults=1
    )["ScheduledWindowExecutions"]
    assert [r["ExecutionTime"] for r in after] == [runs[2]["ExecutionTime"]]


def _function(lam) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("window.py", FUNCTION)
    name = f"window-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="window.handler",
        Code={"ZipFile": buffer.getvalue()}, Timeout=60,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


@pytest.fixture(scope="module")
def fast_hours():
    """A server whose maintenance-window hour lasts two seconds."""
    instance = Server("--ephemeral", "--quiet", env={"OVERCAST_SSM_WINDOW_HOUR_SECONDS": "2"})
    yield instance
    instance.stop()


def _finished_run(ssm, window_id: str) -> dict:
    deadline = time.time() + 90
    while time.time() < deadline:
        runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
        done = [
            r
            for r in runs
            if r["Status"] not in ("PENDING", "IN_PROGRESS", "CANCELLING", "SKIPPED_OVERLAPPING")
        ]
        if done:
            return done[-1]
        time.sleep(0.3)
    raise AssertionError("the window did not run")


def test_a_window_runs_its_lambda_task_on_schedule(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    lam = session.client("lambda", endpoint_url=fast_hours.endpoint)
    function = _function(lam)
    window_id = _window(ssm, Schedule="rate(1 hour)", AllowUnassociatedTargets=True, Duration=24, Cutoff=0)
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", OwnerInformation="night-shift",
        Targets=[{"Key": "InstanceIds", "Values": ["i-0aaaaaaaaaaaaaaaa"]}],
    )["WindowTargetId"]  # fmt: skip
    payload = {"window": "{{WINDOW_ID}}", "target": "{{ TARGET_ID }}", "execution": "{{WINDOW_EXECUTION_ID}}"}
    lambda_task = ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn=function, TaskType="LAMBDA", Priority=1,
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
        TaskInvocationParameters={"Lambda": {"Payload": json.dumps(payload).encode()}},
    )["WindowTaskId"]  # fmt: skip
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn="arn:aws:states:us-east-1:000000000000:stateMachine:absent",
        TaskType="STEP_FUNCTIONS", Priority=2,
    )  # fmt: skip

    run = _finished_run(ssm, window_id)
    # The Step Functions task failed (no such state machine), so the execution failed.
    assert run["Status"] == "FAILED"
    execution = ssm.get_maintenance_window_execution(WindowExecutionId=run["WindowExecutionId"])
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=run["WindowExecutionId"])[
        "WindowExecutionTaskIdentities"
    ]
    assert sorted(t["TaskExecutionId"] for t in tasks) == sorted(execution["TaskIds"])
    by_type = {t["TaskType"]: t for t in tasks}
    assert by_type["LAMBDA"]["Status"] == "SUCCESS"
    assert by_type["STEP_FUNCTIONS"]["Status"] == "FAILED"
    assert "StateMachineDoesNotExist" in by_type["STEP_FUNCTIONS"]["StatusDetails"]

    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=run["WindowExecutionId"], TaskId=by_type["LAMBDA"]["TaskExecutionId"]
    )["WindowExecutionTaskInvocationIdentities"]
    assert len(invocations) == 1
    invocation = invocations[0]
    assert json.loads(invocation["Parameters"]) == {"payload": json.dumps({
        "window": window_id, "target": "i-0aaaaaaaaaaaaaaaa", "execution": run["WindowExecutionId"]})}  # fmt: skip
    assert (invocation["Status"], invocation["WindowTargetId"], invocation["OwnerInformation"]) == (
        "SUCCESS", target_id, "night-shift",
    )  # fmt: skip
    got = ssm.get_maintenance_window_execution_task_invocation(
        WindowExecutionId=run["WindowExecutionId"], TaskId=by_type["LAMBDA"]["TaskExecutionId"],
        InvocationId=invocation["InvocationId"],
    )  # fmt: skip
    assert got["ExecutionId"] == invocation["ExecutionId"]
    # The function saw the pseudo-parameters filled in.
    seen = json.loads(
        ssm.get_parameter(Name=f"/windows/{window_id}/i-0aaaaaaaaaaaaaaaa")["Parameter"]["Value"]
    )
    assert seen == {
        "window": window_id,
        "target": "i-0aaaaaaaaaaaaaaaa",
        "execution": run["WindowExecutionId"],
    }
    assert lambda_task

    # Disabled, the window stops running.
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    count = len(ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"])
    time.sleep(3)
    assert (
        len(ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]) <= count + 1
    )


def test_a_failing_function_fails_its_invocation(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    lam = session.client("lambda", endpoint_url=fast_hours.endpoint)
    function = _function(lam)
    window_id = _window(ssm, Schedule="rate(1 hour)", Duration=24, Cutoff=0)
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn=function, TaskType="LAMBDA",
        TaskInvocationParameters={"Lambda": {"Payload": b'{"fail": true}'}},
    )  # fmt: skip
    run = _finished_run(ssm, window_id)
    assert (run["Status"], run["StatusDetails"]) == (
        "FAILED",
        "One or more tasks in the orchestration failed.",
    )
    task = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=run["WindowExecutionId"])[
        "WindowExecutionTaskIdentities"
    ][0]
    assert "asked to fail" in task["StatusDetails"]
    assert _code(ssm.get_maintenance_window_execution, WindowExecutionId=str(uuid.uuid4())) == (
        "DoesNotExistException"
    )


def _statuses_until(ssm, window_id: str, wanted: set[str]) -> list[dict]:
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
        if wanted <= {r["Status"] for r in runs}:
            break
        time.sleep(0.5)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    return runs


def _task_statuses(ssm, run: dict) -> list[str]:
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=run["WindowExecutionId"])[
        "WindowExecutionTaskIdentities"
    ]
    return sorted(t["Status"] for t in tasks)


def test_the_cutoff_cancels_or_outlives_tasks_and_overlapping_runs_are_skipped(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    lam = session.client("lambda", endpoint_url=fast_hours.endpoint)
    function = _function(lam)
    # One-hour windows (two seconds here), due every hour, whose first task outlasts the window.
    windows = {}
    for behavior in ("CANCEL_TASK", "CONTINUE_TASK"):
        window_id = _window(ssm, Schedule="rate(1 hour)", Duration=1, Cutoff=0)
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, TaskArn=function, TaskType="LAMBDA", Priority=1, CutoffBehavior=behavior,
            TaskInvocationParameters={"Lambda": {"Payload": b'{"sleep": 6}'}},
        )  # fmt: skip
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, TaskArn=function, TaskType="LAMBDA", Priority=2,
            TaskInvocationParameters={"Lambda": {"Payload": b'{"sleep": 0.1}'}},
        )  # fmt: skip
        windows[behavior] = window_id

    # CANCEL_TASK: the task is cancelled at the cutoff, the next one never starts.
    runs = _statuses_until(ssm, windows["CANCEL_TASK"], {"TIMED_OUT"})
    timed_out = [r for r in runs if r["Status"] == "TIMED_OUT"]
    assert timed_out and _task_statuses(ssm, timed_out[-1]) == ["CANCELLED", "TIMED_OUT"]

    # CONTINUE_TASK: the task runs on past the window's end, so the runs due meanwhile are
    # skipped as overlapping; the second task still never starts.
    runs = _statuses_until(ssm, windows["CONTINUE_TASK"], {"TIMED_OUT", "SKIPPED_OVERLAPPING"})
    assert {"TIMED_OUT", "SKIPPED_OVERLAPPING"} <= {r["Status"] for r in runs}
    finished = [r for r in runs if r["Status"] == "TIMED_OUT"][-1]
    assert _task_statuses(ssm, finished) == ["SUCCESS", "TIMED_OUT"]


def test_windows_survive_a_crash_and_an_interrupted_run_ends_failed(tmp_path):
    data_dir = str(tmp_path / "data")
    env = {"OVERCAST_SSM_WINDOW_HOUR_SECONDS": "2"}
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    server = Server("--data-dir", data_dir, "--quiet", env=env)
    try:
        ssm = session.client("ssm", endpoint_url=server.endpoint)
        function = _function(session.client("lambda", endpoint_url=server.endpoint))
        window_id = _window(ssm, Schedule="rate(1 hour)", Duration=24, Cutoff=0)
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, TaskArn=function, TaskType="LAMBDA",
            TaskInvocationParameters={"Lambda": {"Payload": b'{"sleep": 60}'}},
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
            if any(r["Status"] == "IN_PROGRESS" for r in runs):
                break
            time.sleep(0.2)
        interrupted = next(r["WindowExecutionId"] for r in runs if r["Status"] == "IN_PROGRESS")
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet", env=env)
    try:
        ssm = session.client("ssm", endpoint_url=server.endpoint)
        assert ssm.get_maintenance_window(WindowId=window_id)["Schedule"] == "rate(1 hour)"
        run = ssm.get_maintenance_window_execution(WindowExecutionId=interrupted)
        assert run["Status"] == "FAILED"
        # The window's timer came back with it: a new run starts.
        deadline = time.time() + 60
        while time.time() < deadline:
            runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
            if any(r["WindowExecutionId"] != interrupted and r["StartTime"].timestamp() > 0 for r in runs):
                break
            time.sleep(0.3)
        assert len(runs) > 1
        ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    finally:
        server.stop()


def test_run_command_needs_a_node_and_max_errors_stops_sending(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    window_id = _window(ssm, Schedule="rate(1 hour)", Duration=24, Cutoff=0, AllowUnassociatedTargets=True)
    nodes = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn="AWS-RunShellScript", TaskType="RUN_COMMAND", MaxConcurrency="1",
        MaxErrors="0", Targets=[{"Key": "InstanceIds", "Values": nodes}],
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["uptime"]}}},
    )  # fmt: skip
    run = _finished_run(ssm, window_id)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    task = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=run["WindowExecutionId"])[
        "WindowExecutionTaskIdentities"
    ][0]
    assert task["Status"] == "FAILED"
    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=run["WindowExecutionId"], TaskId=task["TaskExecutionId"]
    )["WindowExecutionTaskInvocationIdentities"]
    # No managed node exists to run on; after the first error (MaxErrors 0) no other target is tried.
    assert len(invocations) == 1
    assert invocations[0]["Status"] == "FAILED" and "InvalidInstanceId" in invocations[0]["StatusDetails"]
    described = json.loads(invocations[0]["Parameters"])
    assert described["documentName"] == "AWS-RunShellScript" and described["parameters"] == {
        "commands": ["uptime"]
    }
    assert (described["maxConcurrency"], described["maxErrors"]) == ("1", "0")
    assert described["instanceIds"][0] in nodes


def test_tasks_of_one_priority_run_together(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    function = _function(session.client("lambda", endpoint_url=fast_hours.endpoint))
    window_id = _window(ssm, Schedule="rate(1 hour)", Duration=24, Cutoff=0)
    for _ in range(2):
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, TaskArn=function, TaskType="LAMBDA", Priority=1,
            TaskInvocationParameters={"Lambda": {"Payload": b'{"sleep": 3}'}},
        )  # fmt: skip
    run = _finished_run(ssm, window_id)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=run["WindowExecutionId"])[
        "WindowExecutionTaskIdentities"
    ]
    assert [t["Status"] for t in tasks] == ["SUCCESS", "SUCCESS"]
    first, second = sorted(tasks, key=lambda t: t["StartTime"])
    # The second started before the first ended.
    assert second["StartTime"] < first["EndTime"]


def test_the_aws_cli_examples_from_the_user_guide(aws):
    # AWS's own documented commands: a cron window with an offset, a rate window and a
    # one-time window, each in a time zone.
    offset = aws(
        "ssm", "create-maintenance-window", "--name", "My-Cron-Offset-Maintenance-Window",
        "--allow-unassociated-targets", "--schedule", "cron(30 23 ? * TUE#3 *)", "--duration", "4",
        "--cutoff", "1", "--schedule-offset", "2",
    )["WindowId"]  # fmt: skip
    rate = aws(
        "ssm", "create-maintenance-window", "--name", "My-Rate-Maintenance-Window", "--schedule", "rate(7 days)",
        "--duration", "4", "--schedule-timezone", "America/Los_Angeles", "--cutoff", "1",
        "--no-allow-unassociated-targets",
    )["WindowId"]  # fmt: skip
    once = aws(
        "ssm", "create-maintenance-window", "--name", "My-TimeStamp-Maintenance-Window",
        "--schedule", "at(2099-07-07T13:15:30)", "--duration", "4", "--schedule-timezone", "America/Los_Angeles",
        "--cutoff", "1", "--no-allow-unassociated-targets",
    )["WindowId"]  # fmt: skip
    window = aws("ssm", "get-maintenance-window", "--window-id", offset)
    run = datetime.strptime(window["NextExecutionTime"], "%Y-%m-%dT%H:%MZ")
    # Two days after a third Tuesday: a Thursday between the 17th and the 23rd.
    assert run.weekday() == 3 and 17 <= run.day <= 23 and (run.hour, run.minute) == (23, 30)
    assert (
        aws("ssm", "get-maintenance-window", "--window-id", rate)["ScheduleTimezone"] == "America/Los_Angeles"
    )
    schedule = aws("ssm", "describe-maintenance-window-schedule", "--window-id", once)[
        "ScheduledWindowExecutions"
    ]
    assert [s["ExecutionTime"] for s in schedule] == ["2099-07-07T13:15-07:00"]
    for window_id in (offset, rate, once):
        aws("ssm", "delete-maintenance-window", "--window-id", window_id)


def test_cancelling_an_execution_stops_the_tasks_not_yet_started(fast_hours):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ssm = session.client("ssm", endpoint_url=fast_hours.endpoint)
    function = _function(session.client("lambda", endpoint_url=fast_hours.endpoint))
    window_id = _window(ssm, Schedule="rate(1 hour)", Duration=24, Cutoff=0)
    for priority, payload in ((1, b'{"sleep": 4}'), (2, b'{"sleep": 0.1}')):
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, TaskArn=function, TaskType="LAMBDA", Priority=priority,
            TaskInvocationParameters={"Lambda": {"Payload": payload}},
        )  # fmt: skip
    deadline = time.time() + 60
    running = None
    while time.time() < deadline and running is None:
        runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
        running = next((r["WindowExecutionId"] for r in runs if r["Status"] == "IN_PROGRESS"), None)
        time.sleep(0.2)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    assert running is not None
    assert ssm.cancel_maintenance_window_execution(WindowExecutionId=running)["WindowExecutionId"] == running
    assert ssm.get_maintenance_window_execution(WindowExecutionId=running)["Status"] in (
        "CANCELLING",
        "CANCELLED",
    )
    while time.time() < deadline:
        status = ssm.get_maintenance_window_execution(WindowExecutionId=running)["Status"]
        if status == "CANCELLED":
            break
        time.sleep(0.3)
    assert status == "CANCELLED"
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=running)[
        "WindowExecutionTaskIdentities"
    ]
    # The task already running finished; the one not yet started was cancelled.
    assert sorted(t["Status"] for t in tasks) == ["CANCELLED", "SUCCESS"]
