"""What AWS answers from its patch catalogue and from the patch states managed nodes report.
Overcast has no catalogue offline and no managed node reports to it, so these answer AWS's
empty state — after checking the request as AWS does (its filter keys, the baseline it names,
the operating systems an operation supports) — and DescribePatchProperties lists the property
values AWS documents for each operating system."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import patch_rules, records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_PATCH_KEYS = (
    "ARCH", "ADVISORY_ID", "BUGZILLA_ID", "PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION",
    "CVE_ID", "EPOCH", "MSRC_SEVERITY", "NAME", "PATCH_ID", "SECTION", "PRIORITY", "REPOSITORY", "RELEASE",
    "SEVERITY", "SECURITY", "VERSION",
)  # fmt: skip
_INSTANCE_PATCH_KEYS = ("Classification", "KBId", "Severity", "State")
_STATE_KEYS = (
    "InstalledCount", "InstalledOtherCount", "InstalledPendingRebootCount", "InstalledRejectedCount",
    "MissingCount", "FailedCount", "UnreportedNotApplicableCount", "NotApplicableCount",
    "AvailableSecurityUpdateCount", "CriticalNonCompliantCount", "SecurityNonCompliantCount",
    "OtherNonCompliantCount",
)  # fmt: skip


def _invalid_filter(key: str) -> ServiceError:
    return ServiceError("InvalidFilter", f"The filter key {key} is not valid.")


def _unknown_instance(instance_id: str) -> ServiceError:
    return ServiceError("InvalidInstanceId", f"Instance Id {instance_id} doesn't match a managed node.")


class PatchCatalogMixin:
    def describe_effective_patches_for_patch_baseline(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        record = self._baseline(context, params["BaselineId"])
        if record["OperatingSystem"] != "WINDOWS":
            raise ServiceError(
                "UnsupportedOperatingSystem",
                f"The operating system {record['OperatingSystem']} is not supported by this operation. "
                "Effective patches are available for Windows baselines only.",
            )
        # The effective patches are the catalogue's patches the baseline approves or rejects:
        # with no catalogue, none.
        return records.page(self.store, "DescribeEffectivePatchesForPatchBaseline", params, [], 100)

    def describe_available_patches(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        records.filter_values(params.get("Filters"), _PATCH_KEYS, "DescribeAvailablePatches")
        return records.page(self.store, "DescribeAvailablePatches", params, [], 100)

    def describe_patch_properties(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        operating_system, prop = params["OperatingSystem"], params["Property"]
        if prop == "MSRC_SEVERITY" and operating_system != "WINDOWS":
            raise ServiceError(
                "ValidationException",
                f"Property MSRC_SEVERITY is not supported for operating system {operating_system}.",
            )
        found = patch_rules.properties(operating_system, prop)
        return records.page(self.store, "DescribePatchProperties", params, found)

    def describe_instance_patches(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        for given in params.get("Filters") or ():
            if given.get("Key") not in _INSTANCE_PATCH_KEYS:
                raise _invalid_filter(str(given.get("Key")))
        raise _unknown_instance(params["InstanceId"])

    def describe_instance_patch_states(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # AWS lists the states the given nodes reported and leaves out the others: none reports.
        return records.page(self.store, "DescribeInstancePatchStates", params, [])

    def describe_instance_patch_states_for_patch_group(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        for given in params.get("Filters") or ():
            if given["Key"] not in _STATE_KEYS:
                raise _invalid_filter(given["Key"])
            if len(given["Values"]) != 1 or not given["Values"][0].lstrip("-").isdigit():
                raise _invalid_filter(given["Key"])
        return records.page(self.store, "DescribeInstancePatchStatesForPatchGroup", params, [])

    def get_deployable_patch_snapshot_for_instance(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        if params.get("BaselineOverride"):
            override = {"OperatingSystem": "WINDOWS", **params["BaselineOverride"]}
            from overcast.services.ssm.patching import check_baseline

            check_baseline({k: v for k, v in override.items() if v is not None})
        # Only a managed node asks for its snapshot, and none is registered with Overcast.
        raise _unknown_instance(params["InstanceId"])
