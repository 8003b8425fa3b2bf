"""Patching as data: the operating systems' predefined baselines (names and rules as AWS's
documentation of predefined baselines gives them), the filter keys and property values each
operating system has, and the shapes of the patch ids a baseline may approve or reject."""

from __future__ import annotations

import hashlib
import re
from typing import Any

#: AWS's account that owns the predefined baselines in an ARN.
AWS_OWNER = "075727635805"

_SECURITY_7_DAYS = ("CLASSIFICATION", ("Security",)), ("SEVERITY", ("Critical", "Important"))
_BUGFIX_7_DAYS = (("CLASSIFICATION", ("Bugfix",)),)
_PRIORITIES = (("PRIORITY", ("Required", "Important", "Standard", "Optional", "Extra")),)


def _rule(
    filters: tuple[tuple[str, tuple[str, ...]], ...], days: int | None, non_security: bool = False
) -> dict:
    rule: dict[str, Any] = {
        "PatchFilterGroup": {"PatchFilters": [{"Key": k, "Values": list(v)} for k, v in filters]},
        "ComplianceLevel": "UNSPECIFIED",
        "EnableNonSecurity": non_security,
    }
    if days is not None:
        rule["ApproveAfterDays"] = days
    return rule


_PRODUCT_ALL = ("PRODUCT", ("*",))
#: Operating system → (predefined default baseline's name, description, approval rules).
PREDEFINED: dict[str, tuple[str, str, list[dict]]] = {
    "WINDOWS": (
        "AWS-DefaultPatchBaseline",
        "Default Patch Baseline Provided by AWS.",
        [
            _rule(
                (
                    ("PRODUCT", ("*",)),
                    ("CLASSIFICATION", ("CriticalUpdates", "SecurityUpdates")),
                    ("MSRC_SEVERITY", ("Critical", "Important")),
                ),
                7,
            )
        ],
    ),
    "AMAZON_LINUX": (
        "AWS-AmazonLinuxDefaultPatchBaseline",
        "Default Patch Baseline for Amazon Linux Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "AMAZON_LINUX_2": (
        "AWS-AmazonLinux2DefaultPatchBaseline",
        "Baseline containing all Security and Bugfix updates approved for Amazon Linux 2 instances",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "AMAZON_LINUX_2022": (
        "AWS-AmazonLinux2022DefaultPatchBaseline",
        "Default Patch Baseline for Amazon Linux 2022 Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "AMAZON_LINUX_2023": (
        "AWS-AmazonLinux2023DefaultPatchBaseline",
        "Default Patch Baseline for Amazon Linux 2023 Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "UBUNTU": (
        "AWS-UbuntuDefaultPatchBaseline",
        "Default Patch Baseline for Ubuntu Provided by AWS.",
        [_rule((("PRODUCT", ("*",)), *_PRIORITIES, ("SECTION", ("*",))), None, True)],
    ),
    "REDHAT_ENTERPRISE_LINUX": (
        "AWS-RedHatDefaultPatchBaseline",
        "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "SUSE": (
        "AWS-SuseDefaultPatchBaseline",
        "Default Patch Baseline for Suse Provided by AWS.",
        [
            _rule(
                (
                    _PRODUCT_ALL,
                    ("CLASSIFICATION", ("Security", "Recommended")),
                    ("SEVERITY", ("Critical", "Important")),
                ),
                7,
            )
        ],
    ),
    "CENTOS": (
        "AWS-CentOSDefaultPatchBaseline",
        "Default Patch Baseline for CentOS Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "ORACLE_LINUX": (
        "AWS-OracleLinuxDefaultPatchBaseline",
        "Default Patch Baseline for Oracle Linux Server Provided by AWS.",
        [
            _rule(
                (_PRODUCT_ALL, ("CLASSIFICATION", ("Security",)), ("SEVERITY", ("Important", "Moderate"))), 7
            ),
            _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7),
        ],
    ),
    "DEBIAN": (
        "AWS-DebianDefaultPatchBaseline",
        "Default Patch Baseline for Debian Provided by AWS.",
        [_rule((("PRODUCT", ("*",)), ("PRIORITY", ("Required", "Important")), ("SECTION", ("*",))), None)],
    ),
    "MACOS": (
        "AWS-MacOSDefaultPatchBaseline",
        "Default Patch Baseline for MacOS Provided by AWS.",
        [_rule((("PRODUCT", ("*",)), ("CLASSIFICATION", ("*",))), 0)],
    ),
    "RASPBIAN": (
        "AWS-RaspbianDefaultPatchBaseline",
        "Default Patch Baseline for Raspbian Provided by AWS.",
        [_rule((("PRODUCT", ("*",)), ("PRIORITY", ("Required", "Important")), ("SECTION", ("*",))), None)],
    ),
    "ROCKY_LINUX": (
        "AWS-RockyLinuxDefaultPatchBaseline",
        "Default Patch Baseline for Rocky Linux Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
    "ALMA_LINUX": (
        "AWS-AlmaLinuxDefaultPatchBaseline",
        "Default Patch Baseline for Alma Linux Provided by AWS.",
        [_rule((_PRODUCT_ALL, *_SECURITY_7_DAYS), 7), _rule((_PRODUCT_ALL, *_BUGFIX_7_DAYS), 7)],
    ),
}

_YUM_KEYS = frozenset({"PRODUCT", "CLASSIFICATION", "SEVERITY", "ADVISORY_ID", "ARCH", "BUGZILLA_ID", "CVE_ID",
                       "EPOCH", "NAME", "RELEASE", "REPOSITORY", "SECURITY", "VERSION"})  # fmt: skip
_APT_KEYS = frozenset({"PRODUCT", "PRIORITY", "SECTION", "NAME"})
#: Operating system → the patch filter keys its baselines accept.
FILTER_KEYS: dict[str, frozenset[str]] = {
    "WINDOWS": frozenset(
        {"PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY", "PATCH_ID"}
    ),
    "UBUNTU": _APT_KEYS,
    "DEBIAN": _APT_KEYS,
    "RASPBIAN": _APT_KEYS,
    "MACOS": frozenset({"PRODUCT", "CLASSIFICATION"}),
    "SUSE": frozenset(
        {"PRODUCT", "CLASSIFICATION", "SEVERITY", "NAME", "VERSION", "RELEASE", "ARCH", "EPOCH"}
    ),
}
#: The operating systems whose approval rules may not wait for a release date: their
#: repositories publish none (AWS's documentation of approval rules).
NO_RELEASE_DATES = frozenset({"UBUNTU", "DEBIAN", "RASPBIAN"})

_WINDOWS_PATCH = re.compile(r"^(KB\d{5,8}|MS\d{2}-\d{3})$", re.IGNORECASE)
#: A package name, a NEVRA, or either with wildcards, as Linux and macOS baselines list them.
_PACKAGE_PATCH = re.compile(r"^[A-Za-z0-9_.+*?:~\-]+$")

#: (operating system or "*", property) → the values DescribePatchProperties lists.
PROPERTIES: dict[tuple[str, str], list[dict[str, str]]] = {
    ("WINDOWS", "CLASSIFICATION"): [{"Name": n} for n in (
        "CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates", "ServicePacks",
        "Tools", "UpdateRollups", "Updates", "Upgrades")],
    ("WINDOWS", "MSRC_SEVERITY"): [{"Name": n} for n in ("Critical", "Important", "Low", "Moderate", "Unspecified")],
    ("WINDOWS", "PRODUCT_FAMILY"): [{"Name": n} for n in ("Office", "Windows")],
    ("WINDOWS", "PRODUCT"): [{"Name": n, "ProductFamily": "Windows"} for n in (
        "Windows10", "Windows11", "WindowsServer2012", "WindowsServer2012R2", "WindowsServer2016",
        "WindowsServer2019", "WindowsServer2022", "WindowsServer2025")],
    ("AMAZON_LINUX", "PRODUCT"): [{"Name": f"AmazonLinux{year}.{month}"} for year in range(2012, 2019)
                                  for month in ("03", "09") if (year, month) != (2018, "09")],
    ("AMAZON_LINUX_2023", "PRODUCT"): [{"Name": n} for n in ("AmazonLinux2023", "*")],
    ("AMAZON_LINUX_2", "PRODUCT"): [{"Name": n} for n in ("AmazonLinux2", "AmazonLinux2.0", "*")],
    ("UBUNTU", "PRODUCT"): [{"Name": n} for n in ("Ubuntu16.04", "Ubuntu18.04", "Ubuntu20.04", "Ubuntu22.04",
                                                 "Ubuntu24.04", "*")],
    ("UBUNTU", "PRIORITY"): [{"Name": n} for n in ("Required", "Important", "Standard", "Optional", "Extra")],
    ("DEBIAN", "PRIORITY"): [{"Name": n} for n in ("Required", "Important", "Standard", "Optional", "Extra")],
    ("*", "CLASSIFICATION"): [{"Name": n} for n in ("Security", "Bugfix", "Enhancement", "Recommended",
                                                   "Newpackage")],
    ("*", "SEVERITY"): [{"Name": n} for n in ("Critical", "Important", "Medium", "Low", "None")],
    ("SUSE", "CLASSIFICATION"): [{"Name": n} for n in ("Security", "Recommended", "Optional", "Feature",
                                                      "Document", "Yast")],
    ("SUSE", "SEVERITY"): [{"Name": n} for n in ("Critical", "Important", "Moderate", "Low")],
}  # fmt: skip


def predefined_id(region: str, operating_system: str) -> str:
    """The id of an operating system's predefined baseline in a Region: stable for both."""
    return "pb-" + hashlib.sha256(f"{region}/{operating_system}".encode()).hexdigest()[:17]


def predefined_arn(partition: str, region: str, operating_system: str) -> str:
    return f"arn:{partition}:ssm:{region}:{AWS_OWNER}:patchbaseline/{predefined_id(region, operating_system)}"


def valid_patch_id(operating_system: str, patch: str) -> bool:
    if operating_system == "WINDOWS":
        return bool(_WINDOWS_PATCH.match(patch))
    return bool(_PACKAGE_PATCH.match(patch))


def filter_keys(operating_system: str) -> frozenset[str]:
    return FILTER_KEYS.get(operating_system, _YUM_KEYS)


def properties(operating_system: str, prop: str) -> list[dict[str, str]]:
    found = PROPERTIES.get((operating_system, prop))
    if found is None and operating_system != "WINDOWS":
        found = PROPERTIES.get(("*", prop))
    return list(found or [])
