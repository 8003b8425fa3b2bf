"""Automation: StartAutomationExecution (one execution, or one per target with
TargetParameterName), GetAutomationExecution, DescribeAutomationExecutions,
DescribeAutomationStepExecutions, StopAutomationExecution, SendAutomationSignal, change
requests (StartChangeRequestExecution) and execution previews. Executions run in the
background on automation_engine's Runner."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import parse_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import docparams, runs
from overcast.services.ssm.automation_engine import TERMINAL, Runner
from overcast.services.ssm.documents import bad_version
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

MAX_RUNNING = 100
#: Actions that read only (execution previews count them as NonMutating).
_READING_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search", "Query", "Scan", "BatchGet")
_NON_MUTATING = frozenset(
    {
        "aws:sleep",
        "aws:pause",
        "aws:approve",
        "aws:branch",
        "aws:assertAwsResourceProperty",
        "aws:waitForAwsResourceProperty",
    }
)


def _not_found(execution_id: str) -> ServiceError:
    return ServiceError(
        "AutomationExecutionNotFoundException", f"Automation Execution id {execution_id} not found."
    )


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _moment(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ServiceError("InvalidFilterValue", f"The filter value {text} is not a valid time.") from None


def _render(record: dict) -> dict:
    return {key: value for key, value in record.items() if key[0].isupper()}


_EXECUTION_FILTERS = {
    "DocumentNamePrefix": lambda r, values: any(r["DocumentName"].startswith(v) for v in values),
    "ExecutionStatus": lambda r, values: r["AutomationExecutionStatus"] in values,
    "ExecutionId": lambda r, values: r["AutomationExecutionId"] in values,
    "ParentExecutionId": lambda r, values: r.get("ParentAutomationExecutionId") in values,
    "CurrentAction": lambda r, values: r.get("CurrentAction") in values,
    "StartTimeBefore": lambda r, values: r["ExecutionStartTime"] < _moment(values[0]),
    "StartTimeAfter": lambda r, values: r["ExecutionStartTime"] > _moment(values[0]),
    "AutomationType": lambda r, values: "Local" in values,
    "TagKey": lambda r, values: any(v in (r.get("tags") or {}) for v in values),
    "AutomationSubtype": lambda r, values: r.get("AutomationSubtype") in values,
    "TargetResourceGroup": lambda r, values: False,
    "OpsItemId": lambda r, values: r.get("OpsItemId") in values,
}
_STEP_FILTERS = {
    "StartTimeBefore": lambda s, values: s["ExecutionStartTime"] < _moment(values[0]),
    "StartTimeAfter": lambda s, values: s["ExecutionStartTime"] > _moment(values[0]),
    "StepExecutionStatus": lambda s, values: s["StepStatus"] in values,
    "StepExecutionId": lambda s, values: s["StepExecutionId"] in values,
    "StepName": lambda s, values: s["StepName"] in values,
    "Action": lambda s, values: s["Action"] in values,
    "ParentStepExecutionId": lambda s, values: False,
    "ParentStepIteration": lambda s, values: False,
    "ParentStepIteratorValue": lambda s, values: False,
}
_SIGNALS_FOR = {"aws:pause": {"Resume"}, "aws:approve": {"Approve", "Reject"}}


class AutomationMixin:
    # -- starting ----------------------------------------------------------------------------

    def _automation_document(  # type: ignore[misc]
        self: Provider, context: RequestContext, name: str, version: str | None, types: tuple[str, ...]
    ) -> tuple[dict, dict]:
        try:
            document, chosen = self.document_for_run(context, name, version)
        except ServiceError as error:
            if error.code == "InvalidDocumentVersion":
                raise ServiceError(
                    "AutomationDefinitionVersionNotFoundException",
                    f"Document {name} with version {version} does not exist.",
                ) from None
            raise ServiceError(
                "AutomationDefinitionNotFoundException", f"Document with name {name} does not exist."
            ) from None
        if document["DocumentType"] not in types:
            raise ServiceError(
                "AutomationDefinitionNotFoundException",
                f"Document {name} is not an Automation document (type {document['DocumentType']}).",
            )
        return document, chosen

    def _new_execution(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        document: dict,
        version: dict,
        given: dict[str, list[str]],
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        values = docparams.resolve(version, given, "InvalidAutomationExecutionParametersException")
        body = jsontext.loads(json.dumps(version_body(version)))
        now = time.time()
        record: dict[str, Any] = {
            "AutomationExecutionId": str(uuid.uuid4()),
            "DocumentName": document["Name"],
            "DocumentVersion": str(version["DocumentVersion"]),
            "ExecutionStartTime": now,
            "AutomationExecutionStatus": "Pending",
            "StepExecutions": [],
            "StepExecutionsTruncated": False,
            "Parameters": values,
            "Outputs": {},
            "Mode": "Auto",
            "ExecutedBy": context.principal_arn,
            "AutomationType": "Local",
            "ProgressCounters": {
                "TotalSteps": len(body.get("mainSteps") or []),
                "SuccessSteps": 0,
                "FailedSteps": 0,
                "CancelledSteps": 0,
                "TimedOutSteps": 0,
            },
            "mainSteps": body.get("mainSteps") or [],
            "assumeRole": body.get("assumeRole") or "",
            "declaredOutputs": body.get("outputs") or [],
            "values": docparams.typed(version, values),
            "stepOutputs": {},
            "Variables": _variables(body.get("variables")),
            "position": 0,
            "account": context.account,
            "region": context.region,
            "tags": {},
        }
        record.update(extra)
        return record

    def _begin(self: Provider, context: RequestContext, record: dict) -> None:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            self.automations.put(where, record["AutomationExecutionId"], record)
        self._spawn_runner(where, record["AutomationExecutionId"])

    def _spawn_runner(self: Provider, where: str, execution_id: str) -> None:  # type: ignore[misc]
        self.runtime.spawn(Runner(self, where, execution_id).run(), f"ssm-automation-{execution_id}")

    def _idempotent(self: Provider, context: RequestContext, token: str | None, request: dict) -> str | None:  # type: ignore[misc]
        if not token:
            return None
        where = self._scope(context)
        for _, record in self.automations.scan(where):
            if record.get("clientToken") == token:
                if record.get("request") != request:
                    raise ServiceError(
                        "IdempotentParameterMismatch",
                        "Error occurred during operation 'StartAutomationExecution'. The client token was used with different parameters.",
                    )
                return record["AutomationExecutionId"]
        return None

    def _check_running_limit(self: Provider, context: RequestContext) -> None:  # type: ignore[misc]
        running = sum(
            record["AutomationExecutionStatus"] not in TERMINAL
            for _, record in self.automations.scan(self._scope(context))
        )
        if running >= MAX_RUNNING:
            raise ServiceError(
                "AutomationExecutionLimitExceededException",
                f"The number of concurrently running Automation executions has reached the limit of {MAX_RUNNING}.",
            )

    def start_automation_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        request = {k: v for k, v in params.items() if k != "ClientToken"}
        earlier = self._idempotent(context, params.get("ClientToken"), request)
        if earlier is not None:
            return {"AutomationExecutionId": earlier}
        self._check_running_limit(context)
        runs.check_rate_control(params.get("MaxConcurrency"), params.get("MaxErrors"))
        document, version = self._automation_document(
            context, params["DocumentName"], params.get("DocumentVersion"), ("Automation",)
        )
        tags = self._checked_tags(params.get("Tags"))
        extra: dict[str, Any] = {
            "Mode": params.get("Mode") or "Auto",
            "tags": tags,
            "clientToken": params.get("ClientToken"),
            "request": request,
        }
        for member in (
            "MaxConcurrency",
            "MaxErrors",
            "TargetLocations",
            "AlarmConfiguration",
            "TargetLocationsURL",
        ):
            if params.get(member) is not None:
                extra[member] = params[member]
        targets = params.get("Targets") or []
        if targets or params.get("TargetMaps"):
            record = self._targeted_execution(context, document, version, params, extra)
        else:
            if params.get("TargetParameterName"):
                raise ServiceError(
                    "InvalidAutomationExecutionParametersException", "TargetParameterName needs Targets."
                )
            record = self._new_execution(context, document, version, params.get("Parameters") or {}, extra)
        self._begin(context, record)
        return {"AutomationExecutionId": record["AutomationExecutionId"]}

    def _targeted_execution(  # type: ignore[misc]
        self: Provider, context: RequestContext, document: dict, version: dict, params: dict, extra: dict
    ) -> dict:
        """A parent execution whose children run the document once per target value."""
        target_parameter = params.get("TargetParameterName")
        targets = params.get("Targets") or []
        if params.get("TargetMaps"):
            raise ServiceError("InvalidTarget", "TargetMaps are not supported with this document.")
        if not target_parameter:
            raise ServiceError(
                "InvalidAutomationExecutionParametersException", "Targets need a TargetParameterName."
            )
        if target_parameter not in docparams.declared(version):
            raise ServiceError(
                "InvalidAutomationExecutionParametersException",
                f"The target parameter {target_parameter} is not a parameter of the document.",
            )
        if len(targets) != 1 or targets[0].get("Key") != "ParameterValues":
            raise ServiceError(
                "InvalidTarget",
                "Overcast resolves automation targets given as ParameterValues only; tag and resource-group "
                "targets need the Resource Groups Tagging API.",
            )
        values = list(targets[0].get("Values") or [])
        if not values:
            raise ServiceError("InvalidTarget", "The target ParameterValues needs at least one value.")
        given = dict(params.get("Parameters") or {})
        # The target parameter is filled per child; the rest is checked once here.
        docparams.resolve(
            version, {**given, target_parameter: [values[0]]}, "InvalidAutomationExecutionParametersException"
        )
        parent = self._new_execution(
            context, document, version, {**given, target_parameter: [values[0]]}, extra
        )
        parent.update(
            mainSteps=[],
            TargetParameterName=target_parameter,
            Targets=targets,
            ResolvedTargets={"ParameterValues": values, "Truncated": False},
            MaxConcurrency=params.get("MaxConcurrency") or "1",
            MaxErrors=params.get("MaxErrors") or "0",
            childValues=values,
            children=[],
        )
        parent["Parameters"] = {k: v for k, v in parent["Parameters"].items() if k != target_parameter}
        parent["ProgressCounters"]["TotalSteps"] = len(values)
        return parent

    # -- what runs after the steps --------------------------------------------------------------

    async def after_steps(self: Provider, runner: Runner, record: dict) -> None:  # type: ignore[misc]
        """An execution whose steps are done: run its children or runbooks, then finish."""
        if record.get("childValues") is not None and not record.get("children"):
            await self._run_children(runner, record)
            return
        if record.get("Runbooks") and not record.get("runbooksDone"):
            await self._run_runbooks(runner, record)
            return
        runner.finish(record, "Success")

    async def _run_children(self: Provider, runner: Runner, parent: dict) -> None:  # type: ignore[misc]
        context = RequestContext.internal("ssm", parent["account"], parent["region"], parent["ExecutedBy"])
        document, version = self.document_for_run(context, parent["DocumentName"], parent["DocumentVersion"])
        values = parent["childValues"]
        concurrency = _concurrency(parent["MaxConcurrency"], len(values))
        children = []
        for value in values:
            given = {**parent["Parameters"], parent["TargetParameterName"]: [value]}
            child = self._new_execution(
                context, document, version, given,
                {"ParentAutomationExecutionId": parent["AutomationExecutionId"],
                    "childOf": parent["AutomationExecutionId"], "Target": value,
                 "TargetParameterName": parent["TargetParameterName"]},
            )  # fmt: skip
            with self.store.transaction():
                self.automations.put(runner.where, child["AutomationExecutionId"], child)
            children.append(child["AutomationExecutionId"])
        parent["children"] = children
        parent["AutomationExecutionStatus"] = "InProgress"
        runner.save(parent)
        for start in range(0, len(children), concurrency):
            batch = children[start : start + concurrency]
            await asyncio.gather(*(Runner(self, runner.where, child).run() for child in batch))
        finished = [self.automations.get(runner.where, child) or {} for child in children]
        failures = sum(child.get("AutomationExecutionStatus") != "Success" for child in finished)
        counters = parent["ProgressCounters"]
        counters["SuccessSteps"] = len(finished) - failures
        counters["FailedSteps"] = failures
        latest = runner.load() or parent
        latest.update(children=children, ProgressCounters=counters)
        allowed = _allowed(parent["MaxErrors"], len(children))
        if latest["AutomationExecutionStatus"] == "Cancelling":
            runner.finish(latest, "Cancelled")
        else:
            runner.finish(latest, "Failed" if failures > allowed else "Success")

    async def _run_runbooks(self: Provider, runner: Runner, record: dict) -> None:  # type: ignore[misc]
        context = RequestContext.internal("ssm", record["account"], record["region"], record["ExecutedBy"])
        record["AutomationExecutionStatus"] = "RunbookInProgress"
        runner.save(record)
        for runbook in record["Runbooks"]:
            try:
                document, version = self._automation_document(
                    context, runbook["DocumentName"], runbook.get("DocumentVersion"), ("Automation",)
                )
                child = self._new_execution(
                    context, document, version, runbook.get("Parameters") or {},
                    {"ParentAutomationExecutionId": record["AutomationExecutionId"], "childOf": record["AutomationExecutionId"]},
                )  # fmt: skip
            except ServiceError as error:
                latest = runner.load() or record
                runner.finish(
                    latest, "Failed", f"Runbook {runbook['DocumentName']} could not start: {error.message}"
                )
                return
            with self.store.transaction():
                self.automations.put(runner.where, child["AutomationExecutionId"], child)
            await Runner(self, runner.where, child["AutomationExecutionId"]).run()
            finished = self.automations.get(runner.where, child["AutomationExecutionId"]) or {}
            if finished.get("AutomationExecutionStatus") != "Success":
                latest = runner.load() or record
                runner.finish(
                    latest,
                    "Failed",
                    f"Runbook {runbook['DocumentName']} ended {finished.get('AutomationExecutionStatus')}.",
                )
                return
        latest = runner.load() or record
        latest["runbooksDone"] = True
        runner.finish(latest, "Success")

    def mark_nested(self: Provider, account: str, region: str, child_id: str, parent_id: str) -> None:  # type: ignore[misc]
        """Record that aws:executeAutomation of `parent_id` started `child_id` (the child runs,
        and resumes after a restart, on its own runner)."""
        where = scope(account, region)
        with self.store.transaction():
            child = self.automations.get(where, child_id)
            if child is not None:
                child["ParentAutomationExecutionId"] = parent_id
                self.automations.put(where, child_id, child)

    def assume_role_problem(self: Provider, record: dict) -> str | None:  # type: ignore[misc]
        """Why the execution can't assume the role its document names (None: it can, or it
        names none and runs as its caller); the role is looked up through IAM."""
        role = record.get("assumeRole") or ""
        if not isinstance(role, str) or not role:
            return None
        arn = parse_arn(role)
        name = arn.resource.split("/")[-1] if arn is not None and arn.resource.startswith("role/") else ""
        if not name or self.runtime.provider("iam").role(arn.account if arn else "", name) is None:
            return "The defined assume role is unable to be assumed."
        return None

    def link_association(  # type: ignore[misc]
        self: Provider, where: str, execution_id: str, association_id: str, key: str
    ) -> None:
        """Mark an execution as the run of an association (AssociationId), to report back."""
        record = self.automations.get(where, execution_id)
        if record is not None:
            record["AssociationId"] = association_id
            record["association"] = {"association": association_id, "key": key}
            self.automations.put(where, execution_id, record)

    def automation_finished(self: Provider, where: str, record: dict) -> None:  # type: ignore[misc]
        """Called when an execution ends: an association's runbook reports back."""
        link = record.get("association")
        if link:
            with self.store.transaction():
                self.runbook_finished(where, link, record["AutomationExecutionStatus"])

    # -- reads -------------------------------------------------------------------------------

    def _execution(self: Provider, context: RequestContext, execution_id: str) -> dict:  # type: ignore[misc]
        record = self.automations.get(self._scope(context), execution_id)
        if record is None:
            raise _not_found(execution_id)
        return record

    def get_automation_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._execution(context, params["AutomationExecutionId"])
        out = _render(record)
        out.pop("AutomationType", None)
        return {"AutomationExecution": out}

    def describe_automation_executions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        checks = []
        for entry in params.get("Filters") or []:
            test = _EXECUTION_FILTERS.get(entry["Key"])
            if test is None:
                raise ServiceError("InvalidFilterKey", f"The filter key {entry['Key']} is not valid.")
            checks.append((test, entry["Values"]))
        records = [
            r for _, r in self.automations.scan(self._scope(context)) if all(t(r, v) for t, v in checks)
        ]
        records.sort(key=lambda r: r["ExecutionStartTime"], reverse=True)

        def render(record: dict) -> dict:
            out = _render(record)
            for hidden in ("StepExecutions", "StepExecutionsTruncated", "Parameters", "ProgressCounters",
                           "TargetLocations", "Variables", "TargetsSummary"):  # fmt: skip
                out.pop(hidden, None)
            return out

        return paginate_list(
            self.store, "ssm", "DescribeAutomationExecutions", params, records,
            bad_token=_bad_token, default_limit=50, render=render,
        )  # fmt: skip

    def describe_automation_step_executions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._execution(context, params["AutomationExecutionId"])
        checks = []
        for entry in params.get("Filters") or []:
            test = _STEP_FILTERS.get(entry["Key"])
            if test is None:
                raise ServiceError("InvalidFilterKey", f"The filter key {entry['Key']} is not valid.")
            checks.append((test, entry["Values"]))
        steps = [s for s in record["StepExecutions"] if all(t(s, v) for t, v in checks)]
        if params.get("ReverseOrder"):
            steps.reverse()
        return paginate_list(
            self.store, "ssm", "DescribeAutomationStepExecutions", params, steps,
            bad_token=_bad_token, default_limit=50, bind=record["AutomationExecutionId"],
        )  # fmt: skip

    # -- control -----------------------------------------------------------------------------

    def stop_automation_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._execution(context, params["AutomationExecutionId"])
            if (
                record["AutomationExecutionStatus"] in TERMINAL
                or record["AutomationExecutionStatus"] == "Cancelling"
            ):
                raise ServiceError(
                    "InvalidAutomationStatusUpdateException",
                    f"Automation execution {record['AutomationExecutionId']} is already "
                    f"{record['AutomationExecutionStatus']} and can't be stopped.",
                )
            record["AutomationExecutionStatus"] = "Cancelling"
            self.automations.put(where, record["AutomationExecutionId"], record)
            children = record.get("children") or []
        for child in children:
            child_record = self.automations.get(where, child)
            if child_record is not None and child_record["AutomationExecutionStatus"] not in TERMINAL:
                child_record["AutomationExecutionStatus"] = "Cancelling"
                with self.store.transaction():
                    self.automations.put(where, child, child_record)
                self.automation_signals.wake(child)
        self.automation_signals.wake(record["AutomationExecutionId"])
        return {}

    def send_automation_signal(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        kind = params["SignalType"]
        with self.store.transaction():
            record = self._execution(context, params["AutomationExecutionId"])
            if kind == "StartStep":
                self._start_step_signal(record, params.get("Payload") or {})
                self.automations.put(where, record["AutomationExecutionId"], record)
                self.automation_signals.wake(record["AutomationExecutionId"])
                return {}
            waiting = record["StepExecutions"][-1] if record["StepExecutions"] else None
            if (
                record["AutomationExecutionStatus"] != "Waiting"
                or waiting is None
                or kind not in _SIGNALS_FOR.get(waiting["Action"], set())
            ):
                raise ServiceError(
                    "InvalidAutomationSignalException",
                    f"The signal {kind} is not valid for the current state of execution "
                    f"{record['AutomationExecutionId']}.",
                )
            payload = params.get("Payload") or {}
            step_names = payload.get("StepName")
            if step_names and waiting["StepName"] not in step_names:
                raise ServiceError(
                    "AutomationStepNotFoundException", f"Step {step_names[0]} is not waiting for a signal."
                )
            signal: dict[str, Any] = {"SignalType": kind, "Approver": context.principal_arn}
            comment = payload.get("Comment")
            if comment:
                signal["Comment"] = comment[0]
            record.setdefault("pendingSignals", []).append(signal)
            self.automations.put(where, record["AutomationExecutionId"], record)
        self.automation_signals.wake(record["AutomationExecutionId"])
        return {}

    @staticmethod
    def _start_step_signal(record: dict, payload: dict) -> None:
        """Queue an Interactive execution's StartStep, or AWS's refusal."""
        if record.get("Mode") != "Interactive" or not record.get("awaitingStart"):
            raise ServiceError(
                "InvalidAutomationSignalException",
                f"The signal StartStep is not valid for the current state of execution "
                f"{record['AutomationExecutionId']}.",
            )
        names = payload.get("StepName") or []
        steps = {step.get("name") for step in record["mainSteps"]}
        if len(names) != 1 or names[0] not in steps:
            raise ServiceError(
                "AutomationStepNotFoundException", f"Step {names[0] if names else ''} was not found."
            )
        record.setdefault("pendingSignals", []).append({"SignalType": "StartStep", "StepName": names[0]})

    # -- change requests ---------------------------------------------------------------------

    def start_change_request_execution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        request = {k: v for k, v in params.items() if k != "ClientToken"}
        earlier = self._idempotent(context, params.get("ClientToken"), request)
        if earlier is not None:
            return {"AutomationExecutionId": earlier}
        self._check_running_limit(context)
        document, version = self._automation_document(
            context, params["DocumentName"], params.get("DocumentVersion"), ("Automation.ChangeTemplate",)
        )
        if version.get("ReviewStatus") != "APPROVED":
            raise ServiceError(
                "AutomationDefinitionNotApprovedException",
                f"The change template {document['Name']} version {version['DocumentVersion']} is not approved.",
            )
        for runbook in params["Runbooks"]:
            self._automation_document(
                context, runbook["DocumentName"], runbook.get("DocumentVersion"), ("Automation",)
            )
        extra: dict[str, Any] = {
            "AutomationSubtype": "ChangeRequest",
            "Runbooks": params["Runbooks"],
            "tags": self._checked_tags(params.get("Tags")),
            "clientToken": params.get("ClientToken"),
            "request": request,
        }
        for member in ("ChangeRequestName", "ScheduledTime"):
            if params.get(member) is not None:
                value = params[member]
                extra[member] = value.timestamp() if isinstance(value, datetime) else value
        record = self._new_execution(context, document, version, params.get("Parameters") or {}, extra)
        # AutoApprove: the template's approvals are granted without waiting for a signal.
        record["autoApprove"] = bool(params.get("AutoApprove"))
        record["AutomationExecutionStatus"] = (
            "Scheduled" if record.get("ScheduledTime", 0) > time.time() else "Pending"
        )
        self._begin(context, record)
        return {"AutomationExecutionId": record["AutomationExecutionId"]}

    # -- previews ----------------------------------------------------------------------------

    def start_execution_preview(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        try:
            document, version = self.document_for_run(
                context, params["DocumentName"], params.get("DocumentVersion")
            )
        except ServiceError as error:
            if error.code == "InvalidDocumentVersion":
                raise ServiceError("ValidationException", bad_version().message) from None
            raise ServiceError(
                "ValidationException", f"Document {params['DocumentName']} does not exist."
            ) from None
        if document["DocumentType"] != "Automation":
            raise ServiceError(
                "ValidationException", "Execution previews are available for Automation documents."
            )
        inputs = (params.get("ExecutionInputs") or {}).get("Automation") or {}
        docparams.resolve(version, inputs.get("Parameters"), "ValidationException")
        impacts = {"Mutating": 0, "NonMutating": 0, "Undetermined": 0}
        for step in version_body(version).get("mainSteps") or []:
            impacts[_impact(step)] += 1
        targets = inputs.get("Targets") or []
        if any(not target.get("Key") for target in targets):
            raise ServiceError("ValidationException", "Every target needs a Key.")
        preview = {
            "StepPreviews": {kind: count for kind, count in impacts.items() if count},
            "Regions": [context.region],
            "TargetPreviews": [
                {"Count": len(target.get("Values") or []), "TargetType": target["Key"]} for target in targets
            ],
            "TotalAccounts": 1,
        }
        preview_id = str(uuid.uuid4())
        with self.store.transaction():
            self.previews.put(
                self._scope(context),
                preview_id,
                {"ExecutionPreviewId": preview_id, "EndedAt": time.time(), "Status": "Success",
                 "ExecutionPreview": {"Automation": preview}},
            )  # fmt: skip
        return {"ExecutionPreviewId": preview_id}

    def get_execution_preview(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.previews.get(self._scope(context), params["ExecutionPreviewId"])
        if record is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Execution preview {params['ExecutionPreviewId']} was not found.",
            )
        return record


def _variables(declared: Any) -> dict[str, list[str]]:
    """A document's `variables` at their defaults, as AutomationExecution reports them."""
    from overcast.services.ssm import templating

    if not isinstance(declared, dict):
        return {}
    return {
        str(name): templating.output_strings(definition.get("default", ""))
        for name, definition in declared.items()
        if isinstance(definition, dict)
    }


def version_body(version: dict) -> dict:
    from overcast.services.ssm import doccontent

    body = doccontent.load(version["Content"], version["DocumentFormat"])
    return body if isinstance(body, dict) else {}


def _impact(step: dict) -> str:
    action = step.get("action", "")
    if action in _NON_MUTATING:
        return "NonMutating"
    if action == "aws:executeAwsApi":
        api = str((step.get("inputs") or {}).get("Api", ""))
        return "NonMutating" if api.startswith(_READING_PREFIXES) else "Mutating"
    return "Undetermined"


def _concurrency(text: str, count: int) -> int:
    if text.endswith("%"):
        return max(1, count * int(text[:-1]) // 100)
    return max(1, int(text))


def _allowed(text: str, count: int) -> int:
    if text.endswith("%"):
        return count * int(text[:-1]) // 100
    return int(text)
