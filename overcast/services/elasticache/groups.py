"""Parameter groups (defaults per family; changes applied to running Redis nodes with CONFIG SET,
static ones at the next reboot), subnet groups, cache security groups, and RBAC: users and user
groups, which become ACL users on the engines of the replication groups and serverless caches
that use them (ACL SETUSER)."""

from __future__ import annotations

import re
import ssl
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.elasticache import catalog
from overcast.services.elasticache.engines import ADMIN_USER, REDIS_CONFIG, REDIS_STATIC, RespError, admin

if TYPE_CHECKING:
    #: What the provider's parts derive from: to the type checker, the whole provider.
    _Base = Any
else:
    _Base = object

_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,254}$")
_USER_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")
DEFAULT_USER = {
    "UserId": "default",
    "UserName": "default",
    "Status": "active",
    "Engine": "redis",
    "MinimumEngineVersion": "6.0",
    "AccessString": "on ~* +@all",
    "UserGroupIds": [],
    "Authentication": {"Type": "no-password"},
}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


class GroupMixin(_Base):
    # -- parameter groups ---------------------------------------------------------------------------

    def parameter_group_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.parameter_groups.get(scope, name.lower())
        if row is None and name.startswith("default."):
            fam = name[len("default.") :]
            if catalog.family_engine(fam.removesuffix(".cluster.on")) is not None:
                return self._default_group(scope, fam)
        if row is None:
            raise ServiceError("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.", 404)
        return row

    def _default_group(self, scope: str, fam: str) -> dict[str, Any]:
        name = f"default.{fam}"
        return {
            "desc": {
                "CacheParameterGroupName": name,
                "CacheParameterGroupFamily": fam.removesuffix(".cluster.on"),
                "Description": f"Default parameter group for {fam}",
                "IsGlobal": False,
                "ARN": self.arn(scope, "parametergroup", name),
            },
            "values": {},
            "tags": {},
        }

    def parameter_group_for(self, scope: str, name: str | None, fam: str) -> str:
        if not name:
            return catalog.default_group(fam)
        row = self.parameter_group_row(scope, name)
        if row["desc"]["CacheParameterGroupFamily"] != fam:
            raise combination(
                f"The parameter group family {row['desc']['CacheParameterGroupFamily']} of {name} does not"
                f" match the engine version's family {fam}."
            )
        return str(row["desc"]["CacheParameterGroupName"])

    def engine_parameters(self, scope: str, name: str) -> dict[str, str]:
        """What a node of the group runs with: the family's defaults, then the group's values."""
        row = self.parameter_group_row(scope, name)
        values = {
            p["ParameterName"]: p["ParameterValue"]
            for p in catalog.default_parameters(row["desc"]["CacheParameterGroupFamily"])
            if p["ParameterName"] in REDIS_CONFIG and p["ParameterName"] != "maxclients"
        }
        values.update(row["values"])
        return values

    def group_values(self, scope: str, name: str) -> dict[str, str]:
        """The group's parameters set by its owner (a default group has none)."""
        row = self.parameter_groups.get(scope, name.lower())
        return dict(row["values"]) if row is not None else {}

    def create_cache_parameter_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheParameterGroupName"]
        fam = params["CacheParameterGroupFamily"]
        if not _NAME.match(name) or name.endswith("-") or "--" in name:
            raise invalid(f"Invalid parameter group name: {name}")
        if name.lower().startswith("default."):
            raise invalid("Parameter group name cannot start with 'default.'.")
        if catalog.family_engine(fam) is None:
            raise ServiceError(
                "InvalidParameterValue", f"The parameter CacheParameterGroupFamily is invalid: {fam}"
            )
        with self.store.transaction():
            if self.parameter_groups.get(scope, name.lower()) is not None:
                raise ServiceError(
                    "CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists."
                )
            desc = {
                "CacheParameterGroupName": name.lower(),
                "CacheParameterGroupFamily": fam,
                "Description": params["Description"],
                "IsGlobal": False,
                "ARN": self.arn(context, "parametergroup", name.lower()),
            }
            self.parameter_groups.put(
                scope, name.lower(), {"desc": desc, "values": {}, "tags": self.tags_from(params)}
            )
        return {"CacheParameterGroup": desc}

    def describe_cache_parameter_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("CacheParameterGroupName"):
            rows = [self.parameter_group_row(scope, params["CacheParameterGroupName"])]
        else:
            defaults = [
                self._default_group(scope, fam)
                for fam in sorted({f for v in catalog.VERSIONS.values() for _, f in v})
            ]
            rows = defaults + [row for _, row in self.parameter_groups.scan(scope)]
        return self.page("DescribeCacheParameterGroups", params, [r["desc"] for r in rows])

    def _parameters(self, fam: str, values: dict[str, str], source: str | None) -> list[dict[str, Any]]:
        found = []
        for param in catalog.default_parameters(fam):
            if param["ParameterName"] in values:
                param["ParameterValue"] = values[param["ParameterName"]]
                param["Source"] = "user"
            if source and param["Source"] != source:
                continue
            found.append(param)
        return found

    def describe_cache_parameters(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        row = self.parameter_group_row(scope, params["CacheParameterGroupName"])
        found = self._parameters(
            row["desc"]["CacheParameterGroupFamily"], row["values"], params.get("Source")
        )
        return self.page("DescribeCacheParameters", params, found)

    def describe_engine_default_parameters(self, context: RequestContext, params: dict) -> dict:
        fam = params["CacheParameterGroupFamily"]
        if catalog.family_engine(fam) is None:
            raise invalid(f"The parameter CacheParameterGroupFamily is invalid: {fam}")
        return {
            "EngineDefaults": {
                "CacheParameterGroupFamily": fam,
                "Parameters": catalog.default_parameters(fam),
            }
        }

    def modify_cache_parameter_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheParameterGroupName"].lower()
        if name.startswith("default."):
            raise invalid(f"Default parameter groups cannot be modified: {name}")
        given = params.get("ParameterNameValues") or []
        if not given:
            raise invalid("At least one parameter must be provided.")
        with self.store.transaction():
            row = self.parameter_group_row(scope, name)
            known = {
                p["ParameterName"]: p
                for p in catalog.default_parameters(row["desc"]["CacheParameterGroupFamily"])
            }
            for item in given:
                pname, value = item.get("ParameterName"), item.get("ParameterValue")
                if pname not in known:
                    raise invalid(f"Parameter {pname} does not exist in the parameter group family.")
                if not known[pname]["IsModifiable"]:
                    raise invalid(f"Parameter {pname} is not modifiable.")
                self._check_value(known[pname], value)
                row["values"][pname] = value or ""
            self.parameter_groups.put(scope, name, row)
        self._apply_group_everywhere(scope, name, [i["ParameterName"] for i in given])
        return {"CacheParameterGroupName": name}

    @staticmethod
    def _check_value(param: dict[str, Any], value: str | None) -> None:
        allowed = param.get("AllowedValues") or ""
        if value is None:
            raise invalid(f"A value is required for parameter {param['ParameterName']}.")
        if param["DataType"] == "integer":
            try:
                number = int(value)
            except ValueError:
                raise invalid(
                    f"Value {value} for parameter {param['ParameterName']} is not an integer."
                ) from None
            match = re.fullmatch(r"(-?\d+)-(\d+)?", allowed)
            if match and (number < int(match.group(1)) or (match.group(2) and number > int(match.group(2)))):
                raise invalid(
                    f"Value {value} for parameter {param['ParameterName']} is out of range {allowed}."
                )
        elif allowed and "," in allowed and value not in allowed.split(","):
            raise invalid(f"Value {value} for parameter {param['ParameterName']} is not one of {allowed}.")

    def reset_cache_parameter_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheParameterGroupName"].lower()
        entries = params.get("ParameterNameValues") or []
        if any(not p.get("ParameterName") for p in entries):
            raise invalid("The parameter ParameterName must be provided and must not be blank.")
        given = [p["ParameterName"] for p in entries]
        if bool(params.get("ResetAllParameters")) == bool(given):
            raise combination("Either ResetAllParameters or ParameterNameValues must be provided, not both.")
        with self.store.transaction():
            row = self.parameter_group_row(scope, name)
            names = list(row["values"]) if params.get("ResetAllParameters") else given
            for pname in names:
                row["values"].pop(pname, None)
            self.parameter_groups.put(scope, name, row)
        self._apply_group_everywhere(scope, name, names)
        return {"CacheParameterGroupName": name}

    def delete_cache_parameter_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheParameterGroupName"].lower()
        if name.startswith("default."):
            raise ServiceError(
                "InvalidCacheParameterGroupState", "Default parameter groups cannot be deleted."
            )
        self.parameter_group_row(scope, name)
        for _, row in self.clusters.scan(scope):
            if row["desc"]["CacheParameterGroup"]["CacheParameterGroupName"] == name:
                raise ServiceError(
                    "InvalidCacheParameterGroupState",
                    f"Parameter group {name} is in use by cache cluster {row['desc']['CacheClusterId']}.",
                )
        with self.store.transaction():
            self.parameter_groups.delete(scope, name)
        return {}

    def _apply_group_everywhere(self, scope: str, name: str, names: list[str]) -> None:
        for cluster_id, row in self.clusters.scan(scope):
            if row["desc"]["CacheParameterGroup"]["CacheParameterGroupName"] != name:
                continue
            if row["desc"]["Engine"] == "memcached" or any(
                n in REDIS_STATIC or n not in REDIS_CONFIG for n in names
            ):
                if any(n in REDIS_STATIC or row["desc"]["Engine"] == "memcached" for n in names):
                    self.set_cluster(
                        scope, cluster_id,
                        CacheParameterGroup=dict(
                            row["desc"]["CacheParameterGroup"], ParameterApplyStatus="pending-reboot",
                            CacheNodeIdsToReboot=[n["id"] for n in row["nodes"]],
                        ),
                    )  # fmt: skip
            if row["desc"]["CacheClusterStatus"] in ("available", "modifying", "snapshotting"):
                self.apply_parameters_to_cluster(scope, cluster_id, names)

    def apply_parameters_to_cluster(
        self, scope: str, cluster_id: str, names: list[str] | None = None
    ) -> None:
        """The cluster's parameter group's dynamic parameters, set on its running Redis nodes."""
        row = self.cluster_row(scope, cluster_id)
        if row["desc"]["Engine"] == "memcached":
            return
        group = row["desc"]["CacheParameterGroup"]["CacheParameterGroupName"]
        values = self.group_values(scope, group)
        defaults = {p["ParameterName"]: p["ParameterValue"] for p in catalog.default_parameters("redis7")}
        for pname in names if names is not None else list(REDIS_CONFIG):
            if pname not in REDIS_CONFIG or pname in REDIS_STATIC:
                continue
            value = values.get(pname, defaults.get(pname))
            if value is None:
                continue
            for index in range(len(row["nodes"])):
                try:
                    self.admin_call(
                        scope, cluster_id, "CONFIG", "SET", REDIS_CONFIG[pname], value, node_index=index
                    )
                except RespError as error:
                    self.record_event(
                        scope, "cache-cluster", cluster_id, f"Parameter {pname} not applied: {error}"
                    )

    # -- subnet groups ------------------------------------------------------------------------------

    def subnet_group_for(self, scope: str, name: str | None) -> str | None:
        if not name:
            return None
        if name.lower() == "default":
            return "default"
        return str(self.subnet_group_row(scope, name)["desc"]["CacheSubnetGroupName"])

    def subnet_group_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.subnet_groups.get(scope, name.lower())
        if row is None:
            raise ServiceError("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {name} not found.", 404)
        return row

    def _subnets(self, scope: str, subnet_ids: list[str]) -> tuple[str, list[dict[str, Any]]]:
        if not subnet_ids:
            raise invalid("The parameter SubnetIds must be provided and must not be blank.")
        region = scope.partition("/")[2]
        found = []
        vpc = ""
        ec2 = self._ec2_subnets(scope, subnet_ids)
        for index, subnet in enumerate(subnet_ids):
            if not subnet.startswith("subnet-"):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet}' is not valid")
            info = ec2.get(subnet)
            if ec2 and info is None:
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet}' does not exist")
            zone = info["AvailabilityZone"] if info else region + "abcdef"[index % 6]
            if info:
                if vpc and info["VpcId"] != vpc:
                    raise ServiceError("InvalidSubnet", "All subnets must belong to the same VPC.")
                vpc = info["VpcId"]
            found.append(
                {
                    "SubnetIdentifier": subnet,
                    "SubnetAvailabilityZone": {"Name": zone},
                    "SupportedNetworkTypes": ["ipv4"],
                }
            )
        return vpc, found

    def _ec2_subnets(self, scope: str, subnet_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The subnets EC2 knows, where EC2 answers (its own DescribeSubnets)."""
        try:
            account, _, region = scope.partition("/")
            provider: Any = self.runtime.provider("ec2")
            context = RequestContext.internal("ec2", account, region)
            answer = provider.describe_subnets(context, {})
        except Exception:
            return {}
        known = {s["SubnetId"]: s for s in answer.get("Subnets", [])}
        return known if any(s in known for s in subnet_ids) or known else {}

    def create_cache_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSubnetGroupName"].lower()
        if not _NAME.match(name) or len(name) > 255:
            raise invalid(f"Invalid subnet group name: {name}")
        if name == "default":
            raise invalid("The subnet group name default is reserved.")
        vpc, subnets = self._subnets(scope, params.get("SubnetIds") or [])
        with self.store.transaction():
            if self.subnet_groups.get(scope, name) is not None:
                raise ServiceError(
                    "CacheSubnetGroupAlreadyExists", f"Cache subnet group {name} already exists."
                )
            desc = {
                "CacheSubnetGroupName": name,
                "CacheSubnetGroupDescription": params["CacheSubnetGroupDescription"],
                "VpcId": vpc,
                "Subnets": subnets,
                "ARN": self.arn(context, "subnetgroup", name),
                "SupportedNetworkTypes": ["ipv4"],
            }
            self.subnet_groups.put(scope, name, {"desc": desc, "tags": self.tags_from(params)})
        return {"CacheSubnetGroup": desc}

    def describe_cache_subnet_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("CacheSubnetGroupName"):
            rows = [self.subnet_group_row(scope, params["CacheSubnetGroupName"])]
        else:
            rows = [row for _, row in self.subnet_groups.scan(scope)]
        return self.page("DescribeCacheSubnetGroups", params, [r["desc"] for r in rows])

    def modify_cache_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSubnetGroupName"].lower()
        with self.store.transaction():
            row = self.subnet_group_row(scope, name)
            if params.get("CacheSubnetGroupDescription") is not None:
                row["desc"]["CacheSubnetGroupDescription"] = params["CacheSubnetGroupDescription"]
            if params.get("SubnetIds"):
                row["desc"]["VpcId"], row["desc"]["Subnets"] = self._subnets(scope, params["SubnetIds"])
            self.subnet_groups.put(scope, name, row)
        return {"CacheSubnetGroup": row["desc"]}

    def delete_cache_subnet_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSubnetGroupName"].lower()
        self.subnet_group_row(scope, name)
        for _, row in self.clusters.scan(scope):
            if row["desc"].get("CacheSubnetGroupName") == name:
                raise ServiceError("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use.")
        with self.store.transaction():
            self.subnet_groups.delete(scope, name)
        return {}

    # -- cache security groups ----------------------------------------------------------------------

    def security_group_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.security_groups.get(scope, name.lower())
        if row is None:
            raise ServiceError("CacheSecurityGroupNotFound", f"CacheSecurityGroup {name} not found.", 404)
        return row

    def create_cache_security_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSecurityGroupName"].lower()
        if name == "default":
            raise invalid("The cache security group name default is reserved.")
        with self.store.transaction():
            if self.security_groups.get(scope, name) is not None:
                raise ServiceError(
                    "CacheSecurityGroupAlreadyExists", f"Cache security group {name} already exists."
                )
            desc = {
                "OwnerId": context.account,
                "CacheSecurityGroupName": name,
                "Description": params["Description"],
                "EC2SecurityGroups": [],
                "ARN": self.arn(context, "securitygroup", name),
            }
            self.security_groups.put(scope, name, {"desc": desc, "tags": self.tags_from(params)})
        return {"CacheSecurityGroup": desc}

    def describe_cache_security_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("CacheSecurityGroupName"):
            rows = [self.security_group_row(scope, params["CacheSecurityGroupName"])]
        else:
            rows = [row for _, row in self.security_groups.scan(scope)]
        return self.page("DescribeCacheSecurityGroups", params, [r["desc"] for r in rows])

    def delete_cache_security_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSecurityGroupName"].lower()
        self.security_group_row(scope, name)
        for _, row in self.clusters.scan(scope):
            if any(g["CacheSecurityGroupName"] == name for g in row["desc"].get("CacheSecurityGroups", [])):
                raise ServiceError(
                    "InvalidCacheSecurityGroupState", f"Cache security group {name} is in use."
                )
        with self.store.transaction():
            self.security_groups.delete(scope, name)
        return {}

    def authorize_cache_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSecurityGroupName"].lower()
        entry = {
            "EC2SecurityGroupName": params["EC2SecurityGroupName"],
            "EC2SecurityGroupOwnerId": params["EC2SecurityGroupOwnerId"],
        }
        with self.store.transaction():
            row = self.security_group_row(scope, name)
            for existing in row["desc"]["EC2SecurityGroups"]:
                if (
                    existing["EC2SecurityGroupName"] == entry["EC2SecurityGroupName"]
                    and existing["EC2SecurityGroupOwnerId"] == entry["EC2SecurityGroupOwnerId"]
                ):
                    raise ServiceError(
                        "AuthorizationAlreadyExists",
                        "The specified EC2 security group is already authorized.",
                    )
            row["desc"]["EC2SecurityGroups"].append({"Status": "authorized", **entry})
            self.security_groups.put(scope, name, row)
        return {"CacheSecurityGroup": row["desc"]}

    def revoke_cache_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = params["CacheSecurityGroupName"].lower()
        with self.store.transaction():
            row = self.security_group_row(scope, name)
            kept = [
                g for g in row["desc"]["EC2SecurityGroups"]
                if not (g["EC2SecurityGroupName"] == params["EC2SecurityGroupName"]
                        and g["EC2SecurityGroupOwnerId"] == params["EC2SecurityGroupOwnerId"])
            ]  # fmt: skip
            if len(kept) == len(row["desc"]["EC2SecurityGroups"]):
                raise ServiceError(
                    "AuthorizationNotFound", "The specified EC2 security group is not authorized.", 404
                )
            row["desc"]["EC2SecurityGroups"] = kept
            self.security_groups.put(scope, name, row)
        return {"CacheSecurityGroup": row["desc"]}

    # -- users --------------------------------------------------------------------------------------

    def user_row(self, scope: str, user_id: str) -> dict[str, Any]:
        row = self.users.get(scope, user_id)
        if row is None and user_id == "default":
            return {
                "desc": dict(DEFAULT_USER, ARN=self.arn(scope, "user", "default")),
                "passwords": [],
                "tags": {},
            }
        if row is None:
            raise ServiceError("UserNotFound", f"User {user_id} not found.", 404)
        return row

    def _authentication(self, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The user's Authentication (as DescribeUsers shows it) and passwords, by AWS's rules:
        passwords in Passwords or in AuthenticationMode (not both), none for iam."""
        mode = params.get("AuthenticationMode") or {}
        given = list(params.get("Passwords") or [])
        if mode.get("Passwords") and given:
            raise combination("Passwords provided via multiple arguments. Use only one argument")
        passwords = given or list(mode.get("Passwords") or [])
        kind = mode.get("Type")
        if kind is None:
            if params.get("NoPasswordRequired"):
                kind = "no-password-required"
            elif passwords:
                kind = "password"
        if kind not in ("password", "no-password-required", "iam"):
            raise invalid(
                f"Input Authentication type: {'null' if kind is None else kind} is not in the allowed list:"
                " [password,no-password-required,iam]"
            )
        if kind == "iam":
            if passwords:
                raise combination("Password field is not allowed with authentication type: iam")
            return {"Type": "iam"}, []
        if kind == "no-password-required":
            if passwords:
                raise combination(
                    "Password field is not allowed with authentication type: no-password-required"
                )
            return {"Type": "no-password"}, []
        if not passwords:
            raise combination("A user with Authentication Mode: password, must have at least one password")
        if params.get("NoPasswordRequired"):
            raise combination("NoPasswordRequired cannot be true when passwords are given.")
        if len(passwords) > 2:
            raise invalid("A user can have at most two passwords.")
        for password in passwords:
            if not 16 <= len(password) <= 128:
                raise invalid("Passwords length must be between 16-128 characters.")
        return {"Type": "password", "PasswordCount": len(passwords)}, passwords

    @staticmethod
    def _check_access(access: str) -> None:
        for token in access.split():
            if not (
                token
                in (
                    "on",
                    "off",
                    "nopass",
                    "allkeys",
                    "allchannels",
                    "allcommands",
                    "nocommands",
                    "resetkeys",
                    "resetchannels",
                )
                or token[0] in "~&+-%"
            ):
                raise invalid(f"Access string {access} is invalid: {token}")

    def create_user(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        user_id = params["UserId"]
        if not _USER_ID.match(user_id) or user_id.endswith("-") or "--" in user_id:
            raise invalid(
                "User ID must begin with a letter and contain only alphanumeric characters and hyphens."
            )
        engine = params["Engine"].lower()
        if engine not in ("redis", "valkey"):
            raise invalid(f"Invalid engine: {params['Engine']}. Users are supported for redis and valkey.")
        auth, passwords = self._authentication(params)
        self._check_access(params["AccessString"])
        with self.store.transaction():
            if user_id == "default" or self.users.get(scope, user_id) is not None:
                raise ServiceError("UserAlreadyExists", f"User {user_id} already exists.")
            if any(
                r["desc"]["UserName"] == params["UserName"] and params["UserName"] != "default"
                for _, r in self.users.scan(scope)
            ):
                raise ServiceError(
                    "DuplicateUserName", f"A user with the name {params['UserName']} already exists."
                )
            desc = {
                "UserId": user_id,
                "UserName": params["UserName"],
                "Status": "active",
                "Engine": engine,
                "MinimumEngineVersion": "6.0",
                "AccessString": params["AccessString"],
                "UserGroupIds": [],
                "Authentication": auth,
                "ARN": self.arn(context, "user", user_id),
            }
            self.users.put(
                scope, user_id, {"desc": desc, "passwords": passwords, "tags": self.tags_from(params)}
            )
        return desc

    def describe_users(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        rows = [self.user_row(scope, "default")] if self.users.get(scope, "default") is None else []
        rows += [row for _, row in self.users.scan(scope)]
        if params.get("UserId"):
            rows = [r for r in rows if r["desc"]["UserId"] == params["UserId"]]
            if not rows:
                raise ServiceError("UserNotFound", f"User {params['UserId']} not found.", 404)
        if params.get("Engine"):
            rows = [r for r in rows if r["desc"]["Engine"] == params["Engine"].lower()]
        return self.page("DescribeUsers", params, [r["desc"] for r in rows])

    def modify_user(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        user_id = params["UserId"]
        if user_id == "default":
            raise invalid("The default user cannot be modified.")
        with self.store.transaction():
            row = self.user_row(scope, user_id)
            if params.get("AccessString"):
                self._check_access(params["AccessString"])
                row["desc"]["AccessString"] = params["AccessString"]
            elif params.get("AppendAccessString"):
                self._check_access(params["AppendAccessString"])
                row["desc"]["AccessString"] += " " + params["AppendAccessString"]
            if (
                params.get("Passwords")
                or params.get("NoPasswordRequired") is not None
                or params.get("AuthenticationMode")
            ):
                row["desc"]["Authentication"], row["passwords"] = self._authentication(params)
            if params.get("Engine"):
                row["desc"]["Engine"] = params["Engine"].lower()
            self.users.put(scope, user_id, row)
        for group_id in row["desc"]["UserGroupIds"]:
            self.refresh_user_group(scope, group_id)
        return row["desc"]

    def delete_user(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        user_id = params["UserId"]
        if user_id == "default":
            raise ServiceError("DefaultUserAssociatedToUserGroup", "The default user cannot be deleted.")
        row = self.user_row(scope, user_id)
        if row["desc"]["UserGroupIds"]:
            raise ServiceError(
                "InvalidUserState", f"User {user_id} belongs to user group {row['desc']['UserGroupIds'][0]}."
            )
        with self.store.transaction():
            self.users.delete(scope, user_id)
        return dict(row["desc"], Status="deleting")

    # -- user groups --------------------------------------------------------------------------------

    def user_group_row(self, scope: str, group_id: str) -> dict[str, Any]:
        row = self.user_groups.get(scope, group_id)
        if row is None:
            raise ServiceError("UserGroupNotFound", f"User group {group_id} not found.", 404)
        return row

    def _check_members(self, scope: str, user_ids: list[str]) -> None:
        names = []
        for user_id in user_ids:
            names.append(self.user_row(scope, user_id)["desc"]["UserName"])
        if "default" not in names:
            raise ServiceError(
                "DefaultUserRequired", "A user group must contain a user with the name default."
            )
        if len(set(names)) != len(names):
            raise ServiceError(
                "DuplicateUserName", "A user group cannot contain two users with the same name."
            )

    def create_user_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["UserGroupId"]
        if not _USER_ID.match(group_id):
            raise invalid(
                "User group ID must begin with a letter and contain only alphanumeric characters and hyphens."
            )
        engine = params["Engine"].lower()
        if engine not in ("redis", "valkey"):
            raise invalid(f"Invalid engine: {params['Engine']}.")
        user_ids = list(dict.fromkeys(params.get("UserIds") or []))
        self._check_members(scope, user_ids)
        with self.store.transaction():
            if self.user_groups.get(scope, group_id) is not None:
                raise ServiceError("UserGroupAlreadyExists", f"User group {group_id} already exists.")
            desc = {
                "UserGroupId": group_id,
                "Status": "active",
                "Engine": engine,
                "UserIds": user_ids,
                "MinimumEngineVersion": "6.0",
                "ReplicationGroups": [],
                "ServerlessCaches": [],
                "ARN": self.arn(context, "usergroup", group_id),
            }
            self.user_groups.put(scope, group_id, {"desc": desc, "tags": self.tags_from(params)})
            self._set_membership(scope, group_id, user_ids, [])
        return desc

    def _set_membership(self, scope: str, group_id: str, added: list[str], removed: list[str]) -> None:
        for user_id in added + removed:
            row = self.users.get(scope, user_id)
            if row is None:
                continue
            ids = [g for g in row["desc"]["UserGroupIds"] if g != group_id]
            if user_id in added:
                ids.append(group_id)
            row["desc"]["UserGroupIds"] = ids
            self.users.put(scope, user_id, row)

    def describe_user_groups(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        if params.get("UserGroupId"):
            rows = [self.user_group_row(scope, params["UserGroupId"])]
        else:
            rows = [row for _, row in self.user_groups.scan(scope)]
        return self.page("DescribeUserGroups", params, [r["desc"] for r in rows])

    def modify_user_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["UserGroupId"]
        adding = params.get("UserIdsToAdd") or []
        removing = params.get("UserIdsToRemove") or []
        with self.store.transaction():
            row = self.user_group_row(scope, group_id)
            for user_id in removing:
                if user_id not in row["desc"]["UserIds"]:
                    raise invalid(f"User {user_id} is not a member of user group {group_id}.")
            ids = [u for u in row["desc"]["UserIds"] if u not in removing]
            ids += [u for u in adding if u not in ids]
            self._check_members(scope, ids)
            row["desc"]["UserIds"] = ids
            self.user_groups.put(scope, group_id, row)
            self._set_membership(scope, group_id, adding, removing)
        self.refresh_user_group(scope, group_id)
        return row["desc"]

    def delete_user_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        group_id = params["UserGroupId"]
        row = self.user_group_row(scope, group_id)
        if row["desc"]["ReplicationGroups"] or row["desc"]["ServerlessCaches"]:
            raise ServiceError("InvalidUserGroupState", f"User group {group_id} is in use.")
        with self.store.transaction():
            self.user_groups.delete(scope, group_id)
            self._set_membership(scope, group_id, [], list(row["desc"]["UserIds"]))
        return dict(row["desc"], Status="deleting")

    def link_user_group(
        self, scope: str, group_id: str, target: str, linked: bool, serverless: bool = False
    ) -> None:
        field = "ServerlessCaches" if serverless else "ReplicationGroups"
        with self.store.transaction():
            row = self.user_groups.get(scope, group_id)
            if row is None:
                return
            names = [n for n in row["desc"][field] if n != target]
            if linked:
                names.append(target)
            row["desc"][field] = names
            self.user_groups.put(scope, group_id, row)

    def refresh_user_group(self, scope: str, group_id: str) -> None:
        """The group's users, set again on every engine that uses it."""
        row = self.user_groups.get(scope, group_id)
        if row is None:
            return
        for replication_group in row["desc"]["ReplicationGroups"]:
            group = self.replication_groups.get(scope, replication_group)
            for member in group["members"] if group else []:
                self.apply_users_to_cluster(scope, member)
        for cache in row["desc"]["ServerlessCaches"]:
            found = self.serverless.get(scope, cache)
            if found is not None and found["desc"]["Status"] == "available":
                self.apply_users(scope, group_id, found["node"]["port"], found["admin"])

    def apply_users_to_cluster(self, scope: str, cluster_id: str) -> None:
        row = self.cluster_row(scope, cluster_id)
        group_id = row["desc"].get("ReplicationGroupId")
        if row["desc"]["Engine"] == "memcached" or not group_id:
            return
        group = self.replication_groups.get(scope, group_id)
        if group is None:
            return
        user_groups = group["desc"].get("UserGroupIds") or []
        if not user_groups and not group.get("had_users"):
            return
        for node in row["nodes"]:
            self.apply_users(
                scope,
                user_groups[0] if user_groups else None,
                node["port"],
                row["admin"],
                row.get("password"),
                self.tls_for(row),
            )
        if user_groups and not group.get("had_users"):
            self.set_group(scope, group_id, _had_users=True)

    def apply_users(
        self,
        scope: str,
        group_id: str | None,
        port: int,
        admin_password: str,
        token: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """ACL users on one Redis node: the group's users, the default user as the group says (or
        as the node had it without a group), and no others."""
        wanted: dict[str, list[str]] = {}
        if group_id:
            group = self.user_groups.get(scope, group_id)
            for user_id in group["desc"]["UserIds"] if group else []:
                user = self.user_row(scope, user_id)
                rules = ["reset", *user["desc"]["AccessString"].split()]
                if user["desc"]["Authentication"]["Type"] == "no-password":
                    rules.append("nopass")
                else:
                    rules += [f">{p}" for p in user["passwords"]]
                wanted[user["desc"]["UserName"]] = rules
        if "default" not in wanted:
            wanted["default"] = ["reset", "on", "~*", "&*", "+@all"] + (
                [f">{token}"] if token else ["nopass"]
            )
        with admin(port, admin_password, tls=tls) as conn:
            for name in conn.call("ACL", "USERS"):
                text = name.decode()
                if text not in wanted and text != ADMIN_USER:
                    conn.call("ACL", "DELUSER", text)
            for name, rules in wanted.items():
                conn.call("ACL", "SETUSER", name, *rules)
            # Clients authenticated as a changed user keep their connection, as on ElastiCache.
