"""AWS Systems Manager: Parameter Store — parameters with their versions, labels, tiers,
policies and tags, AWS's public parameters, Secrets Manager references, and the
parameter-store service settings; documents (versions, sharing, reviews); Run Command; State
Manager associations; Automation executions that run their steps; activations, sessions and
inventory (no node is managed yet); change calendars; cloud connectors; maintenance windows
that run, patch baselines, OpsCenter (OpsItems, OpsMetadata, GetOpsSummary), compliance,
resource data syncs and Default Host Management Configuration."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.base import BaseProvider
from overcast.services.ssm.associations import AssociationMixin
from overcast.services.ssm.automation import AutomationMixin
from overcast.services.ssm.automation_engine import TERMINAL, Signals
from overcast.services.ssm.calendar import CalendarMixin
from overcast.services.ssm.commands import CommandMixin
from overcast.services.ssm.compliance import ComplianceMixin
from overcast.services.ssm.connectors import ConnectorMixin
from overcast.services.ssm.data_sync import DataSyncMixin
from overcast.services.ssm.documents import DocumentMixin
from overcast.services.ssm.fleet import FleetMixin
from overcast.services.ssm.host_management import HostManagementMixin
from overcast.services.ssm.inventory import InventoryMixin
from overcast.services.ssm.ops_items import OpsItemMixin
from overcast.services.ssm.ops_metadata import OpsMetadataMixin
from overcast.services.ssm.ops_summary import OpsSummaryMixin
from overcast.services.ssm.parameters import ParameterMixin
from overcast.services.ssm.patch_catalog import PatchCatalogMixin
from overcast.services.ssm.patching import PatchBaselineMixin
from overcast.services.ssm.settings import SettingsMixin
from overcast.services.ssm.sharing import SharingMixin
from overcast.services.ssm.tags import TagMixin
from overcast.services.ssm.window_runs import WindowRunMixin
from overcast.services.ssm.window_tasks import WindowTaskMixin
from overcast.services.ssm.windows import WindowMixin
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.runtime import Runtime


class Provider(
    ParameterMixin,
    TagMixin,
    SettingsMixin,
    SharingMixin,
    WindowMixin,
    WindowTaskMixin,
    WindowRunMixin,
    PatchBaselineMixin,
    PatchCatalogMixin,
    OpsItemMixin,
    OpsMetadataMixin,
    OpsSummaryMixin,
    ComplianceMixin,
    DataSyncMixin,
    HostManagementMixin,
    DocumentMixin,
    CommandMixin,
    AssociationMixin,
    AutomationMixin,
    FleetMixin,
    InventoryMixin,
    CalendarMixin,
    ConnectorMixin,
    BaseProvider,
):
    service = "ssm"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.parameters = self.store.table("ssm", "parameters")
        self.versions = self.store.table("ssm", "versions")
        self.settings = self.store.table("ssm", "settings")
        #: Parameters with an Expiration policy pending: key → when.
        self.expiring = self.store.table("ssm", "expiring")
        #: ClientTokens seen: "Operation/token" → the request's digest and what it made.
        self.tokens = self.store.table("ssm", "client_tokens")
        self.windows = self.store.table("ssm", "maintenance_windows")
        #: A window's targets and tasks: "window id/target or task id" → record.
        self.window_targets = self.store.table("ssm", "window_targets")
        self.window_tasks = self.store.table("ssm", "window_tasks")
        #: Window executions by id, with their task executions and invocations inside.
        self.window_runs = self.store.table("ssm", "window_runs")
        #: "window id/start time/execution id" → execution id: a window's runs in time order.
        self.window_run_index = self.store.table("ssm", "window_run_index")
        #: The executions under way (execution id → True), for a restart to end.
        self.window_runs_open = self.store.table("ssm", "window_runs_open")
        #: Windows with a run under way: the next due run of one is skipped as overlapping.
        self.running_windows: set[str] = set()
        #: "scope/window id" → the event that wakes the window's sleeping timer.
        self.window_wakers: dict[str, asyncio.Event] = {}
        self.baselines = self.store.table("ssm", "patch_baselines")
        #: Operating system → the account's chosen default baseline (none: AWS's).
        self.default_baselines = self.store.table("ssm", "default_baselines")
        #: "patch group|operating system" → the baseline registered for them.
        self.patch_groups = self.store.table("ssm", "patch_groups")
        self.ops_items = self.store.table("ssm", "ops_items")
        #: "OpsItem id/association id" → a related item.
        self.ops_related = self.store.table("ssm", "ops_related_items")
        #: "time/event id" → an OpsItem's create or update event, in time order.
        self.ops_events = self.store.table("ssm", "ops_events")
        #: OpsMetadata by resource id (without its leading slash, as its ARN names it).
        self.ops_metadata = self.store.table("ssm", "ops_metadata")
        #: "resource type|resource id|compliance type" → the items put, with their execution.
        self.compliance = self.store.table("ssm", "compliance")
        self.data_syncs = self.store.table("ssm", "resource_data_syncs")
        self.documents = self.store.table("ssm", "documents")
        #: Document versions: "name version" (zero-padded) → content and what it declares.
        self.document_versions = self.store.table("ssm", "document_versions")
        #: Documents shared with the scope's account ("owner/name"; scope "public/region": All).
        self.document_shares = self.store.table("ssm", "document_shares")
        self.commands = self.store.table("ssm", "commands")
        #: A command's invocation on one node: "command-id instance-id".
        self.invocations = self.store.table("ssm", "invocations")
        self.associations = self.store.table("ssm", "associations")
        #: "association-id version" (zero-padded) → what that version said.
        self.association_versions = self.store.table("ssm", "association_versions")
        #: "association-id created" → one run of the association.
        self.association_executions = self.store.table("ssm", "association_executions")
        self.automations = self.store.table("ssm", "automations")
        self.previews = self.store.table("ssm", "execution_previews")
        self.automation_signals = Signals()
        self.activations = self.store.table("ssm", "activations")
        self.connectors = self.store.table("ssm", "cloud_connectors")

    def start(self) -> None:
        # Expirations a previous run left pending get their timers again; nothing runs while
        # no parameter has one.
        for where in self.expiring.scopes():
            for key, at in self.expiring.scan(where):
                self._schedule_expiry(where, key, at)
        self._resume_windows()
        # Associations run on their schedules again.
        for where in self.associations.scopes():
            for _, association in self.associations.scan(where):
                self._schedule_association(where, association)
        # Automation executions a previous run left unfinished carry on from their step; a
        # child runs under its parent's runner.
        for where in self.automations.scopes():
            for execution_id, record in self.automations.scan(where):
                running = record["AutomationExecutionStatus"] not in TERMINAL
                if running and not record.get("childOf"):
                    self._spawn_runner(where, execution_id)

    def _schedule_expiry(self, where: str, key: str, at: float) -> None:
        async def expire() -> None:
            await asyncio.sleep(max(0.0, at - time.time()))
            self._expire(where, key, at)

        self.runtime.spawn(expire(), f"ssm-expire-{key}")

    def _expire(self, where: str, key: str, at: float) -> None:
        """Delete the parameter if it still expires at `at` (a later PutParameter may have moved it)."""
        with self.store.transaction():
            record = self.parameters.get(where, key)
            if record is not None and record.get("expires") == at:
                self._remove(where, key)

    @staticmethod
    def _expired(record: dict[str, Any]) -> bool:
        expires = record.get("expires")
        return expires is not None and expires <= time.time()

    @staticmethod
    def _scope(context: RequestContext) -> str:
        return scope(context.account, context.region)
