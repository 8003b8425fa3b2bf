"""Managed policies: customer managed ones (versions, default version) and AWS's catalog."""

from __future__ import annotations

from typing import Any

from overcast import policy
from overcast.services.iam import ids
from overcast.services.iam.base import (
    IamBase,
    already_exists,
    check_path,
    delete_conflict,
    encode_document,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    now,
    parse_document,
    tag_list,
)
from overcast.services.iam.catalog import aws_managed
from overcast.services.iam.entities import check_name

MAX_VERSIONS = 5
POLICY_SIZE = 6144


class PoliciesMixin(IamBase):
    def _policy(self, account: str, arn: str) -> dict:
        record = self.managed_policy(account, arn)
        if record is None:
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn":
                raise invalid_input(f"ARN {arn} is not valid.")
            raise no_such_entity(f"Policy {arn} was not found.")
        return record

    def _customer_policy(self, account: str, arn: str) -> dict:
        record = self._policy(account, arn)
        if record.get("AwsManaged"):
            from overcast.errors import ServiceError

            raise ServiceError("AccessDenied", "Policy is outside your own account.", 403)
        return record

    def _usage(self, account: str, arn: str) -> tuple[int, int]:
        attachments = self._get("attachments", account, arn) or {}
        attached = sum(len(names) for names in attachments.values())
        boundaries = sum(
            1
            for table in ("users", "roles")
            for r in self._all(table, account)
            if r.get("PermissionsBoundary") == arn
        )
        return attached, boundaries

    def policy_shape(self, account: str, record: dict, tags: bool = True) -> dict:
        attached, boundaries = self._usage(account, record["Arn"])
        shape = {
            k: record[k]
            for k in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "CreateDate", "UpdateDate")
        }
        shape.update(AttachmentCount=attached, PermissionsBoundaryUsageCount=boundaries, IsAttachable=True)
        if record.get("Description"):
            shape["Description"] = record["Description"]
        if tags and record.get("Tags"):
            shape["Tags"] = record["Tags"]
        return shape

    def create_policy(self, context, params):
        name = check_name(params["PolicyName"], "policyName")
        path = check_path(params.get("Path"))
        if self._get("policies", context.account, name) is not None:
            raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
        parse_document(params["PolicyDocument"], policy.IDENTITY, POLICY_SIZE)
        created = now()
        record = {
            "PolicyName": name,
            "PolicyId": ids.unique_id("policy"),
            "Arn": self.arn(context, context.account, f"policy{path}{name}"),
            "Path": path,
            "DefaultVersionId": "v1",
            "Description": params.get("Description"),
            "CreateDate": created,
            "UpdateDate": created,
            "Tags": tag_list(params.get("Tags")),
            "Versions": {"v1": {"Document": params["PolicyDocument"], "CreateDate": created}},
            "NextVersion": 2,
        }
        self._put("policies", context.account, name, record)
        # AWS does not echo the Description in CreatePolicy's answer (GetPolicy returns it).
        shape = self.policy_shape(context.account, record)
        shape.pop("Description", None)
        return {"Policy": shape}

    def get_policy(self, context, params):
        record = self._policy(context.account, params["PolicyArn"])
        shape = self.policy_shape(context.account, record)
        if not record.get("AwsManaged"):
            # A customer policy's GetPolicy carries Tags even when there are none.
            shape["Tags"] = record.get("Tags") or []
        return {"Policy": shape}

    def delete_policy(self, context, params):
        record = self._customer_policy(context.account, params["PolicyArn"])
        attached, boundaries = self._usage(context.account, record["Arn"])
        if attached or boundaries:
            raise delete_conflict("Cannot delete a policy attached to entities.")
        if len(record["Versions"]) > 1:
            raise delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the "
                "policy's versions. The default version is deleted with the policy."
            )
        self._delete("policies", context.account, record["PolicyName"])
        return {}

    def list_policies(self, context, params):
        which = params.get("Scope") or "All"
        prefix = params.get("PathPrefix") or "/"
        records = []
        if which in ("All", "AWS"):
            records += sorted(aws_managed().values(), key=lambda r: r["PolicyName"].lower())
        if which in ("All", "Local"):
            records += self._all("policies", context.account)
        shapes = []
        for record in records:
            if not record["Path"].startswith(prefix):
                continue
            shape = self.policy_shape(context.account, record, tags=False)
            shape.pop("Description", None)  # ListPolicies shows a subset: no Description
            if params.get("OnlyAttached") and not shape["AttachmentCount"]:
                continue
            usage = params.get("PolicyUsageFilter")
            if usage == "PermissionsBoundary" and not shape["PermissionsBoundaryUsageCount"]:
                continue
            if usage == "PermissionsPolicy" and not shape["AttachmentCount"]:
                continue
            shapes.append(shape)
        return self.paginate(shapes, params, "Policies")

    def _version_shape(self, record: dict, version: str, document: bool) -> dict:
        if record.get("AwsManaged"):
            shape = {"VersionId": version, "IsDefaultVersion": True, "CreateDate": record["UpdateDate"]}
        else:
            shape = {
                "VersionId": version,
                "IsDefaultVersion": version == record["DefaultVersionId"],
                "CreateDate": record["Versions"][version]["CreateDate"],
            }
        if document:
            shape["Document"] = encode_document(self.document_of(record, version))
        return shape

    def create_policy_version(self, context, params):
        record = self._customer_policy(context.account, params["PolicyArn"])
        if len(record["Versions"]) >= MAX_VERSIONS:
            raise limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete "
                "an existing version."
            )
        parse_document(params["PolicyDocument"], policy.IDENTITY, POLICY_SIZE)
        version = f"v{record['NextVersion']}"
        record["NextVersion"] += 1
        record["Versions"][version] = {"Document": params["PolicyDocument"], "CreateDate": now()}
        if params.get("SetAsDefault"):
            record["DefaultVersionId"] = version
            record["UpdateDate"] = now()
        self._put("policies", context.account, record["PolicyName"], record)
        return {"PolicyVersion": self._version_shape(record, version, False)}

    def get_policy_version(self, context, params):
        record = self._policy(context.account, params["PolicyArn"])
        version = params["VersionId"]
        known = (
            record["DefaultVersionId"] == version
            if record.get("AwsManaged")
            else version in record["Versions"]
        )
        if not known:
            raise no_such_entity(
                f"Policy {params['PolicyArn']} version {version} does not exist or is not attachable."
            )
        return {"PolicyVersion": self._version_shape(record, version, True)}

    def list_policy_versions(self, context, params):
        record = self._policy(context.account, params["PolicyArn"])
        versions = (
            [record["DefaultVersionId"]]
            if record.get("AwsManaged")
            else sorted(record["Versions"], key=lambda v: -int(v[1:]))
        )
        return self.paginate([self._version_shape(record, v, False) for v in versions], params, "Versions")

    def delete_policy_version(self, context, params):
        record = self._customer_policy(context.account, params["PolicyArn"])
        version = params["VersionId"]
        if version not in record["Versions"]:
            raise no_such_entity(
                f"Policy {params['PolicyArn']} version {version} does not exist or is not attachable."
            )
        if version == record["DefaultVersionId"]:
            raise delete_conflict("Cannot delete the default version of a policy.")
        del record["Versions"][version]
        self._put("policies", context.account, record["PolicyName"], record)
        return {}

    def set_default_policy_version(self, context, params):
        record = self._customer_policy(context.account, params["PolicyArn"])
        version = params["VersionId"]
        if version not in record["Versions"]:
            raise no_such_entity(
                f"Policy {params['PolicyArn']} version {version} does not exist or is not attachable."
            )
        record["DefaultVersionId"] = version
        record["UpdateDate"] = now()
        self._put("policies", context.account, record["PolicyName"], record)
        return {}

    def list_entities_for_policy(self, context, params):
        record = self._policy(context.account, params["PolicyArn"])
        arn = record["Arn"]
        wanted = params.get("EntityFilter")
        usage = params.get("PolicyUsageFilter")
        prefix = params.get("PathPrefix") or "/"
        result: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
        for kind, member, table in (
            ("group", "PolicyGroups", "groups"),
            ("user", "PolicyUsers", "users"),
            ("role", "PolicyRoles", "roles"),
        ):
            if wanted and wanted not in ("LocalManagedPolicy", "AWSManagedPolicy") and wanted.lower() != kind:
                continue
            title = kind.capitalize()
            for entity in self._all(table, context.account):
                if not entity["Path"].startswith(prefix):
                    continue
                attached = arn in entity["Attached"] and usage != "PermissionsBoundary"
                bounded = entity.get("PermissionsBoundary") == arn and usage != "PermissionsPolicy"
                if attached or bounded:
                    result[member].append(
                        {f"{title}Name": entity[f"{title}Name"], f"{title}Id": entity[f"{title}Id"]}
                    )
        result["IsTruncated"] = False
        return result
