"""Import tasks' state machine, on the provider: a task cancelled before its batches are
written writes none of them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from overcast.context import RequestContext
from overcast.store import scope

ACCOUNT, REGION = "000000000000", "us-east-1"


def test_a_cancelled_import_writes_no_further_batch(runtime):
    cloudtrail, logs = runtime.provider("cloudtrail"), runtime.provider("logs")
    store = cloudtrail.create_event_data_store(
        RequestContext.internal("cloudtrail", ACCOUNT, REGION), {"Name": "cancelled", "StartIngestion": False}
    )
    store_arn = store["EventDataStoreArn"]
    store_id = store_arn.rsplit("/", 1)[1]
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cloudtrail.lake_imported.put(
        scope(ACCOUNT, REGION), f"{store_id}/{stamp}/e1", {"eventID": "e1", "eventTime": stamp}
    )
    context = RequestContext.internal("logs", ACCOUNT, REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/import"
    # No loop runs yet: the import's batches wait to be written.
    import_id = logs.create_import_task(context, {"importSourceArn": store_arn, "importRoleArn": role})[
        "importId"
    ]
    [batch] = logs.describe_import_task_batches(context, {"importId": import_id})["importBatches"]
    assert batch["status"] == "IN_PROGRESS"
    cancelled = logs.cancel_import_task(context, {"importId": import_id})
    assert cancelled["importStatus"] == "CANCELLED" and cancelled["importStatistics"] == {"bytesImported": 0}

    async def run_pending():
        runtime.attach_loop(asyncio.get_running_loop())
        await asyncio.sleep(0.2)

    asyncio.run(run_pending())
    [task] = logs.describe_import_tasks(context, {"importId": import_id})["imports"]
    assert task["importStatus"] == "CANCELLED"
    [batch] = logs.describe_import_task_batches(context, {"importId": import_id})["importBatches"]
    assert batch["status"] == "CANCELLED"
    group = f"aws/cloudtrail/{store_id}"
    assert logs.filter_log_events(context, {"logGroupName": group})["events"] == []
