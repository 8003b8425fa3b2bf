"""State Manager associations: CreateAssociation(+Batch), Describe/List/Update/Delete, versions,
executions and their targets, StartAssociationsOnce, and the per-instance views
(UpdateAssociationStatus, DescribeEffectiveInstanceAssociations,
DescribeInstanceAssociationsStatus). An association applies its document to the managed nodes
its targets select (nodes.py); each run is an execution recording what it reached."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import schedules
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import docparams, nodes, runs

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
#: The shortest rate State Manager runs an association at, in minutes.
MIN_RATE_MINUTES = 30
MAX_VERSIONS = 1000
#: Request members an association keeps as given (every version records them).
_KEPT = (
    "Name", "DocumentVersion", "Parameters", "Targets", "ScheduleExpression", "OutputLocation", "AssociationName",
    "AutomationTargetParameterName", "MaxErrors", "MaxConcurrency", "ComplianceSeverity", "SyncCompliance",
    "ApplyOnlyAtCronInterval", "CalendarNames", "TargetLocations", "ScheduleOffset", "Duration", "TargetMaps",
    "AlarmConfiguration", "AssociationDispatchAssumeRole",
)  # fmt: skip
_VERSION_INFO = frozenset(_KEPT) - {"AutomationTargetParameterName", "AlarmConfiguration"}
_LIST_KEYS = (
    "Name", "InstanceId", "AssociationId", "AssociationVersion", "DocumentVersion", "Targets", "LastExecutionDate",
    "Overview", "ScheduleExpression", "AssociationName", "ScheduleOffset", "Duration", "TargetMaps",
)  # fmt: skip


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _missing() -> ServiceError:
    return ServiceError("AssociationDoesNotExist", "The specified association does not exist.")


def next_run(expression: str, after: float) -> float | None:
    """When an association on `expression` next runs after `after` (epoch seconds); None when
    the expression has no later match."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        return after + value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
    try:
        cron = schedules.parse(expression)
    except schedules.ScheduleError:
        return None
    if not isinstance(cron, schedules.Cron):
        return None
    moment = cron.next_after(datetime.fromtimestamp(after, UTC))
    return moment.timestamp() if moment is not None else None


