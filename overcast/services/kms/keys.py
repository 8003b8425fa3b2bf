"""KMS key records: what a key holds, how it is shown (KeyMetadata), the policies AWS writes,
and the errors KMS answers about keys.

A key is one row of the `keys` table, keyed by key id:
    {"KeyId", "CreationDate", "Description", "KeyUsage", "KeySpec", "Origin", "KeyManager",
     "KeyState", "MultiRegion", "PrimaryRegion" (multi-Region keys), "DeletionDate",
     "PendingDeletionWindowInDays", "ValidTo", "ExpirationModel", "Policy", "Tags",
     "Materials": [{"Id", "Material", "Created", "Type"}] (oldest first), "Current" (an Id),
     "Rotation": {"Enabled", "PeriodInDays", "Next"}}
"""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.common.arns import build_arn, partition
from overcast.errors import ServiceError
from overcast.services.kms.crypto import SPECS

KEY_ID = re.compile(r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")
AWS_ALIAS_PREFIX = "alias/aws/"

#: The AWS managed keys a service creates in an account on its first use, by alias.
MANAGED_ALIASES: dict[str, str] = {
    f"alias/aws/{service}": description
    for service, description in {
        "acm": "Default key that protects my ACM private keys when no other key is defined",
        "dynamodb": "Default key that protects my DynamoDB data when no other key is defined",
        "ebs": "Default key that protects my EBS volumes when no other key is defined",
        "elasticfilesystem": "Default key that protects my EFS filesystems when no other key is defined",
        "es": "Default key that protects my Elasticsearch data when no other key is defined",
        "glue": "Default key that protects my Glue data when no other key is defined",
        "kinesis": "Default key that protects my Kinesis data when no other key is defined",
        "lambda": "Default key that protects my Lambda functions when no other key is defined",
        "logs": "Default key that protects my CloudWatch Logs when no other key is defined",
        "rds": "Default key that protects my RDS database volumes when no other key is defined",
        "redshift": "Default key that protects my Redshift data when no other key is defined",
        "s3": "Default key that protects my S3 objects when no other key is defined",
        "secretsmanager": "Default key that protects my Secrets Manager data when no other key is defined",
        "sns": "Default key that protects my SNS data when no other key is defined",
        "sqs": "Default key that protects my SQS messages when no other key is defined",
        "ssm": "Default key that protects my SSM parameters when no other key is defined",
        "xray": "Default key that protects my X-Ray data when no other key is defined",
    }.items()
}

#: Operations a key in each state refuses (KMSInvalidStateException), beyond DisabledException.
USABLE_STATES = frozenset({"Enabled"})


def key_arn(region: str, account: str, key_id: str) -> str:
    return build_arn("kms", region, account, f"key/{key_id}")


def alias_arn(region: str, account: str, alias: str) -> str:
    return build_arn("kms", region, account, alias)


def default_policy(account: str, region: str) -> str:
    """The key policy AWS gives a key created without one: the account may do anything
    with it through IAM policies."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition(region)}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


def managed_policy(account: str, region: str, service: str) -> str:
    """The policy of an AWS managed key: use by principals of the account through the
    service, and read-only access for the account."""
    via = f"{service}.{region}.amazonaws.com"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account that are authorized to use {service}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": via}},
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition(region)}:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        },
        indent=2,
    )


def metadata(account: str, region: str, key: dict[str, Any]) -> dict[str, Any]:
    """KeyMetadata as DescribeKey, CreateKey and ReplicateKey return it."""
    spec_name = key["KeySpec"]
    spec = SPECS[spec_name]
    usage = key["KeyUsage"]
    out: dict[str, Any] = {
        "AWSAccountId": account,
        "KeyId": key["KeyId"],
        "Arn": key_arn(region, account, key["KeyId"]),
        "CreationDate": key["CreationDate"],
        "Enabled": key["KeyState"] == "Enabled",
        "Description": key.get("Description", ""),
        "KeyUsage": usage,
        "KeyState": key["KeyState"],
        "Origin": key["Origin"],
        "KeyManager": key["KeyManager"],
        "CustomerMasterKeySpec": spec_name,
        "KeySpec": spec_name,
        "MultiRegion": key.get("MultiRegion", False),
    }
    if usage == "ENCRYPT_DECRYPT":
        out["EncryptionAlgorithms"] = list(spec.encryption)
    elif usage == "SIGN_VERIFY":
        out["SigningAlgorithms"] = list(spec.signing)
    elif usage == "GENERATE_VERIFY_MAC":
        out["MacAlgorithms"] = list(spec.mac)
    elif usage == "KEY_AGREEMENT":
        out["KeyAgreementAlgorithms"] = list(spec.agreement)
    if key.get("DeletionDate") is not None:
        out["DeletionDate"] = key["DeletionDate"]
        if key.get("PendingDeletionWindowInDays"):
            out["PendingDeletionWindowInDays"] = key["PendingDeletionWindowInDays"]
    if key["Origin"] == "EXTERNAL":
        if key.get("ExpirationModel"):
            out["ExpirationModel"] = key["ExpirationModel"]
        if key.get("ValidTo") is not None:
            out["ValidTo"] = key["ValidTo"]
    if key.get("Current") and spec_name == "SYMMETRIC_DEFAULT":
        out["CurrentKeyMaterialId"] = key["Current"]
    if key.get("MultiRegion"):
        out["MultiRegionConfiguration"] = multi_region_configuration(account, key)
    return out


def multi_region_configuration(account: str, key: dict[str, Any]) -> dict[str, Any]:
    primary = key["PrimaryRegion"]
    regions: list[str] = key.get("Regions", [primary])
    return {
        "MultiRegionKeyType": "PRIMARY" if key.get("Region") == primary else "REPLICA",
        "PrimaryKey": {"Arn": key_arn(primary, account, key["KeyId"]), "Region": primary},
        "ReplicaKeys": [
            {"Arn": key_arn(region, account, key["KeyId"]), "Region": region}
            for region in regions
            if region != primary
        ],
    }


def current_material(key: dict[str, Any]) -> dict[str, Any]:
    current = key.get("Current")
    for entry in key.get("Materials", ()):
        if entry["Id"] == current:
            return entry
    raise state_error(key, "")


def material_by_id(key: dict[str, Any], material_hex: str) -> dict[str, Any] | None:
    for entry in key.get("Materials", ()):
        if entry["Id"] == material_hex:
            return entry
    return None


# -- errors ---------------------------------------------------------------------------------------


def not_found(arn: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Key '{arn}' does not exist")


def invalid_key_id(given: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Invalid keyId '{given}'")


def alias_not_found(arn: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Alias {arn} is not found.")


def disabled(arn: str) -> ServiceError:
    return ServiceError("DisabledException", f"{arn} is disabled.")


_STATE_WORDS = {
    "PendingDeletion": "pending deletion",
    "PendingReplicaDeletion": "pending replica deletion",
    "PendingImport": "pending import",
    "Unavailable": "unavailable",
    "Creating": "creating",
    "Updating": "updating",
    "Enabled": "enabled",
    "Disabled": "disabled",
}


def state_error(key: dict[str, Any], arn: str) -> ServiceError:
    return ServiceError(
        "KMSInvalidStateException", f"{arn} is {_STATE_WORDS.get(key['KeyState'], key['KeyState'])}."
    )


def invalid_state(message: str) -> ServiceError:
    return ServiceError("KMSInvalidStateException", message)


def usage_error(arn: str, usage: str, operation: str) -> ServiceError:
    return ServiceError(
        "InvalidKeyUsageException", f"{arn} key usage is {usage} which is not valid for {operation}."
    )
