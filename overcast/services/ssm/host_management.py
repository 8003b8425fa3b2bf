"""Default Host Management Configuration (Register/DeregisterDefaultHostManagementConfiguration):
the role Systems Manager uses to manage EC2 instances without an instance profile, kept where
AWS keeps it, in the service setting /ssm/managed-instance/default-ec2-instance-management-role
(GetServiceSetting reads it back; ResetServiceSetting turns DHMC off as deregistering does).
SERVICE_MANAGED creates the role in IAM's reserved path, as AWS does; SELF_MANAGED names a role
that must exist in the account (asked of IAM's provider)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm.errors import validation
from overcast.services.ssm.settings import DHMC_ROLE

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider as IAMProvider
    from overcast.services.ssm.provider import Provider

#: The role Systems Manager creates for SERVICE_MANAGED, in IAM's reserved path.
SERVICE_ROLE_PATH = "/aws-reserved/ssm.amazonaws.com/"
SERVICE_ROLE_NAME = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
SERVICE_ROLE = SERVICE_ROLE_PATH.strip("/") + "/" + SERVICE_ROLE_NAME
#: Who may assume the role: Systems Manager, on the instances' behalf.
_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


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
            self._create_service_role(context)
        if ":role/" not in role_arn:
            raise validation(f"RoleArn {role_arn} is not the ARN of an IAM role.")
        if model == "SELF_MANAGED":
            self._check_role(context, role_arn)
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

    def _iam(self: Provider) -> IAMProvider | None:  # type: ignore[misc]
        return self.runtime.provider("iam") if self.runtime.config.service_enabled("iam") else None

    def _create_service_role(self: Provider, context: RequestContext) -> None:  # type: ignore[misc]
        iam = self._iam()
        if iam is None:
            return
        internal = RequestContext.internal("iam", context.account, context.region)
        params = {
            "RoleName": SERVICE_ROLE_NAME,
            "Path": SERVICE_ROLE_PATH,
            "AssumeRolePolicyDocument": _TRUST,
        }
        try:
            iam.create_role(internal, params)
        except ServiceError as error:
            if error.code != "EntityAlreadyExists":
                raise

    def _check_role(self: Provider, context: RequestContext, role_arn: str) -> None:  # type: ignore[misc]
        """A self-managed role must be a role of this account that exists."""
        parts = role_arn.split(":")
        if len(parts) < 6 or parts[4] != context.account:
            raise validation(f"RoleArn {role_arn} is not a role of account {context.account}.")
        iam = self._iam()
        if iam is None:
            return
        internal = RequestContext.internal("iam", context.account, context.region)
        try:
            iam.get_role(internal, {"RoleName": role_arn.rsplit("/", 1)[-1]})
        except ServiceError as error:
            if error.code == "NoSuchEntity":
                raise validation(f"The role {role_arn} does not exist.") from None
            raise
