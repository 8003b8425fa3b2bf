"""An Expiration policy deletes the parameter at its time by a timer, also one a restart
resumes, so the row is gone from the store (not only hidden from reads)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from overcast.config import Config
from overcast.context import RequestContext
from overcast.runtime import Runtime
from overcast.store import scope

ACCOUNT, REGION = "000000000000", "us-east-1"


def _policy(seconds: float) -> str:
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": at}}])


def test_a_restart_resumes_the_expiry_timer(tmp_path):
    context = RequestContext.internal("ssm", ACCOUNT, REGION)
    first = Runtime(Config(data_dir=str(tmp_path)))
    first.provider("ssm").put_parameter(
        context,
        {"Name": "/x/expiring", "Value": "v", "Type": "String", "Tier": "Advanced", "Policies": _policy(1)},
    )
    first.close()

    second = Runtime(Config(data_dir=str(tmp_path)))
    loop = asyncio.new_event_loop()
    try:
        second.attach_loop(loop)  # starts the services that have state: SSM resumes its timer
        ssm = second.provider("ssm")
        assert ssm.parameters.get(scope(ACCOUNT, REGION), "/x/expiring") is not None
        loop.run_until_complete(asyncio.sleep(1.5))
        assert ssm.parameters.get(scope(ACCOUNT, REGION), "/x/expiring") is None
        assert ssm.expiring.get(scope(ACCOUNT, REGION), "/x/expiring") is None
    finally:
        second.close()
        loop.close()


def test_a_later_overwrite_moves_the_expiry(tmp_path):
    context = RequestContext.internal("ssm", ACCOUNT, REGION)
    runtime = Runtime(Config(data_dir=None))
    loop = asyncio.new_event_loop()
    try:
        runtime.attach_loop(loop)
        ssm = runtime.provider("ssm")
        request = {"Name": "/x/moved", "Value": "v", "Type": "String", "Tier": "Advanced"}
        ssm.put_parameter(context, {**request, "Policies": _policy(0.5)})
        ssm.put_parameter(context, {**request, "Overwrite": True, "Policies": _policy(60)})
        loop.run_until_complete(asyncio.sleep(1.0))
        assert ssm.parameters.get(scope(ACCOUNT, REGION), "/x/moved")["Version"] == 2
    finally:
        runtime.close()
        loop.close()