def check_schedule(expression: str) -> None:
    """State Manager's schedules: AWS's six-field cron, or a rate of at least 30 minutes."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        minutes = value * {"minute": 1, "hour": 60, "day": 1440}[unit.rstrip("s")]
        if value > 0 and minutes >= MIN_RATE_MINUTES and (value == 1) == (not unit.endswith("s")):
            return
    if _CRON.match(expression) is not None:
        try:
            schedules.parse(expression)
            return
        except schedules.ScheduleError:
            pass
    raise ServiceError("InvalidSchedule", f"Schedule expression {expression} is not valid.")


class AssociationMixin:
    # -- create ------------------------------------------------------------------------------

    def _checked_association(self: Provider, context: RequestContext, entry: dict) -> tuple[dict, dict]:  # type: ignore[misc]
        """(document, version) an association entry runs, after AWS's checks of the entry."""
        instance_id, targets = entry.get("InstanceId"), entry.get("Targets") or []
        if instance_id and targets:
            raise ServiceError("InvalidTarget", "InstanceId and Targets can't be specified together.")
        runs.check_rate_control(entry.get("MaxConcurrency"), entry.get("MaxErrors"))
        document, version = self.document_for_run(context, entry["Name"], entry.get("DocumentVersion"))
        if document["DocumentType"] not in ("Command", "Automation", "Policy"):
            raise ServiceError(
                "InvalidDocument",
                f"Document type {document['DocumentType']} is not supported for associations.",
            )
        docparams.resolve(version, entry.get("Parameters"))
        if targets:
            nodes.check_targets(targets)
        if instance_id:
            nodes.require_managed(context, [instance_id])
        if entry.get("ScheduleExpression"):
            check_schedule(entry["ScheduleExpression"])
        elif entry.get("ApplyOnlyAtCronInterval"):
            raise ServiceError("InvalidSchedule", "ApplyOnlyAtCronInterval needs a schedule expression.")
        for calendar in entry.get("CalendarNames") or []:
            calendar_document, _ = self.document_for_run(context, calendar)
            if calendar_document["DocumentType"] != "ChangeCalendar":
                raise ServiceError("InvalidDocument", f"{calendar} is not a change calendar.")
        return document, version

    def _new_association(  # type: ignore[misc]
        self: Provider, context: RequestContext, entry: dict, tags: dict[str, str]
    ) -> dict[str, Any]:
        self._checked_association(context, entry)
        where = self._scope(context)
        name = entry.get("AssociationName")
        if name and any(r.get("AssociationName") == name for _, r in self.associations.scan(where)):
            raise ServiceError("AssociationAlreadyExists", "The specified association already exists.")
        instance_id = entry.get("InstanceId")
        if instance_id and any(
            r.get("InstanceId") == instance_id and r["Name"] == entry["Name"]
            for _, r in self.associations.scan(where)
        ):
            raise ServiceError("AssociationAlreadyExists", "The specified association already exists.")
        now = time.time()
        record: dict[str, Any] = {key: entry[key] for key in _KEPT if entry.get(key) is not None}
        record.update(
            AssociationId=str(uuid.uuid4()),
            AssociationVersion=1,
            Date=now,
            LastUpdateAssociationDate=now,
            Overview={
                "Status": "Pending",
                "DetailedStatus": "Creating",
                "AssociationStatusAggregatedCount": {},
            },
            tags=tags,
        )
        if instance_id:
            record["InstanceId"] = instance_id
        record.setdefault("DocumentVersion", "$DEFAULT")
        with self.store.transaction():
            self._store_association(where, record, new_version=True)
            if not record.get("ApplyOnlyAtCronInterval"):
                self._execute(context, record)
        self._schedule_association(where, record)
        return record

    def _store_association(self: Provider, where: str, record: dict, new_version: bool) -> None:  # type: ignore[misc]
        self.associations.put(where, record["AssociationId"], record)
        if new_version:
            version = {key: record[key] for key in _VERSION_INFO if key in record}
            version.update(
                AssociationId=record["AssociationId"],
                AssociationVersion=str(record["AssociationVersion"]),
                CreatedDate=record["LastUpdateAssociationDate"],
            )
            key = f"{record['AssociationId']} {record['AssociationVersion']:06d}"
            self.association_versions.put(where, key, version)

    def _calendars_open(self: Provider, context: RequestContext, record: dict) -> bool:  # type: ignore[misc]
        """Whether the change calendars gating the association are open now (a calendar that
        can no longer be read keeps it from running)."""
        names = record.get("CalendarNames")
        if not names:
            return True
        try:
            return self.get_calendar_state(context, {"CalendarNames": names})["State"] == "OPEN"
        except ServiceError:
            return False

    def _execute(self: Provider, context: RequestContext, record: dict) -> dict | None:  # type: ignore[misc]
        """One run of the association over the nodes its targets select now; none while a
        change calendar gating it is closed."""
        if not self._calendars_open(context, record):
            return None
        where = self._scope(context)
        now = time.time()
        key = f"{record['AssociationId']} {now:017.6f}"
        try:
            document, _ = self.document_for_run(context, record["Name"], record.get("DocumentVersion"))
            kind = document["DocumentType"]
        except ServiceError:
            kind = "missing"
        if kind == "Automation":
            status, counts, reached = self._run_runbook(context, record, key)
        elif kind == "missing":
            status, counts, reached = "Failed", {"Failed": 1}, []
        else:
            status, counts, reached = self._run_on_nodes(context, record)
        execution = {
            "AssociationId": record["AssociationId"],
            "AssociationVersion": str(record["AssociationVersion"]),
            "ExecutionId": str(uuid.uuid4()),
            "Status": status,
            "DetailedStatus": status,
            "CreatedTime": now,
            "LastExecutionDate": now,
            "ResourceCountByStatus": json.dumps(counts, separators=(",", ":")),
            "targets": reached,
        }
        self.association_executions.put(where, key, execution)
        self._association_outcome(where, record, status, counts, now)
        return execution

    def _run_on_nodes(self: Provider, context: RequestContext, record: dict) -> tuple[str, dict, list[str]]:  # type: ignore[misc]
        """A Command or Policy association: the document through Run Command on the nodes its
        targets select now (none while no node is managed: the run ends with nothing to do)."""
        if record.get("InstanceId"):
            reached = [record["InstanceId"]]
        else:
            reached = nodes.resolve_targets(context, record.get("Targets") or [])
        if not reached:
            return "Success", {}, []
        request = {
            "DocumentName": record["Name"],
            "InstanceIds": reached,
            "Parameters": record.get("Parameters") or {},
        }
        for member in ("MaxConcurrency", "MaxErrors"):
            if record.get(member):
                request[member] = record[member]
        self.send_command(context, request)
        return "Pending", {"Pending": len(reached)}, reached

    def _run_runbook(  # type: ignore[misc]
        self: Provider, context: RequestContext, record: dict, key: str
    ) -> tuple[str, dict, list[str]]:
        """An Automation association: one execution of the runbook (per target value, with
        AutomationTargetParameterName), which reports back when it ends."""
        request: dict[str, Any] = {
            "DocumentName": record["Name"],
            "Parameters": record.get("Parameters") or {},
        }
        if record.get("DocumentVersion") not in (None, "$DEFAULT"):
            request["DocumentVersion"] = record["DocumentVersion"]
        if record.get("Targets") and record.get("AutomationTargetParameterName"):
            request.update(
                Targets=record["Targets"], TargetParameterName=record["AutomationTargetParameterName"]
            )
        for member in ("MaxConcurrency", "MaxErrors"):
            if record.get(member):
                request[member] = record[member]
        try:
            execution_id = self.start_automation_execution(context, request)["AutomationExecutionId"]
        except ServiceError:
            return "Failed", {"Failed": 1}, []
        self.link_association(self._scope(context), execution_id, record["AssociationId"], key)
        return "InProgress", {"InProgress": 1}, [execution_id]

    def _association_outcome(  # type: ignore[misc]
        self: Provider, where: str, record: dict, status: str, counts: dict, now: float
    ) -> None:
        record["Overview"] = {
            "Status": status,
            "DetailedStatus": status,
            "AssociationStatusAggregatedCount": counts,
        }
        record["LastExecutionDate"] = now
        if status == "Success":
            record["LastSuccessfulExecutionDate"] = now
        self.associations.put(where, record["AssociationId"], record)

    def runbook_finished(self: Provider, where: str, link: dict, outcome: str) -> None:  # type: ignore[misc]
        """An association's runbook execution ended: its association execution and overview
        say how (inside the caller's transaction)."""
        execution = self.association_executions.get(where, link["key"])
        record = self.associations.get(where, link["association"])
        if execution is None or record is None:
            return
        status = "Success" if outcome == "Success" else "Failed"
        counts = {status: 1}
        execution.update(
            Status=status,
            DetailedStatus=status,
            ResourceCountByStatus=json.dumps(counts, separators=(",", ":")),
        )
        self.association_executions.put(where, link["key"], execution)
        self._association_outcome(where, record, status, counts, time.time())

    def _schedule_association(self: Provider, where: str, record: dict) -> None:  # type: ignore[misc]
        """Run the association at each time its schedule names, while this version lasts."""
        expression = record.get("ScheduleExpression")
        if not expression:
            return
        association_id, version = record["AssociationId"], record["AssociationVersion"]
        account, region = where.split("/", 1)

        async def runs() -> None:
            at = time.time()
            while True:
                due = next_run(expression, at)
                if due is None:
                    return
                await asyncio.sleep(max(0.0, due - time.time()))
                with self.store.transaction():
                    current = self.associations.get(where, association_id)
                    if current is None or current["AssociationVersion"] != version:
                        return
                    self._execute(RequestContext.internal("ssm", account, region), current)
                at = due

        self.runtime.spawn(runs(), f"ssm-association-{association_id}-{version}")

    def _describe_association(self: Provider, record: dict) -> dict:  # type: ignore[misc]
        out = {key: value for key, value in record.items() if key[0].isupper()}
        out["AssociationVersion"] = str(record["AssociationVersion"])
        return out

    def create_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        tags = self._checked_tags(params.get("Tags"))
        record = self._new_association(context, params, tags)
        return {"AssociationDescription": self._describe_association(record)}

    def create_association_batch(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        successful, failed = [], []
        for entry in params["Entries"]:
            try:
                record = self._new_association(context, entry, {})
            except ServiceError as refused:
                fault = "Server" if refused.status >= 500 else "Client"
                failed.append({"Entry": entry, "Message": refused.message, "Fault": fault})
            else:
                successful.append(self._describe_association(record))
        return {"Successful": successful, "Failed": failed}

    # -- reads -------------------------------------------------------------------------------

    def _association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        if params.get("AssociationId"):
            record = self.associations.get(where, params["AssociationId"])
            if record is None:
                raise _missing()
            return record
        name, instance_id = params.get("Name"), params.get("InstanceId")
        if not name or not instance_id:
            raise ServiceError(
                "ValidationException", "Specify an AssociationId, or a Name and an InstanceId."
            )
        for _, record in self.associations.scan(where):
            if record["Name"] == name and record.get("InstanceId") == instance_id:
                return record
        nodes.require_managed(context, [instance_id])
        raise _missing()

    def describe_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._association(context, params)
        wanted = params.get("AssociationVersion")
        if wanted and wanted != "$LATEST" and wanted != str(record["AssociationVersion"]):
            where = self._scope(context)
            if not wanted.isdigit():
                raise ServiceError("InvalidAssociationVersion", f"Association version {wanted} is not valid.")
            version = self.association_versions.get(where, f"{record['AssociationId']} {int(wanted):06d}")
            if version is None:
                raise ServiceError(
                    "InvalidAssociationVersion", f"Association version {wanted} does not exist."
                )
            described = self._describe_association(record)
            for key in _VERSION_INFO:
                described.pop(key, None)
            described.update({k: v for k, v in version.items() if k not in ("CreatedDate",)})
            return {"AssociationDescription": described}
        return {"AssociationDescription": self._describe_association(record)}

    def list_associations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.ssm.assocfilters import association_test

        tests = [association_test(entry) for entry in params.get("AssociationFilterList") or []]
        records = [r for _, r in self.associations.scan(self._scope(context)) if all(t(r) for t in tests)]
        records.sort(key=lambda r: r["Date"])

        def render(record: dict) -> dict:
            described = self._describe_association(record)
            return {key: described[key] for key in _LIST_KEYS if key in described}

        return paginate_list(
            self.store,
            "ssm",
            "ListAssociations",
            params,
            records,
            bad_token=_bad_token,
            default_limit=50,
            render=render,
        )

    def list_association_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._association(context, {"AssociationId": params["AssociationId"]})
        versions = [
            v
            for _, v in self.association_versions.scan(
                self._scope(context), prefix=f"{record['AssociationId']} "
            )
        ]
        return paginate_list(
            self.store, "ssm", "ListAssociationVersions", params, versions,
            bad_token=_bad_token, default_limit=50, bind=record["AssociationId"],
        )  # fmt: skip

    # -- update / delete ---------------------------------------------------------------------

    def update_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._association(context, {"AssociationId": params["AssociationId"]})
            given = params.get("AssociationVersion")
            if given and given != "$LATEST" and given != str(record["AssociationVersion"]):
                raise ServiceError(
                    "InvalidAssociationVersion",
                    f"The association version {given} is not the latest version of the association.",
                )
            if params.get("Name") and params["Name"] != record["Name"] and not params.get("DocumentVersion"):
                record.pop("DocumentVersion", None)
            merged = {**record, **{key: params[key] for key in _KEPT if params.get(key) is not None}}
            if params.get("Parameters") is None and params.get("Name") and params["Name"] != record["Name"]:
                merged.pop("Parameters", None)
            self._checked_association(
                context, {**merged, "InstanceId": None} if not merged.get("InstanceId") else merged
            )
            name = params.get("AssociationName")
            if name and name != record.get("AssociationName"):
                if any(r.get("AssociationName") == name for _, r in self.associations.scan(where)):
                    raise ServiceError(
                        "AssociationAlreadyExists", "The specified association already exists."
                    )
            if record["AssociationVersion"] >= MAX_VERSIONS:
                raise ServiceError(
                    "AssociationVersionLimitExceeded",
                    f"An association can have at most {MAX_VERSIONS} versions.",
                )
            merged["AssociationVersion"] = record["AssociationVersion"] + 1
            merged["LastUpdateAssociationDate"] = time.time()
            merged.setdefault("DocumentVersion", "$DEFAULT")
            self._store_association(where, merged, new_version=True)
            if not merged.get("ApplyOnlyAtCronInterval"):
                self._execute(context, merged)
        self._schedule_association(where, merged)
        return {"AssociationDescription": self._describe_association(merged)}

    def delete_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._association(context, params)
            association_id = record["AssociationId"]
            for table in (self.association_versions, self.association_executions):
                for key, _ in list(table.scan(where, prefix=f"{association_id} ")):
                    table.delete(where, key)
            self.associations.delete(where, association_id)
        return {}

    # -- executions --------------------------------------------------------------------------

    def _executions(self: Provider, context: RequestContext, association_id: str) -> list[dict]:  # type: ignore[misc]
        found = self.association_executions.scan(self._scope(context), prefix=f"{association_id} ")
        return [execution for _, execution in found]

    def describe_association_executions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.ssm.assocfilters import execution_test

        record = self._association(context, {"AssociationId": params["AssociationId"]})
        tests = [execution_test(entry) for entry in params.get("Filters") or []]
        executions = [
            e for e in self._executions(context, record["AssociationId"]) if all(t(e) for t in tests)
        ]
        executions.reverse()

        def render(execution: dict) -> dict:
            return {key: value for key, value in execution.items() if key[0].isupper()}

        return paginate_list(
            self.store, "ssm", "DescribeAssociationExecutions", params, executions,
            bad_token=_bad_token, default_limit=50, render=render, bind=record["AssociationId"],
        )  # fmt: skip

    def describe_association_execution_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._association(context, {"AssociationId": params["AssociationId"]})
        execution = next(
            (
                e
                for e in self._executions(context, record["AssociationId"])
                if e["ExecutionId"] == params["ExecutionId"]
            ),
            None,
        )
        if execution is None:
            raise ServiceError(
                "AssociationExecutionDoesNotExist", "The specified execution ID does not exist."
            )
        targets = [
            {
                "AssociationId": record["AssociationId"],
                "AssociationVersion": execution["AssociationVersion"],
                "ExecutionId": execution["ExecutionId"],
                "ResourceId": node,
                "ResourceType": "ManagedInstance",
                "Status": "Success",
                "DetailedStatus": "Success",
                "LastExecutionDate": execution["LastExecutionDate"],
            }
            for node in execution["targets"]
        ]
        for entry in params.get("Filters") or []:
            targets = [t for t in targets if t.get(entry["Key"]) == entry["Value"]]
        return paginate_list(
            self.store, "ssm", "DescribeAssociationExecutionTargets", params, targets,
            bad_token=_bad_token, default_limit=50, bind=execution["ExecutionId"],
        )  # fmt: skip

    def start_associations_once(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            records = []
            for association_id in params["AssociationIds"]:
                record = self.associations.get(where, association_id)
                if record is None:
                    raise _missing()
                records.append(record)
            for record in records:
                self._execute(context, record)
        return {}

    # -- per instance ------------------------------------------------------------------------

    def update_association_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        record = self._association(context, params)
        return {"AssociationDescription": self._describe_association(record)}

    def describe_effective_instance_associations(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        nodes.require_managed(context, [params["InstanceId"]])
        return {"Associations": []}

    def describe_instance_associations_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        return {"InstanceAssociationStatusInfos": []}
