"""Users, groups and roles, and what the three share: inline policies, attached managed
policies, permissions boundaries and tags (one implementation each, bound per kind below)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast import policy
from overcast.common import jsontext
from overcast.errors import ServiceError
from overcast.services.iam import ids
from overcast.services.iam.base import (
    IamBase,
    already_exists,
    check_path,
    delete_conflict,
    encode_document,
    invalid_input,
    limit_exceeded,
    malformed,
    no_such_entity,
    now,
    parse_document,
    tag_list,
    validation_error,
)
from overcast.services.iam.keys import user_key_conflict

_NAME = re.compile(r"^[\w+=,.@-]+$")


@dataclass(frozen=True)
class Kind:
    name: str  # "user"
    title: str  # "User"
    table: str  # "users"
    inline_limit: int  # characters, whitespace excluded
    managed_limit: int  # attached managed policies


KINDS = {
    "user": Kind("user", "User", "users", 2048, 10),
    "group": Kind("group", "Group", "groups", 5120, 10),
    "role": Kind("role", "Role", "roles", 10240, 10),
}


def check_name(value: str, member: str) -> str:
    if not _NAME.match(value or ""):
        raise validation_error(
            f"The specified value for {member} is invalid. It must contain only alphanumeric characters "
            "and/or the following: +=,.@_-"
        )
    return value


def boundary_shape(record: dict) -> dict | None:
    # The model's enum says PermissionsBoundaryPolicy; AWS answers (and documents) "Policy".
    arn = record.get("PermissionsBoundary")
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn} if arn else None


class EntitiesMixin(IamBase):
    # -- records ---------------------------------------------------------------------------

    def entity(self, kind: str, account: str, name: str | None) -> dict:
        record = self._get(KINDS[kind].table, account, name or "")
        if record is None:
            raise no_such_entity(f"The {kind} with name {name} cannot be found.")
        return record

    def _save(self, kind: str, account: str, record: dict) -> None:
        self._put(KINDS[kind].table, account, record[f"{KINDS[kind].title}Name"], record)

    @staticmethod
    def user_shape(record: dict, full: bool = True) -> dict:
        shape = {k: record[k] for k in ("Path", "UserName", "UserId", "Arn", "CreateDate")}
        if record.get("PasswordLastUsed"):
            shape["PasswordLastUsed"] = record["PasswordLastUsed"]
        if full:
            if record.get("PermissionsBoundary"):
                shape["PermissionsBoundary"] = boundary_shape(record)
            if record.get("Tags"):
                shape["Tags"] = record["Tags"]
        return shape

    @staticmethod
    def group_shape(record: dict) -> dict:
        return {k: record[k] for k in ("Path", "GroupName", "GroupId", "Arn", "CreateDate")}

    @staticmethod
    def role_shape(record: dict, full: bool = True) -> dict:
        shape = {
            k: record[k] for k in ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "MaxSessionDuration")
        }
        shape["AssumeRolePolicyDocument"] = encode_document(record["AssumeRolePolicyDocument"])
        if record.get("Description") is not None:
            shape["Description"] = record["Description"]
        if full:
            if record.get("PermissionsBoundary"):
                shape["PermissionsBoundary"] = boundary_shape(record)
            if record.get("Tags"):
                shape["Tags"] = record["Tags"]
            shape["RoleLastUsed"] = record.get("RoleLastUsed") or {}
        return shape

    def _new(self, context, kind: str, name: str, path: str | None, **fields) -> dict:
        title = KINDS[kind].title
        check_name(name, f"{kind}Name")
        if self._get(KINDS[kind].table, context.account, name) is not None:
            raise already_exists(f"{title} with name {name} already exists.")
        path = check_path(path)
        record = {
            "Path": path,
            f"{title}Name": name,
            f"{title}Id": ids.unique_id(kind),
            "Arn": self.arn(context, context.account, f"{kind}{path}{name}"),
            "CreateDate": now(),
            "Inline": {},
            "Attached": [],
            **fields,
        }
        return record

    # -- users -------------------------------------------------------------------------------

    def create_user(self, context, params):
        boundary = params.get("PermissionsBoundary")
        if boundary:
            self._require_policy(context.account, boundary, boundary=True)
        record = self._new(
            context,
            "user",
            params["UserName"],
            params.get("Path"),
            Tags=tag_list(params.get("Tags")),
            PermissionsBoundary=boundary,
            Groups=[],
            AccessKeys=[],
            LoginProfile=None,
            MFADevices=[],
        )
        self._save("user", context.account, record)
        return {"User": self.user_shape(record)}

    def get_user(self, context, params):
        name = params.get("UserName")
        if not name:
            identity = context.extra.get("identity") or {}
            name = identity.get("UserName")
            if not name:
                if identity.get("Kind") == "session":
                    raise validation_error("Must specify userName when calling with non-User credentials")
                # The account's root user.
                return {
                    "User": {
                        "UserId": context.account,
                        "Arn": self.arn(context, context.account, "root"),
                        "CreateDate": now(),
                        "Path": "/",
                        "UserName": "root",
                    }
                }
        return {"User": self.user_shape(self.entity("user", context.account, name))}

    def list_users(self, context, params):
        prefix = params.get("PathPrefix") or "/"
        users = [
            self.user_shape(u, full=False)
            for u in self._all("users", context.account)
            if u["Path"].startswith(prefix)
        ]
        return self.paginate(users, params, "Users")

    def update_user(self, context, params):
        record = self.entity("user", context.account, params["UserName"])
        new_name = params.get("NewUserName")
        if new_name and new_name.lower() != record["UserName"].lower():
            check_name(new_name, "newUserName")
            if self._get("users", context.account, new_name) is not None:
                raise already_exists(f"User with name {new_name} already exists.")
        with self.store.transaction():
            old = record["UserName"]
            if params.get("NewPath"):
                record["Path"] = check_path(params["NewPath"], "newPath")
            if new_name:
                self._delete("users", context.account, old)
                record["UserName"] = new_name
                for group_name in record["Groups"]:
                    group = self._get("groups", context.account, group_name)
                    if group:
                        group["Users"] = [new_name if u.lower() == old.lower() else u for u in group["Users"]]
                        self._save("group", context.account, group)
                for key_id in record["AccessKeys"]:
                    key = self.tables["credentials"].get("global", key_id)
                    if key:
                        key["UserName"] = new_name
                        self.tables["credentials"].put("global", key_id, key)
            record["Arn"] = self.arn(context, context.account, f"user{record['Path']}{record['UserName']}")
            self._save("user", context.account, record)
        return {}

    def delete_user(self, context, params):
        record = self.entity("user", context.account, params["UserName"])
        if record["Inline"]:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if record["Attached"]:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        if record["AccessKeys"]:
            raise delete_conflict("Cannot delete entity, must delete access keys first.")
        if record["Groups"]:
            raise delete_conflict("Cannot delete entity, must remove users from group first.")
        if record.get("LoginProfile"):
            raise delete_conflict("Cannot delete entity, must delete login profile first.")
        if record.get("MFADevices"):
            raise delete_conflict("Cannot delete entity, must delete MFA device first.")
        if (conflict := user_key_conflict(record)) is not None:
            raise conflict
        self._delete("users", context.account, record["UserName"])
        return {}

    # -- groups ------------------------------------------------------------------------------

    def create_group(self, context, params):
        record = self._new(context, "group", params["GroupName"], params.get("Path"), Users=[])
        self._save("group", context.account, record)
        return {"Group": self.group_shape(record)}

    def get_group(self, context, params):
        group = self.entity("group", context.account, params["GroupName"])
        users = [self._get("users", context.account, name) for name in group["Users"]]
        page = self.paginate([self.user_shape(u, full=False) for u in users if u], params, "Users")
        return {"Group": self.group_shape(group), **page}

    def list_groups(self, context, params):
        prefix = params.get("PathPrefix") or "/"
        groups = [
            self.group_shape(g) for g in self._all("groups", context.account) if g["Path"].startswith(prefix)
        ]
        return self.paginate(groups, params, "Groups")

    def list_groups_for_user(self, context, params):
        user = self.entity("user", context.account, params["UserName"])
        groups = [self._get("groups", context.account, name) for name in user["Groups"]]
        return self.paginate([self.group_shape(g) for g in groups if g], params, "Groups")

    def update_group(self, context, params):
        group = self.entity("group", context.account, params["GroupName"])
        new_name = params.get("NewGroupName")
        if new_name and new_name.lower() != group["GroupName"].lower():
            check_name(new_name, "newGroupName")
            if self._get("groups", context.account, new_name) is not None:
                raise already_exists(f"Group with name {new_name} already exists.")
        with self.store.transaction():
            old = group["GroupName"]
            if params.get("NewPath"):
                group["Path"] = check_path(params["NewPath"], "newPath")
            if new_name:
                self._delete("groups", context.account, old)
                group["GroupName"] = new_name
                for user_name in group["Users"]:
                    user = self._get("users", context.account, user_name)
                    if user:
                        user["Groups"] = [new_name if g.lower() == old.lower() else g for g in user["Groups"]]
                        self._save("user", context.account, user)
                for arn in group["Attached"]:
                    self._move_attachment(context.account, arn, "group", old, new_name)
            group["Arn"] = self.arn(context, context.account, f"group{group['Path']}{group['GroupName']}")
            self._save("group", context.account, group)
        return {}

    def delete_group(self, context, params):
        group = self.entity("group", context.account, params["GroupName"])
        if group["Users"]:
            raise delete_conflict("Cannot delete entity, must remove users from group first.")
        if group["Inline"]:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if group["Attached"]:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        self._delete("groups", context.account, group["GroupName"])
        return {}

    def add_user_to_group(self, context, params):
        group = self.entity("group", context.account, params["GroupName"])
        user = self.entity("user", context.account, params["UserName"])
        if any(g.lower() == group["GroupName"].lower() for g in user["Groups"]):
            return {}
        if len(user["Groups"]) >= 10:
            raise limit_exceeded("Cannot exceed quota for GroupsPerUser: 10")
        with self.store.transaction():
            user["Groups"].append(group["GroupName"])
            group["Users"].append(user["UserName"])
            self._save("user", context.account, user)
            self._save("group", context.account, group)
        return {}

    def remove_user_from_group(self, context, params):
        group = self.entity("group", context.account, params["GroupName"])
        user = self.entity("user", context.account, params["UserName"])
        if not any(g.lower() == group["GroupName"].lower() for g in user["Groups"]):
            raise no_such_entity(f"The user with name {user['UserName']} cannot be found.")
        with self.store.transaction():
            user["Groups"] = [g for g in user["Groups"] if g.lower() != group["GroupName"].lower()]
            group["Users"] = [u for u in group["Users"] if u.lower() != user["UserName"].lower()]
            self._save("user", context.account, user)
            self._save("group", context.account, group)
        return {}

    # -- roles -------------------------------------------------------------------------------

    def _check_trust(self, account: str, document: str) -> None:
        """A trust policy may only name users and roles that exist (AWS checks its own account's
        principals when the policy is saved)."""
        try:
            jsontext.loads(document)
        except ValueError:
            # A trust policy that is not JSON gets its own wording (recorded from AWS).
            raise malformed("This policy contains invalid Json") from None
        parsed = parse_document(document, policy.TRUST, 2048, "ACLSizePerRole")
        for statement in parsed.statements:
            for name in (statement.principals or {}).get("AWS", ()):
                parts = name.split(":", 5)
                if len(parts) != 6 or parts[2] != "iam" or parts[4] != account:
                    continue
                kind, _, rest = parts[5].partition("/")
                if (
                    kind in ("user", "role")
                    and self._get(f"{kind}s", account, rest.rsplit("/", 1)[-1]) is None
                ):
                    raise malformed(f'Invalid principal in policy: "AWS":"{name}"')

    def create_role(self, context, params):
        document = params["AssumeRolePolicyDocument"]
        self._check_trust(context.account, document)
        duration = params.get("MaxSessionDuration") or 3600
        self._check_duration(duration)
        boundary = params.get("PermissionsBoundary")
        if boundary:
            self._require_policy(context.account, boundary, boundary=True)
        record = self._new(
            context,
            "role",
            params["RoleName"],
            params.get("Path"),
            AssumeRolePolicyDocument=document,
            Description=params.get("Description"),
            MaxSessionDuration=duration,
            Tags=tag_list(params.get("Tags")),
            PermissionsBoundary=boundary,
            RoleLastUsed={},
        )
        self._save("role", context.account, record)
        # CreateRole answers without RoleLastUsed, and without MaxSessionDuration unless given.
        shape = self.role_shape(record)
        del shape["RoleLastUsed"]
        if params.get("MaxSessionDuration") is None:
            del shape["MaxSessionDuration"]
        return {"Role": shape}

    @staticmethod
    def _check_duration(duration: int) -> None:
        if not 3600 <= duration <= 43200:
            raise validation_error(
                f"1 validation error detected: Value '{duration}' at 'maxSessionDuration' failed to satisfy "
                "constraint: Member must have value less than or equal to 43200"
                if duration > 43200
                else f"1 validation error detected: Value '{duration}' at 'maxSessionDuration' failed to satisfy "
                "constraint: Member must have value greater than or equal to 3600"
            )

    def get_role(self, context, params):
        return {"Role": self.role_shape(self.entity("role", context.account, params["RoleName"]))}

    def list_roles(self, context, params):
        prefix = params.get("PathPrefix") or "/"
        roles = [
            self.role_shape(r, full=False)
            for r in self._all("roles", context.account)
            if r["Path"].startswith(prefix)
        ]
        return self.paginate(roles, params, "Roles")

    def update_role(self, context, params):
        role = self.entity("role", context.account, params["RoleName"])
        if params.get("MaxSessionDuration") is not None:
            self._check_duration(params["MaxSessionDuration"])
            role["MaxSessionDuration"] = params["MaxSessionDuration"]
        if "Description" in params:
            role["Description"] = params["Description"]
        self._save("role", context.account, role)
        return {}

    def update_role_description(self, context, params):
        role = self.entity("role", context.account, params["RoleName"])
        role["Description"] = params["Description"]
        self._save("role", context.account, role)
        return {"Role": self.role_shape(role)}

    def update_assume_role_policy(self, context, params):
        role = self.entity("role", context.account, params["RoleName"])
        self._check_trust(context.account, params["PolicyDocument"])
        role["AssumeRolePolicyDocument"] = params["PolicyDocument"]
        self._save("role", context.account, role)
        return {}

    def delete_role(self, context, params):
        role = self.entity("role", context.account, params["RoleName"])
        if role.get("ServiceLinked"):
            raise unmodifiable(role["RoleName"])
        if role["Inline"]:
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if role["Attached"]:
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        if role.get("InstanceProfiles"):
            raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
        self._delete("roles", context.account, role["RoleName"])
        return {}

    # -- what users, groups and roles share ------------------------------------------------------

    def _put_inline(self, kind: str, context, params) -> dict:
        k = KINDS[kind]
        record = self.entity(kind, context.account, params[f"{k.title}Name"])
        check_name(params["PolicyName"], "policyName")
        parse_document(
            params["PolicyDocument"],
            policy.IDENTITY,
            k.inline_limit,
            f"{k.title}PolicySize" if kind != "role" else "RolePolicySize",
        )
        record["Inline"][params["PolicyName"]] = params["PolicyDocument"]
        self._save(kind, context.account, record)
        return {}

    def _get_inline(self, kind: str, context, params) -> dict:
        k = KINDS[kind]
        record = self.entity(kind, context.account, params[f"{k.title}Name"])
        name = params["PolicyName"]
        document = record["Inline"].get(name)
        if document is None:
            raise no_such_entity(f"The {kind} policy with name {name} cannot be found.")
        return {
            f"{k.title}Name": record[f"{k.title}Name"],
            "PolicyName": name,
            "PolicyDocument": encode_document(document),
        }

    def _delete_inline(self, kind: str, context, params) -> dict:
        k = KINDS[kind]
        record = self.entity(kind, context.account, params[f"{k.title}Name"])
        name = params["PolicyName"]
        if record["Inline"].pop(name, None) is None:
            raise no_such_entity(f"The {kind} policy with name {name} cannot be found.")
        self._save(kind, context.account, record)
        return {}

    def _list_inline(self, kind: str, context, params) -> dict:
        record = self.entity(kind, context.account, params[f"{KINDS[kind].title}Name"])
        return self.paginate(sorted(record["Inline"]), params, "PolicyNames")

    def _attach(self, kind: str, context, params) -> dict:
        k = KINDS[kind]
        record = self.entity(kind, context.account, params[f"{k.title}Name"])
        arn = params["PolicyArn"]
        self._require_policy(context.account, arn)
        if arn in record["Attached"]:
            return {}
        if len(record["Attached"]) >= k.managed_limit:
            raise limit_exceeded(f"Cannot exceed quota for PoliciesPer{k.title}: {k.managed_limit}")
        with self.store.transaction():
            record["Attached"].append(arn)
            self._save(kind, context.account, record)
            attachments = self._get("attachments", context.account, arn) or {
                "user": [],
                "group": [],
                "role": [],
            }
            attachments[kind].append(record[f"{k.title}Name"])
            self._put("attachments", context.account, arn, attachments)
        return {}

    def _detach(self, kind: str, context, params) -> dict:
        k = KINDS[kind]
        record = self.entity(kind, context.account, params[f"{k.title}Name"])
        arn = params["PolicyArn"]
        if arn not in record["Attached"]:
            raise no_such_entity(f"Policy {arn} was not found.")
        with self.store.transaction():
            record["Attached"].remove(arn)
            self._save(kind, context.account, record)
            self._move_attachment(context.account, arn, kind, record[f"{k.title}Name"], None)
        return {}

    def _move_attachment(self, account: str, arn: str, kind: str, old: str, new: str | None) -> None:
        attachments = self._get("attachments", account, arn)
        if attachments is None:
            return
        names = [n for n in attachments[kind] if n.lower() != old.lower()]
        if new:
            names.append(new)
        attachments[kind] = names
        if any(attachments.values()):
            self._put("attachments", account, arn, attachments)
        else:
            self._delete("attachments", account, arn)

    def attached_policy(self, account: str, arn: str) -> tuple[str, dict]:
        """(path, {PolicyName, PolicyArn}) of a policy attached to an entity. A service-linked
        role's AWS policy may be missing from the catalogue of documents; its ARN still names it
        (arn:aws:iam::aws:policy/<path><name>)."""
        managed = self.managed_policy(account, arn)
        if managed:
            return managed["Path"], {"PolicyName": managed["PolicyName"], "PolicyArn": arn}
        head, _, name = ("/" + arn.split(":policy/", 1)[-1]).rpartition("/")
        return head + "/", {"PolicyName": name, "PolicyArn": arn}

    def _list_attached(self, kind: str, context, params) -> dict:
        record = self.entity(kind, context.account, params[f"{KINDS[kind].title}Name"])
        prefix = params.get("PathPrefix") or "/"
        found = []
        for arn in record["Attached"]:
            path, entry = self.attached_policy(context.account, arn)
            if path.startswith(prefix):
                found.append(entry)
        return self.paginate(found, params, "AttachedPolicies")

    def _put_boundary(self, kind: str, context, params) -> dict:
        record = self.entity(kind, context.account, params[f"{KINDS[kind].title}Name"])
        self._require_policy(context.account, params["PermissionsBoundary"], boundary=True)
        record["PermissionsBoundary"] = params["PermissionsBoundary"]
        self._save(kind, context.account, record)
        return {}

    def _delete_boundary(self, kind: str, context, params) -> dict:
        record = self.entity(kind, context.account, params[f"{KINDS[kind].title}Name"])
        record["PermissionsBoundary"] = None
        self._save(kind, context.account, record)
        return {}

    def _require_policy(self, account: str, arn: str, boundary: bool = False) -> dict:
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            # AWS's wording, two spaces included.
            raise validation_error("Invalid ARN:  Could not be parsed!")
        if parts[2] != "iam":
            raise invalid_input(f"ARN {arn} is not valid.")
        managed = self.managed_policy(account, arn)
        if managed is None:
            if boundary:
                raise (
                    invalid_input(f"ARN {arn} is not valid.")
                    if parts[4] not in ("aws", account)
                    else no_such_entity(f"Scope ARN: {arn} does not exist or is not attachable.")
                )
            raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
        return managed


def unmodifiable(name: str) -> ServiceError:
    return ServiceError(
        "UnmodifiableEntity",
        f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS",
        400,
    )


def _bind(method_name: str, kind: str):
    def handler(self, context, params):
        return getattr(self, method_name)(kind, context, params)

    return handler


for _kind, _k in KINDS.items():
    _t = _k.title
    for _op, _impl in (
        (f"put_{_kind}_policy", "_put_inline"),
        (f"get_{_kind}_policy", "_get_inline"),
        (f"delete_{_kind}_policy", "_delete_inline"),
        (f"list_{_kind}_policies", "_list_inline"),
        (f"attach_{_kind}_policy", "_attach"),
        (f"detach_{_kind}_policy", "_detach"),
        (f"list_attached_{_kind}_policies", "_list_attached"),
    ):
        setattr(EntitiesMixin, _op, _bind(_impl, _kind))
    if _kind != "group":
        for _op, _impl in (
            (f"put_{_kind}_permissions_boundary", "_put_boundary"),
            (f"delete_{_kind}_permissions_boundary", "_delete_boundary"),
        ):
            setattr(EntitiesMixin, _op, _bind(_impl, _kind))
