"""Default Host Management Configuration (Register/DeregisterDefaultHostManagementConfiguration):
the role Systems Manager uses to manage EC2 instances without an instance profile, kept where
AWS keeps it, in the service setting /ssm/managed-instance/default-ec2-instance-management-role
(GetServiceSetting reads it back; ResetServiceSetting turns DHMC off as deregistering does)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.services.ssm.errors import validation
from overcast.services.ssm.settings import DHMC_ROLE

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: The role Systems Manager creates for SERVICE_MANAGED, in IAM's reserved path.
SERVICE_ROLE = "aws-reserved/ssm.amazonaws.com/AWSSystemsManagerDefaultEC2InstanceManagementRole"


class HostManagementMixin:
    def register_default_host_management_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        model, role_arn = params["PermissionModel"], params.get("RoleArn")
        if model == "SELF_MANAGED" and not role_arn:
            raise validation("RoleArn is required when PermissionModel is SELF_MANAGED.")
        if model == "SERVICE_MANAGED" and role_arn:
            raise validation("RoleArn must not be set when PermissionModel is SERVICE_MANAGED.")
        if role_arn is None:
            role_arn = f"arn:{partition(context.region)}:iam::{context.account}:role/{SERVICE_ROLE}"
        if ":role/" not in role_arn:
            raise validation(f"RoleArn {role_arn} is not the ARN of an IAM role.")
        # The setting holds the role's name with its path, as UpdateServiceSetting takes it.
        role_name = role_arn.split(":role/", 1)[1]
        where = self._scope(context)
        with self.store.transaction():
            current = self.settings.get(where, DHMC_ROLE)
            if current and current["SettingValue"] != role_name and not params.get("Overwrite"):
                raise validation(
                    "A role is already registered for Default Host Management Configuration. "
                    "Set Overwrite to replace it."
                )
            self.settings.put(
                where,
                DHMC_ROLE,
                {
                    "SettingValue": role_name,
                    "LastModifiedDate": time.time(),
                    "LastModifiedUser": context.principal_arn,
                },
            )
        return {"RoleArn": role_arn}

    def deregister_default_host_management_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        with self.store.transaction():
            self.settings.delete(self._scope(context), DHMC_ROLE)
        return {}
