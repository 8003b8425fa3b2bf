"""Last-accessed information, from what Overcast saw: every request an IAM user or role makes
is noted (per principal and service namespace, with the action, at most once a minute each),
and GenerateServiceLastAccessedDetails reports it against the services the entity's policies
allow. ListPoliciesGrantingServiceAccess reads the same policies."""

from __future__ import annotations

import time
import uuid
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast import policy, services
from overcast.context import RequestContext
from overcast.policy.actions import PREFIXES
from overcast.services.iam.base import IamBase, invalid_input, no_such_entity, now

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider

#: Services whose management actions AWS tracks one by one (action-level reports).
ACTION_TRACKED = frozenset({"s3", "iam", "lambda", "ec2"})
#: How often one principal's use of one action is written, at most (seconds).
NOTE_INTERVAL = 60.0
_KINDS = {"user": "USER", "group": "GROUP", "role": "ROLE"}
#: (kind, record, its policies, the users and roles whose use counts) of a reported entity.
Reported = tuple[str, dict, list[policy.Policy], list[dict]]


@lru_cache(maxsize=64)
def _service_facts(service: str) -> tuple[str, str]:
    """(IAM namespace, full name) of a botocore service."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    signing = model.metadata.get("signingName") or model.endpoint_prefix
    return PREFIXES.get(signing, signing), model.metadata.get("serviceFullName", service)


@lru_cache(maxsize=1)
def _known_namespaces() -> dict[str, str]:
    """Namespace → service name, for the services Overcast emulates (the ones it can see used)."""
    found: dict[str, str] = {}
    for service in sorted(services.implemented()):
        namespace, name = _service_facts(service)
        found.setdefault(namespace, name)
    return found


def _grants(statement: Any, namespace: str) -> bool:
    """Whether an Allow statement grants some action of the namespace."""
    if statement.effect != "Allow":
        return False
    if statement.actions is not None:
        return any(fnmatchcase(namespace, a.split(":", 1)[0].lower()) for a in statement.actions)
    # NotAction: everything but what it names; a service is out only if all of it is named.
    return not any(
        a.lower() in ("*", f"{namespace}:*") or (a.split(":", 1)[0] == "*" and a.endswith(":*"))
        for a in statement.not_actions or ()
    )


def _allowed_namespaces(policies: list[policy.Policy]) -> list[str]:
    known = _known_namespaces()
    return sorted(
        namespace for namespace in known if any(_grants(s, namespace) for p in policies for s in p.statements)
    )


class AccessMixin(IamBase):
    # -- noting what was used --------------------------------------------------------------------

    def note_access(self, context: RequestContext, params: dict | None) -> None:
        """A user or role (session) made a request: note its service and action."""
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") == "user" or identity.get("SessionType") == "user":
            entity = identity.get("Arn", "")
        elif identity.get("SessionType") == "role":
            entity = identity.get("RoleArn", "")
        else:
            return
        # Keyed by the unique id, so a user or role created again under the same name starts afresh.
        entity_id = str(identity.get("UserId", "")).split(":", 1)[0]
        if not entity or not entity_id or not context.service:
            return
        try:
            namespace, _ = _service_facts(context.service)
        except Exception:  # a service botocore does not know has nothing to report
            return
        action = _action_of(context, namespace, params) if namespace in ACTION_TRACKED else ""
        throttle: dict = self.__dict__.setdefault("_access_notes", {})
        key = f"{entity_id} {namespace}"
        clock = time.monotonic()
        if clock - throttle.get((key, action), -NOTE_INTERVAL) < NOTE_INTERVAL:
            return
        if len(throttle) > 10000:
            throttle.clear()
        throttle[(key, action)] = clock
        account = entity.split(":")[4]
        record = self._get("access_log", account, key) or {
            "Entity": entity,
            "Namespace": namespace,
            "Actions": {},
        }
        stamp = now()
        record.update(LastAuthenticated=stamp, Region=context.region)
        if action:
            record["Actions"][action] = {"LastAccessedTime": stamp, "LastAccessedRegion": context.region}
        self._put("access_log", account, key, record)

    def _accessed(self, account: str, entities: list[dict], namespace: str) -> list[dict]:
        ids = (e.get("UserId") or e.get("RoleId") for e in entities)
        found = (self._get("access_log", account, f"{entity_id} {namespace}") for entity_id in ids)
        return sorted((r for r in found if r), key=lambda r: r["LastAuthenticated"], reverse=True)

    # -- the entity a report is about --------------------------------------------------------------

    def _reported_entity(self: Provider, account: str, arn: str) -> Reported:  # type: ignore[misc]
        """(kind, record, its policies, the entities whose use counts) for a user, group, role or
        customer managed policy ARN."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or parts[4] != account:
            raise invalid_input(f"ARN {arn} is not valid.")
        kind, _, rest = parts[5].partition("/")
        name = rest.rsplit("/", 1)[-1]
        if kind in ("user", "group", "role"):
            record = self._get(f"{kind}s", account, name)
            if record is None or record["Arn"] != arn:
                raise no_such_entity(f"The {kind} with name {name} cannot be found.")
            if kind == "group":
                members = [self._get("users", account, u) for u in record.get("Users") or []]
                return kind, record, self.entity_policies(kind, account, record), [m for m in members if m]
            return kind, record, self.entity_policies(kind, account, record), [record]
        if kind == "policy":
            managed = self.managed_policy(account, arn)
            if managed is None:
                raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
            attachments = self._get("attachments", account, arn) or {}
            users = [self._get("users", account, n) for n in attachments.get("user", [])]
            roles = [self._get("roles", account, n) for n in attachments.get("role", [])]
            for group_name in attachments.get("group", []):
                group = self._get("groups", account, group_name) or {}
                users += [self._get("users", account, n) for n in group.get("Users") or []]
            unique = {e["Arn"]: e for e in users + roles if e}
            entities = list(unique.values())
            return kind, managed, [self._parsed(self.document_of(managed), arn, "managed")], entities
        raise invalid_input(f"ARN {arn} is not valid.")

    # -- service last accessed ----------------------------------------------------------------------

    def generate_service_last_accessed_details(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["Arn"]
        kind, _, policies, entities = self._reported_entity(context.account, arn)
        granularity = params.get("Granularity") or "SERVICE_LEVEL"
        names = _known_namespaces()
        report = []
        by_service: dict[str, list[dict]] = {}
        for namespace in _allowed_namespaces(policies):
            item: dict[str, Any] = {"ServiceName": names[namespace], "ServiceNamespace": namespace}
            seen = self._accessed(context.account, entities, namespace)
            by_service[namespace] = [
                {"Arn": r["Entity"], "LastAuthenticated": r["LastAuthenticated"]} for r in seen
            ]
            item["TotalAuthenticatedEntities"] = len(seen)
            if seen:
                item.update(
                    LastAuthenticated=seen[0]["LastAuthenticated"],
                    LastAuthenticatedRegion=seen[0]["Region"],
                )
                if kind in ("group", "policy"):
                    item["LastAuthenticatedEntity"] = seen[0]["Entity"]
            if granularity == "ACTION_LEVEL" and namespace in ACTION_TRACKED:
                item["TrackedActionsLastAccessed"] = _tracked_actions(namespace, seen)
            report.append(item)
        job_id = str(uuid.uuid4())
        created = now()
        job = {
            "JobType": granularity,
            "Arn": arn,
            "Kind": kind,
            "JobCreationDate": created,
            "JobCompletionDate": created,
            "ServicesLastAccessed": report,
            "Entities": by_service,
        }
        with self.store.transaction():
            self._put("features", context.account, f"access-job/{job_id}", job)
        return {"JobId": job_id}

    def _access_job(self, account: str, job_id: str) -> dict:
        job = self._get("features", account, f"access-job/{job_id}")
        if job is None:
            raise no_such_entity(f"No such job {job_id} exists.")
        return job

    def get_service_last_accessed_details(self, context: RequestContext, params: dict) -> dict:
        job = self._access_job(context.account, params["JobId"])
        page = self.paginate(job["ServicesLastAccessed"], params, "ServicesLastAccessed")
        return {
            "JobStatus": "COMPLETED",
            "JobType": job["JobType"],
            "JobCreationDate": job["JobCreationDate"],
            "JobCompletionDate": job["JobCompletionDate"],
            **page,
        }

    def get_service_last_accessed_details_with_entities(self, context: RequestContext, params: dict) -> dict:
        job = self._access_job(context.account, params["JobId"])
        if job["Kind"] not in ("group", "policy"):
            raise invalid_input("Entity details are available only for a group or policy report.")
        details = []
        for seen in job["Entities"].get(params["ServiceNamespace"], []):
            detail: dict[str, Any] = {"EntityInfo": self._entity_info(context.account, seen["Arn"])}
            detail["LastAuthenticated"] = seen["LastAuthenticated"]
            details.append(detail)
        page = self.paginate(details, params, "EntityDetailsList")
        return {
            "JobStatus": "COMPLETED",
            "JobCreationDate": job["JobCreationDate"],
            "JobCompletionDate": job["JobCompletionDate"],
            **page,
        }

    def _entity_info(self, account: str, arn: str) -> dict:
        kind, _, rest = arn.split(":", 5)[5].partition("/")
        name = rest.rsplit("/", 1)[-1]
        record = self._get(f"{kind}s", account, name) or {}
        info = {"Arn": arn, "Name": name, "Type": _KINDS[kind], "Id": record.get(f"{kind.title()}Id", name)}
        if record.get("Path"):
            info["Path"] = record["Path"]
        return info

    # -- policies granting service access -----------------------------------------------------------

    def list_policies_granting_service_access(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["Arn"]
        kind, record, _, _ = self._reported_entity(context.account, arn)
        if kind == "policy":
            raise invalid_input(f"ARN {arn} is not valid.")
        sources = [(kind, record)]
        if kind == "user":
            sources += [
                ("group", g) for g in (self._get("groups", context.account, n) for n in record["Groups"]) if g
            ]
        entries = []
        for namespace in params["ServiceNamespaces"]:
            granting = []
            for source_kind, source in sources:
                for name, text in sorted(source["Inline"].items()):
                    if any(_grants(s, namespace) for s in self._parsed(text, name, source_kind).statements):
                        granting.append(
                            {
                                "PolicyName": name,
                                "PolicyType": "INLINE",
                                "EntityType": _KINDS[source_kind],
                                "EntityName": source[f"{source_kind.title()}Name"],
                            }
                        )
                for policy_arn in source["Attached"]:
                    managed = self.managed_policy(context.account, policy_arn)
                    if managed is None:
                        continue
                    parsed = self._parsed(self.document_of(managed), policy_arn, "managed")
                    if any(_grants(s, namespace) for s in parsed.statements):
                        granting.append(
                            {
                                "PolicyName": managed["PolicyName"],
                                "PolicyType": "MANAGED",
                                "PolicyArn": policy_arn,
                            }
                        )
            entries.append({"ServiceNamespace": namespace, "Policies": granting})
        return {"PoliciesGrantingServiceAccess": entries, "IsTruncated": False}


def _tracked_actions(namespace: str, seen: list[dict]) -> list[dict]:
    latest: dict[str, dict] = {}
    for record in seen:
        for action, used in record.get("Actions", {}).items():
            if action not in latest or used["LastAccessedTime"] > latest[action]["LastAccessedTime"]:
                latest[action] = {**used, "LastAccessedEntity": record["Entity"]}
    return [{"ActionName": action, **latest[action]} for action in sorted(latest)]


def _action_of(context: RequestContext, namespace: str, params: dict | None) -> str:
    """The IAM action (without its prefix) a request was authorized as: S3's ListObjectsV2 is
    ListBucket."""
    from overcast.policy.actions import resolve

    try:
        resolved = resolve(context.service, namespace, context.operation_name, params or {}, context, "aws")
    except (KeyError, ValueError):
        resolved = None
    if resolved:
        return resolved[0][0].split(":", 1)[-1]
    return context.operation_name
