"""The EC2 provider's foundation, shared by its resource modules: an account+region's state
(`Ctx`), reads and writes of resources, tag specifications, the generic Describe, DryRun."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.ec2 import core
from overcast.services.ec2.core import Record, ScopeState
from overcast.store import scope as store_scope

#: Operations whose DryRun AWS answers without looking further than the caller's permission.
DRY_RUN = ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)


class Ctx:
    """One account+region's EC2 state, as a request or a timer sees it."""

    __slots__ = ("account", "region", "scope", "state")

    def __init__(self, scope: str, account: str, region: str, state: ScopeState) -> None:
        self.scope = scope
        self.account = account
        self.region = region
        self.state = state


class Ec2Base(BaseProvider):
    service = "ec2"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.resources = self.store.table("ec2", "resources")
        self.states: dict[str, ScopeState] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        for scope in self.resources.scopes():
            if "/" in scope:
                self._load(scope)
        self.resume_timers()

    def state_replaced(self) -> None:
        self.states.clear()

    def reset(self) -> None:
        self.runtime.scheduler.cancel_prefix("ec2/")

    def resume_timers(self) -> None:
        """Register again the timers of resources in a passing state (after a start or import)."""
        for scope, state in self.states.items():
            for table in state.by_kind.values():
                for record in table.values():
                    if record.get("_due") is not None:
                        self.runtime.scheduler.at(f"ec2/{scope}/{record['_id']}", record["_due"], self._fire)

    # -- state machines --------------------------------------------------------------------------

    def later(self, ctx: Ctx, record: Record, delay: float) -> None:
        """Advance the resource to its next state (`advance_<kind>`) once `delay` has passed
        on the scheduler's clock. Call before saving the record."""
        due = self.runtime.scheduler.now() + delay
        record["_due"] = due
        self.runtime.scheduler.at(f"ec2/{ctx.scope}/{record['_id']}", due, self._fire)

    def _fire(self, key: str, due: float) -> None:
        _, account, region, ident = key.split("/", 3)
        ctx = self.ctx_of(account, region)
        kind = core.KIND_OF_PREFIX.get(ident.split("-", 1)[0])
        record = ctx.state.kind(kind).get(ident) if kind else None
        if record is None or record.get("_due") != due:
            return
        del record["_due"]
        advance = getattr(self, f"advance_{kind}", None)
        with self.store.transaction():
            if advance is not None:
                advance(ctx, record)
            else:
                self.save(ctx, record)

    def check_request(self, context: RequestContext, params: dict[str, Any]) -> None:
        if params.get("DryRun"):
            raise DRY_RUN

    # -- state -----------------------------------------------------------------------------------

    def _load(self, scope: str) -> ScopeState:
        state = self.states.get(scope)
        if state is None:
            state = self.states[scope] = ScopeState()
            for ident, record in self.resources.scan(scope):
                if ident.startswith("_"):
                    continue
                record.pop("_indexed_state", None)
                state.index(ident, record)
        return state

    def ctx(self, context: RequestContext) -> Ctx:
        return self.ctx_of(context.account, context.region)

    def ctx_of(self, account: str, region: str) -> Ctx:
        scope = store_scope(account, region)
        state = self.states.get(scope) or self._load(scope)
        ctx = Ctx(scope, account, region, state)
        if not state.ready:
            state.ready = True
            if self.resources.get(scope, "_default") is None:
                with self.store.transaction():
                    self.create_defaults(ctx)
                    self.resources.put(scope, "_default", {"created": True})
        return ctx

    def ctx_of_scope(self, scope: str) -> Ctx:
        account, _, region = scope.partition("/")
        return self.ctx_of(account, region)

    def create_defaults(self, ctx: Ctx) -> None:
        """The resources an account has in a region before it creates any (the default VPC)."""

    def save(self, ctx: Ctx, record: Record, ident: str | None = None) -> Record:
        ident = ident or record["_id"]
        self.resources.put(ctx.scope, ident, record)
        ctx.state.index(ident, record)
        return record

    def drop(self, ctx: Ctx, record: Record) -> None:
        self.resources.delete(ctx.scope, record["_id"])
        ctx.state.unindex(record["_id"], record)

    def new(
        self, ctx: Ctx, kind: str, ident: str, record: Record, tags: list | None = None, persist: bool = True
    ) -> Record:
        """A new resource; with persist False it is only indexed, and the caller saves it."""
        record["_kind"] = kind
        record["_id"] = ident
        record["_seq"] = time.time_ns()
        if tags is not None:
            record["Tags"] = tags
        if not persist:
            ctx.state.index(ident, record)
            return record
        return self.save(ctx, record)

    def find(self, ctx: Ctx, kind: str, ident: str | None) -> Record | None:
        if not ident:
            return None
        return ctx.state.kind(kind).get(ident)

    def get(self, ctx: Ctx, kind: str, ident: str | None, name: str | None = None) -> Record:
        if not ident:
            raise core.missing(name or "id")
        core.check_format(kind, ident)
        record = ctx.state.kind(kind).get(ident)
        if record is None:
            raise core.not_found(kind, ident)
        return record

    def all(self, ctx: Ctx, kind: str) -> Iterable[Record]:
        return list(ctx.state.kind(kind).values())

    # -- tags ------------------------------------------------------------------------------------

    @staticmethod
    def tag_specs(params: dict[str, Any], resource_type: str) -> list[dict[str, str]]:
        """The tags a Create's TagSpecifications give a resource of this type."""
        tags: dict[str, str] = {}
        for spec in params.get("TagSpecifications") or ():
            kind = spec.get("ResourceType")
            if kind is None:
                raise core.invalid(
                    "Tag specification resource type must have a value", "InvalidParameterValue"
                )
            if kind != resource_type:
                continue
            for tag in spec.get("Tags") or ():
                key = tag.get("Key", "")
                if key.startswith("aws:"):
                    raise core.invalid(
                        "Tag keys starting with 'aws:' are reserved for internal use", "InvalidParameterValue"
                    )
                tags[key] = tag.get("Value", "")
        if len(tags) > 50:
            raise core.error("TagLimitExceeded", "The maximum number of Tags for a resource is 50.")
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def check_tag_types(self, params: dict[str, Any], allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for spec in params.get("TagSpecifications") or ():
            kind = spec.get("ResourceType")
            if kind not in allowed:
                raise core.invalid(
                    f"'{kind}' is not a valid taggable resource type for this operation.",
                    "InvalidParameterValue",
                )

    # -- describe --------------------------------------------------------------------------------

    def select(
        self,
        ctx: Ctx,
        kind: str,
        params: dict[str, Any],
        ids: list[str] | None = None,
        visible: Iterable[Record] | None = None,
    ) -> list[Record]:
        """The resources of a kind that the ids (all must exist) and Filters pick."""
        filters = core.compile_filters(kind, params.get("Filters"))
        table = ctx.state.kind(kind)
        if ids:
            chosen = []
            for ident in dict.fromkeys(ids):
                core.check_format(kind, ident)
                record = table.get(ident)
                if record is None:
                    raise core.not_found(kind, ident)
                chosen.append(record)
        elif visible is not None:
            chosen = list(visible)
        else:
            narrowed = core.candidates(ctx.state, kind, filters)
            if narrowed is None:
                chosen = list(table.values())
            else:
                chosen = [table[i] for i in narrowed if i in table]
                chosen.sort(key=lambda record: record.get("_seq", 0))
        if filters:
            chosen = [r for r in chosen if all(f(r) for f in filters)]
        return chosen

    def listing(
        self,
        ctx: Ctx,
        kind: str,
        params: dict[str, Any],
        ids_member: str,
        out_member: str,
        paged: bool = True,
    ) -> dict[str, Any]:
        found = self.select(ctx, kind, params, params.get(ids_member))
        out: dict[str, Any] = {}
        if paged:
            found, token = core.page(found, params, kind)
            if token:
                out["NextToken"] = token
        out[out_member] = [core.public(r) for r in found]
        return out
