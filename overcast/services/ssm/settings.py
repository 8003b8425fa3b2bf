"""Service settings (GetServiceSetting, UpdateServiceSetting, ResetServiceSetting): the
account's Parameter Store settings, with AWS's defaults and the values each accepts, and the
Default Host Management Configuration role (set by RegisterDefaultHostManagementConfiguration)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import errors

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_PREFIX = "/ssm/parameter-store/"
#: Setting (under _PREFIX) → (AWS's default, the values it accepts).
#: The setting Default Host Management Configuration keeps its role in (the role's name, with
#: its path); settings outside _PREFIX are stored under their whole path.
DHMC_ROLE = "/ssm/managed-instance/default-ec2-instance-management-role"
#: Setting (under _PREFIX, or a whole path) → (AWS's default, the values it accepts; none: any).
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "high-throughput-enabled": ("false", ("true", "false")),
    "default-parameter-tier": ("Standard", ("Standard", "Advanced", "Intelligent-Tiering")),
    DHMC_ROLE: ("$None", ()),
}


def _setting_name(setting_id: str) -> str | None:
    """The setting a SettingId (its path, or its ARN) names, or None when there is no such setting."""
    path = setting_id.split(":servicesetting", 1)[1] if ":servicesetting" in setting_id else setting_id
    if path.startswith(_PREFIX) and path[len(_PREFIX) :] in SETTINGS:
        return path[len(_PREFIX) :]
    return path if path.startswith("/") and path in SETTINGS else None


def _not_found(setting_id: str) -> ServiceError:
    return ServiceError("ServiceSettingNotFound", f"ServiceSetting {setting_id} does not exist.")


class SettingsMixin:
    def _setting_value(self: Provider, context: RequestContext, name: str) -> str:  # type: ignore[misc]
        stored = self.settings.get(self._scope(context), name)
        return stored["SettingValue"] if stored else SETTINGS[name][0]

    def _setting(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        path = name if name.startswith("/") else _PREFIX + name
        stored = self.settings.get(self._scope(context), name)
        out = {
            "SettingId": path,
            "SettingValue": SETTINGS[name][0],
            "LastModifiedDate": 0.0,
            "LastModifiedUser": "System",
            "ARN": build_arn("ssm", context.region, context.account, "servicesetting" + path),
            "Status": "Default",
        }
        if stored:
            out.update(stored)
            out["Status"] = "Customized"
        return out

    def _named(self, params: dict) -> str:
        name = _setting_name(params["SettingId"])
        if name is None:
            raise _not_found(params["SettingId"])
        return name

    def get_service_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"ServiceSetting": self._setting(context, self._named(params))}

    def update_service_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._named(params)
        value = params["SettingValue"]
        if SETTINGS[name][1] and value not in SETTINGS[name][1]:
            raise errors.validation(
                f"The value {value} is not valid for the service setting {_PREFIX + name}. "
                f"Valid values: [{', '.join(SETTINGS[name][1])}]."
            )
        with self.store.transaction():
            self.settings.put(
                self._scope(context),
                name,
                {
                    "SettingValue": value,
                    "LastModifiedDate": time.time(),
                    "LastModifiedUser": context.principal_arn,
                },
            )
        return {}

    def reset_service_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._named(params)
        with self.store.transaction():
            self.settings.delete(self._scope(context), name)
        return {"ServiceSetting": self._setting(context, name)}
