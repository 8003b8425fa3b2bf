"""What a task's containers reach on Overcast itself: the task metadata endpoint (v4, and v3's
same paths) at ECS_CONTAINER_METADATA_URI_V4, and the credentials endpoint at
AWS_CONTAINER_CREDENTIALS_FULL_URI, which answers with the task role's STS credentials to a
request carrying the task's AWS_CONTAINER_AUTHORIZATION_TOKEN.

Both are served on Overcast's own port under /_aws/ecs/..., keyed by secrets only the task's
containers were given: a metadata token per container, a credentials token per task."""

from __future__ import annotations

import hmac
import json
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.base import HostRoute

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.ecs.provider import Provider

METADATA_PATH = re.compile(r"^/_aws/ecs/v[34]/(?P<token>[0-9a-f]{32})(?P<rest>/[a-z/]*)?$")
CREDENTIALS_PATH = re.compile(r"^/_aws/ecs/credentials/(?P<task>[0-9a-f]{32})$")
ROUTES = (HostRoute(METADATA_PATH, "serve_metadata"), HostRoute(CREDENTIALS_PATH, "serve_credentials"))
TASK_ROLE_PRINCIPAL = "ecs-tasks.amazonaws.com"
#: Credentials are minted again when less than this is left of them.
RENEW_MARGIN = 900


def _json(status: int, body: Any) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(body, default=_text).encode())


def _text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value)


