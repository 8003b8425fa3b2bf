"""Patch baselines (Create/Get/Update/Delete/DescribePatchBaselines), AWS's predefined
baselines per operating system, the default baseline (Get/RegisterDefaultPatchBaseline) and
patch groups (Register/Deregister/GetPatchBaselineForPatchGroup, DescribePatchGroups,
DescribePatchGroupState). The patch catalogue and the nodes' patch states are in
patch_catalog.py."""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import patch_rules, records
from overcast.services.ssm.errors import validation

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: AWS's quota of custom patch baselines per account and Region.
BASELINE_LIMIT = 50
_BASELINE_ID = re.compile(r"^pb-[0-9a-f]{17}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Stored fields and AWS's defaults for those a request leaves out.
_DEFAULTS: dict[str, Any] = {
    "OperatingSystem": "WINDOWS",
    "GlobalFilters": {"PatchFilters": []},
    "ApprovalRules": {"PatchRules": []},
    "ApprovedPatches": [],
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatches": [],
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "Sources": [],
}
_EDITABLE = (
    "Name", "GlobalFilters", "ApprovalRules", "ApprovedPatches", "ApprovedPatchesComplianceLevel",
    "ApprovedPatchesEnableNonSecurity", "RejectedPatches", "RejectedPatchesAction", "Description", "Sources",
    "AvailableSecurityUpdatesComplianceStatus",
)  # fmt: skip
_BASELINE_FILTERS = ("NAME_PREFIX", "OWNER", "OPERATING_SYSTEM")
_GROUP_FILTERS = ("NAME_PREFIX", "OPERATING_SYSTEM")
_GROUP_STATE_COUNTS = (
    "Instances", "InstancesWithInstalledPatches", "InstancesWithInstalledOtherPatches",
    "InstancesWithInstalledPendingRebootPatches", "InstancesWithInstalledRejectedPatches",
    "InstancesWithMissingPatches", "InstancesWithFailedPatches", "InstancesWithNotApplicablePatches",
    "InstancesWithUnreportedNotApplicablePatches", "InstancesWithCriticalNonCompliantPatches",
    "InstancesWithSecurityNonCompliantPatches", "InstancesWithOtherNonCompliantPatches",
    "InstancesWithAvailableSecurityUpdates",
)  # fmt: skip


def baseline_missing(baseline_id: str) -> ServiceError:
    return records.does_not_exist(f"Patch Baseline {baseline_id} does not exist.")


def _bare_id(baseline_id: str) -> str:
    """The pb- id of a baseline named by its id or its ARN."""
    return baseline_id.rsplit("/", 1)[-1] if baseline_id.startswith("arn:") else baseline_id


def _check_filters(group: dict | None, operating_system: str, where: str) -> None:
    allowed = patch_rules.filter_keys(operating_system)
    seen: set[str] = set()
    for given in (group or {}).get("PatchFilters") or ():
        key = given["Key"]
        if key not in allowed:
            raise validation(
                f"The {where} contains a patch filter with key {key}, which is not supported for "
                f"operating system {operating_system}."
            )
        if key in seen:
            raise validation(f"The {where} contains more than one patch filter with key {key}.")
        seen.add(key)


def check_baseline(record: dict[str, Any]) -> None:
    """Refuse baseline contents AWS refuses for the baseline's operating system."""
    operating_system = record["OperatingSystem"]
    _check_filters(record.get("GlobalFilters"), operating_system, "global filter group")
    for rule in (record.get("ApprovalRules") or {}).get("PatchRules") or ():
        _check_filters(rule["PatchFilterGroup"], operating_system, "approval rule")
        after, until = rule.get("ApproveAfterDays"), rule.get("ApproveUntilDate")
        if operating_system in patch_rules.NO_RELEASE_DATES:
            if after is not None or until is not None:
                raise validation(
                    f"ApproveAfterDays and ApproveUntilDate are not supported for {operating_system}: "
                    "its repositories publish no release dates."
                )
        elif (after is None) == (until is None):
            raise validation("An approval rule must specify either ApproveAfterDays or ApproveUntilDate.")
        if until is not None and not _DATE.match(until):
            raise validation(f"Invalid ApproveUntilDate {until}: use the format YYYY-MM-DD.")
    for field in ("ApprovedPatches", "RejectedPatches"):
        for patch in record.get(field) or ():
            if not patch_rules.valid_patch_id(operating_system, patch):
                raise validation(f"Patch {patch} in {field} is not a valid patch id for {operating_system}.")
    if record.get("Sources") and operating_system in ("WINDOWS", "MACOS"):
        raise validation(f"Sources are not supported for operating system {operating_system}.")
    if record.get("AvailableSecurityUpdatesComplianceStatus") and operating_system != "WINDOWS":
        raise validation("AvailableSecurityUpdatesComplianceStatus is supported only for Windows baselines.")


class PatchBaselineMixin:
    # -- lookups ------------------------------------------------------------------------------

    def _predefined(self, context: RequestContext, operating_system: str) -> dict[str, Any]:
        name, description, rules = patch_rules.PREDEFINED[operating_system]
        return {
            **_DEFAULTS,
            "BaselineId": patch_rules.predefined_arn(
                partition(context.region), context.region, operating_system
            ),
            "Name": name,
            "Description": description,
            "OperatingSystem": operating_system,
            "ApprovalRules": {"PatchRules": rules},
            "CreatedDate": 0.0,
            "ModifiedDate": 0.0,
            "Owner": "AWS",
        }

    def _baseline(self: Provider, context: RequestContext, baseline_id: str) -> dict[str, Any]:  # type: ignore[misc]
        """A baseline of the account's or one of AWS's, by id or ARN."""
        bare = _bare_id(baseline_id)
        for operating_system in patch_rules.PREDEFINED:
            if bare == patch_rules.predefined_id(context.region, operating_system):
                return self._predefined(context, operating_system)
        if not _BASELINE_ID.match(bare):
            raise ServiceError("InvalidResourceId", f"Invalid Resource Id: {baseline_id}")
        record = self.baselines.get(self._scope(context), bare)
        if record is None:
            raise baseline_missing(baseline_id)
        return record

    def _default_id(self: Provider, context: RequestContext, operating_system: str) -> str:  # type: ignore[misc]
        chosen = self.default_baselines.get(self._scope(context), operating_system)
        return chosen or patch_rules.predefined_arn(
            partition(context.region), context.region, operating_system
        )

    def _identity(self: Provider, context: RequestContext, record: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        out = {
            "BaselineId": record["BaselineId"],
            "BaselineName": record["Name"],
            "OperatingSystem": record["OperatingSystem"],
            "DefaultBaseline": self._default_id(context, record["OperatingSystem"]) == record["BaselineId"],
        }
        if record.get("Description"):
            out["BaselineDescription"] = record["Description"]
        return out

    def _groups_of(self: Provider, context: RequestContext, baseline_id: str) -> list[str]:  # type: ignore[misc]
        return [
            group["PatchGroup"]
            for _, group in self.patch_groups.scan(self._scope(context))
            if group["BaselineId"] == baseline_id
        ]

    # -- baselines ---------------------------------------------------------------------------

    def create_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, now = self._scope(context), time.time()
        record: dict[str, Any] = {
            **_DEFAULTS,
            **{k: v for k, v in params.items() if k in (*_EDITABLE, "OperatingSystem")},
        }
        check_baseline(record)
        tags = self._checked_tags(params.get("Tags"))

        def create() -> str:
            if self.baselines.count(where) >= BASELINE_LIMIT:
                raise ServiceError(
                    "ResourceLimitExceededException",
                    f"Maximum number of patch baselines ({BASELINE_LIMIT}) exceeded.",
                )
            baseline_id = "pb-" + secrets.token_hex(9)[:17]
            self.baselines.put(
                where, baseline_id,
                {**record, "BaselineId": baseline_id, "CreatedDate": now, "ModifiedDate": now, "tags": tags},
            )  # fmt: skip
            return baseline_id

        with self.store.transaction():
            made = records.idempotent(self.tokens, where, "CreatePatchBaseline", params, create)
        return {"BaselineId": made}

    def get_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._baseline(context, params["BaselineId"])
        out = {k: v for k, v in record.items() if k not in ("tags", "Owner")}
        out["PatchGroups"] = self._groups_of(context, record["BaselineId"])
        return out

    def update_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        with self.store.transaction():
            record = self._baseline(context, params["BaselineId"])
            if record.get("Owner") == "AWS":
                raise baseline_missing(params["BaselineId"])
            updated = dict(record)
            if params.get("Replace"):
                for field in _EDITABLE:
                    if field != "Name":
                        updated.pop(field, None)
                updated = {**_DEFAULTS, **updated, "OperatingSystem": record["OperatingSystem"]}
            for field in _EDITABLE:
                if params.get(field) is not None:
                    updated[field] = params[field]
            check_baseline(updated)
            updated["ModifiedDate"] = time.time()
            self.baselines.put(where, record["BaselineId"], updated)
        return {k: v for k, v in updated.items() if k != "tags"}

    def delete_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where, baseline_id = self._scope(context), _bare_id(params["BaselineId"])
        with self.store.transaction():
            record = self.baselines.get(where, baseline_id)
            if record is not None:
                if self.default_baselines.get(where, record["OperatingSystem"]) == baseline_id:
                    raise ServiceError(
                        "ResourceInUseException",
                        "Baseline is the default baseline for its operating system and can't be deleted.",
                    )
                if self._groups_of(context, baseline_id):
                    raise ServiceError(
                        "ResourceInUseException",
                        "Baseline is registered with a patch group and can't be deleted. Deregister it first.",
                    )
                self.baselines.delete(where, baseline_id)
        return {"BaselineId": params["BaselineId"]}

    def describe_patch_baselines(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = records.filter_values(params.get("Filters"), _BASELINE_FILTERS, "DescribePatchBaselines")
        owners = set(wanted.get("OWNER") or ["All"])
        candidates: list[dict[str, Any]] = []
        if owners & {"AWS", "All"}:
            candidates.extend(self._predefined(context, os_name) for os_name in patch_rules.PREDEFINED)
        if owners & {"Self", "All"}:
            candidates.extend(record for _, record in self.baselines.scan(self._scope(context)))
        prefixes, systems = wanted.get("NAME_PREFIX") or [], wanted.get("OPERATING_SYSTEM") or []
        found = [
            self._identity(context, record)
            for record in candidates
            if (not prefixes or any(record["Name"].startswith(p) for p in prefixes))
            and (not systems or record["OperatingSystem"] in systems)
        ]
        return records.page(self.store, "DescribePatchBaselines", params, found, default_limit=100)

    # -- the default baseline ----------------------------------------------------------------

    def get_default_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        operating_system = params.get("OperatingSystem") or "WINDOWS"
        return {
            "BaselineId": self._default_id(context, operating_system),
            "OperatingSystem": operating_system,
        }

    def register_default_patch_baseline(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self._baseline(context, params["BaselineId"])
            where = self._scope(context)
            if record.get("Owner") == "AWS":
                self.default_baselines.delete(where, record["OperatingSystem"])
            else:
                self.default_baselines.put(where, record["OperatingSystem"], record["BaselineId"])
        return {"BaselineId": params["BaselineId"]}

    # -- patch groups ------------------------------------------------------------------------

    def register_patch_baseline_for_patch_group(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where, group = self._scope(context), params["PatchGroup"]
        with self.store.transaction():
            record = self._baseline(context, params["BaselineId"])
            key = f"{group}|{record['OperatingSystem']}"
            if self.patch_groups.get(where, key) is not None:
                raise ServiceError(
                    "AlreadyExistsException",
                    f"Patch Group baseline already has a baseline registered for OperatingSystem "
                    f"{record['OperatingSystem']}.",
                )
            self.patch_groups.put(
                where, key,
                {"PatchGroup": group, "OperatingSystem": record["OperatingSystem"], "BaselineId": record["BaselineId"]},
            )  # fmt: skip
        return {"BaselineId": params["BaselineId"], "PatchGroup": group}

    def deregister_patch_baseline_for_patch_group(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        where, group = self._scope(context), params["PatchGroup"]
        with self.store.transaction():
            try:
                record = self._baseline(context, params["BaselineId"])
            except ServiceError as error:
                if error.code != "DoesNotExistException":
                    raise
                # AWS words this refusal by what it was about to do.
                raise records.does_not_exist("Patch Baseline to be retrieved does not exist.") from None
            key = f"{group}|{record['OperatingSystem']}"
            registered = self.patch_groups.get(where, key)
            if registered is None or registered["BaselineId"] != record["BaselineId"]:
                raise ServiceError(
                    "InvalidResourceId",
                    f"Patch Group {group} is not registered with baseline {params['BaselineId']}.",
                )
            self.patch_groups.delete(where, key)
        return {"BaselineId": params["BaselineId"], "PatchGroup": group}

    def get_patch_baseline_for_patch_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = params["PatchGroup"]
        operating_system = params.get("OperatingSystem") or "WINDOWS"
        registered = self.patch_groups.get(self._scope(context), f"{group}|{operating_system}")
        baseline_id = registered["BaselineId"] if registered else self._default_id(context, operating_system)
        return {"BaselineId": baseline_id, "PatchGroup": group, "OperatingSystem": operating_system}

    def describe_patch_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = records.filter_values(params.get("Filters"), _GROUP_FILTERS, "DescribePatchGroups")
        prefixes, systems = wanted.get("NAME_PREFIX") or [], wanted.get("OPERATING_SYSTEM") or []
        found = []
        for _, group in self.patch_groups.scan(self._scope(context)):
            if prefixes and not any(group["PatchGroup"].startswith(p) for p in prefixes):
                continue
            if systems and group["OperatingSystem"] not in systems:
                continue
            try:
                baseline = self._baseline(context, group["BaselineId"])
            except ServiceError:
                continue
            found.append(
                {"PatchGroup": group["PatchGroup"], "BaselineIdentity": self._identity(context, baseline)}
            )
        return records.page(self.store, "DescribePatchGroups", params, found, default_limit=100)

    def describe_patch_group_state(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # No managed node reports patches to Overcast: every count is zero, as AWS gives for a
        # patch group without nodes.
        return dict.fromkeys(_GROUP_STATE_COUNTS, 0)