class EndpointMixin:
    def forget_tokens(self: Provider, row: dict[str, Any]) -> None:  # type: ignore[misc]
        for token in (row.get("_tokens") or {}).values():
            self.endpoints.delete("all", token)
        task_id = row["taskArn"].rsplit("/", 1)[-1]
        self.endpoints.delete("all", "task-" + task_id)
        scope = "/".join(row["taskArn"].split(":")[4:2:-1])
        self.specs.delete(scope, row["taskArn"].rsplit("/", 2)[-2] + "/" + task_id)
        self.credentials_cache.pop(row["taskArn"], None)

    # -- metadata ------------------------------------------------------------------------------

    def serve_metadata(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match[str], context: RequestContext
    ) -> Response:
        where = self.endpoints.get("all", match.group("token"))
        row = self.full_task(where["scope"], where["key"]) if where else None
        if row is None:
            return _json(404, {"message": "task metadata not found"})
        rest = (match.group("rest") or "").rstrip("/")
        if rest == "":
            return _json(200, self._container_metadata(row, where["container"]))
        if rest == "/task":
            return _json(200, self._task_metadata(row))
        if rest == "/stats":
            return _json(200, self._stats(row, where["container"]))
        if rest == "/task/stats":
            return _json(
                200,
                {self._runtime_id(row, c["name"]): self._stats(row, c["name"]) for c in row["containers"]},
            )
        return _json(404, {"message": f"no metadata at {rest}"})

    def _runtime_id(self: Provider, row: dict[str, Any], name: str) -> str:  # type: ignore[misc]
        container = next(c for c in row["containers"] if c["name"] == name)
        return str(container.get("runtimeId") or "")

    def _stats(self: Provider, row: dict[str, Any], name: str) -> dict[str, Any]:  # type: ignore[misc]
        runtime_id = self._runtime_id(row, name)
        if not runtime_id:
            return {}
        try:
            stats = self.engine.call("GET", f"/containers/{runtime_id}/stats", {"stream": "0"}, timeout=10.0)
        except Exception:
            return {}
        return stats if isinstance(stats, dict) else {}

    def _container_metadata(self: Provider, row: dict[str, Any], name: str) -> dict[str, Any]:  # type: ignore[misc]
        definition = row["_definition"]
        spec = next(c for c in definition["containerDefinitions"] if c["name"] == name)
        state = next(c for c in row["containers"] if c["name"] == name)
        mode = definition["networkMode"]
        out: dict[str, Any] = {
            "DockerId": state.get("runtimeId", ""),
            "Name": name,
            "DockerName": f"ecs-{definition['family']}-{definition['revision']}-{name}-{row['taskArn'].rsplit('/', 1)[-1]}",
            "Image": spec["image"],
            "ImageID": state.get("imageDigest", ""),
            "Labels": {
                "com.amazonaws.ecs.cluster": row["clusterArn"],
                "com.amazonaws.ecs.container-name": name,
                "com.amazonaws.ecs.task-arn": row["taskArn"],
                "com.amazonaws.ecs.task-definition-family": definition["family"],
                "com.amazonaws.ecs.task-definition-version": str(definition["revision"]),
            },
            "DesiredStatus": row["desiredStatus"],
            "KnownStatus": state["lastStatus"],
            "Limits": {
                "CPU": spec.get("cpu", 0),
                "Memory": spec.get("memory") or spec.get("memoryReservation") or 0,
            },
            "CreatedAt": row["createdAt"],
            "Type": "NORMAL",
            "ContainerARN": state["containerArn"],
            "Networks": [{"NetworkMode": mode, "IPv4Addresses": ["127.0.0.1"]}],
        }
        if row.get("startedAt"):
            out["StartedAt"] = row["startedAt"]
        if "exitCode" in state:
            out["ExitCode"] = state["exitCode"]
        if spec.get("healthCheck"):
            out["Health"] = {"status": state.get("healthStatus", "UNKNOWN")}
        log = spec.get("logConfiguration")
        if log:
            out["LogDriver"] = log.get("logDriver")
            out["LogOptions"] = log.get("options") or {}
        if spec.get("portMappings"):
            out["Ports"] = [
                {
                    "ContainerPort": p["containerPort"],
                    "Protocol": p.get("protocol", "tcp"),
                    "HostPort": p.get("hostPort", p["containerPort"]),
                    "HostIp": "0.0.0.0",
                }
                for p in spec["portMappings"]
                if p.get("containerPort") is not None
            ]
        return out

    def _task_metadata(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        definition = row["_definition"]
        out: dict[str, Any] = {
            "Cluster": row["clusterArn"],
            "TaskARN": row["taskArn"],
            "Family": definition["family"],
            "Revision": str(definition["revision"]),
            "DesiredStatus": row["desiredStatus"],
            "KnownStatus": row["lastStatus"],
            "Containers": [self._container_metadata(row, c["name"]) for c in row["containers"]],
            "AvailabilityZone": row.get("availabilityZone"),
            "LaunchType": row.get("launchType", "EC2"),
            "ClockDrift": {
                "ClockErrorBound": 0.5,
                "ReferenceTimestamp": row["createdAt"],
                "ClockSynchronizationStatus": "SYNCHRONIZED",
            },
        }
        limits = {}
        if row.get("cpu"):
            limits["CPU"] = int(row["cpu"]) / 1024
        if row.get("memory"):
            limits["Memory"] = int(row["memory"])
        if limits:
            out["Limits"] = limits
        for key, name in (
            ("pullStartedAt", "PullStartedAt"),
            ("pullStoppedAt", "PullStoppedAt"),
            ("executionStoppedAt", "ExecutionStoppedAt"),
        ):
            if row.get(key):
                out[name] = row[key]
        if row.get("_tags"):
            out["TaskTags"] = row["_tags"]
        return out

    # -- credentials ---------------------------------------------------------------------------

    def serve_credentials(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match[str], context: RequestContext
    ) -> Response:
        where = self.endpoints.get("all", "task-" + match.group("task"))
        row = self.full_task(where["scope"], where["key"]) if where else None
        if row is None:
            return _json(404, {"code": "NotFound", "message": "CredentialsV4Request: Credentials not found"})
        token = request.headers.get("authorization", "")
        if not hmac.compare_digest(token.encode(), row["_credentials_token"].encode()):
            return _json(401, {"code": "AccessDenied", "message": "Unable to authorize the request"})
        role = (row.get("overrides") or {}).get("taskRoleArn") or row["_definition"].get("taskRoleArn")
        if not role:
            return _json(400, {"code": "InvalidIdentity", "message": "The task has no role"})
        try:
            credentials = self.task_credentials(row, role)
        except ServiceError as error:
            return _json(400, {"code": error.code, "message": error.message})
        return _json(200, credentials)

    def task_credentials(self: Provider, row: dict[str, Any], role: str) -> dict[str, Any]:  # type: ignore[misc]
        """The task role's credentials, from STS as ECS gets them (the role must trust
        ecs-tasks.amazonaws.com); kept until a quarter hour before they expire."""
        cached = self.credentials_cache.get(row["taskArn"])
        if cached is not None and cached["_renew_at"] > time.time():
            return {k: v for k, v in cached.items() if not k.startswith("_")}
        account, region = row["taskArn"].split(":")[4], row["taskArn"].split(":")[3]
        sts = self.runtime.provider("sts")
        issued = sts.credentials_for_service(
            role, row["taskArn"].rsplit("/", 1)[-1], TASK_ROLE_PRINCIPAL, region, duration=6 * 3600
        )
        given = issued["Credentials"]
        expiration = given["Expiration"]
        credentials = {
            "AccessKeyId": given["AccessKeyId"],
            "SecretAccessKey": given["SecretAccessKey"],
            "Token": given["SessionToken"],
            "Expiration": _text(expiration),
            "RoleArn": role,
            "_renew_at": expiration.timestamp() - RENEW_MARGIN,
        }
        del account
        self.credentials_cache[row["taskArn"]] = credentials
        return {k: v for k, v in credentials.items() if not k.startswith("_")}
