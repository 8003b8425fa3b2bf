"""Rotation that runs: RotateSecret invokes the rotation function's four steps (createSecret,
setSecret, testSecret, finishSecret) for real, one after the other, with the event AWS sends.
The function moves the labels itself (PutSecretValue with AWSPENDING, UpdateSecretVersionStage
to AWSCURRENT); a failing step stops the rotation, leaves AWSPENDING where it is, and is
recorded. RotationRules schedule the next rotation on a timer that runs only while a rotation
is scheduled (schedule.py says how time is scaled)."""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.lambda_interface import LambdaProvider
from overcast.services.secretsmanager import errors
from overcast.services.secretsmanager.crypt import has_value
from overcast.services.secretsmanager.schedule import check_rules, next_rotation

if TYPE_CHECKING:
    from overcast.services.secretsmanager.provider import Provider

log = logging.getLogger(__name__)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
CANNOT_INVOKE = (
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants "
    "access to the principal secretsmanager.amazonaws.com."
)


def _function_parts(arn: str) -> tuple[str, str, str, str | None] | None:
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
        return None
    return parts[4], parts[3], parts[6], parts[7] if len(parts) == 8 else None


class RotationMixin:
    def init_rotation(self: Provider) -> None:  # type: ignore[misc]
        self._due: list[tuple[float, str, str]] = []
        self._wake: asyncio.Event | None = None
        self._timer_running = False

    def start(self: Provider) -> None:  # type: ignore[misc]
        self.load_schedule()

    def load_schedule(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.secrets.scopes():
            for name, record in self.secrets.scan(scope):
                rotation = record.get("Rotation") or {}
                if rotation.get("Enabled") and rotation.get("Next") is not None:
                    self.schedule(scope, name, rotation["Next"])

    def reset(self: Provider) -> None:  # type: ignore[misc]
        self._due.clear()

    def state_replaced(self: Provider) -> None:  # type: ignore[misc]
        self._due.clear()
        self.load_schedule()

    def schedule(self: Provider, scope: str, name: str, at: float) -> None:  # type: ignore[misc]
        heapq.heappush(self._due, (at, scope, name))
        wake, loop = self._wake, self.runtime.loop
        if wake is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)  # a handler may run on another thread
        if not self._timer_running:
            self._timer_running = True
            self.runtime.spawn(self._timer(), "secretsmanager rotation schedule")

    def unschedule(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        kept = [entry for entry in self._due if (entry[1], entry[2]) != (scope, name)]
        if len(kept) != len(self._due):
            heapq.heapify(kept)
            self._due[:] = kept

    async def _timer(self: Provider) -> None:  # type: ignore[misc]
        self._wake = asyncio.Event()
        try:
            while self._due:
                at, scope, name = self._due[0]
                delay = at - time.time()
                if delay > 0:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), delay)
                    except TimeoutError:
                        pass
                    continue
                heapq.heappop(self._due)
                record = self.secrets.get(scope, name)
                rotation = (record or {}).get("Rotation") or {}
                if not rotation.get("Enabled") or rotation.get("Next") != at:
                    continue  # cancelled, rescheduled or deleted since
                try:
                    await self.scheduled_rotation(scope, record or {})
                except Exception:
                    log.exception("scheduled rotation of %s failed", name)
        finally:
            self._timer_running = False
            self._wake = None

    async def scheduled_rotation(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        with self.store.transaction():
            token = self.begin_rotation(scope, record, None)
            self.secrets.put(scope, record["Name"], record)
        await self.run_steps(scope, record["Name"], token, STEPS)

    def begin_rotation(self: Provider, scope: str, record: dict, token: str | None) -> str:  # type: ignore[misc]
        """Put AWSPENDING on a new version without a value, for the function to fill in; a
        rotation that did not finish is continued with its own token."""
        current, pending = self.holder(record, "AWSCURRENT"), self.holder(record, "AWSPENDING")
        if pending is not None and pending != current:
            return pending
        token = token or str(uuid.uuid4())
        if token not in record["Versions"]:
            record["Versions"][token] = {"Created": time.time(), "Stages": []}
        self.attach(record, token, ["AWSPENDING"])
        return token

    def invoker(self: Provider) -> LambdaProvider:  # type: ignore[misc]
        return self.runtime.provider("lambda")

    async def run_steps(self: Provider, scope: str, name: str, token: str, steps: tuple[str, ...]) -> bool:  # type: ignore[misc]
        """Invoke the rotation function for each step in turn; False (and the failure recorded
        on the secret) when one fails."""
        record = self.secrets.get(scope, name)
        if record is None:
            return False
        function = _function_parts(record["Rotation"]["Lambda"])
        failure: dict[str, Any] | None = None
        if function is None:
            failure = {"Step": steps[0], "Error": CANNOT_INVOKE}
        else:
            rotation_token = str(uuid.uuid4())
            for step in steps:
                event = {
                    "SecretId": record["ARN"],
                    "ClientRequestToken": token,
                    "Step": step,
                    "RotationToken": rotation_token,
                }
                try:
                    outcome, _ = await self.invoker().execute(*function, json.dumps(event).encode())
                except ServiceError as error:
                    failure = {"Step": step, "Error": error.message}
                    break
                if outcome.error is not None:
                    failure = {
                        "Step": step,
                        "Error": outcome.error.get("errorMessage") or json.dumps(outcome.error),
                    }
                    break
        with self.store.transaction():
            record = self.secrets.get(scope, name)
            if record is None:
                return False
            rotation = record["Rotation"]
            if failure is not None:
                log.warning("rotation of secret %s failed at %s: %s", name, failure["Step"], failure["Error"])
                rotation["LastFailure"] = {**failure, "Token": token, "At": time.time()}
            elif steps[-1] == "finishSecret":
                now = time.time()
                record["Rotated"] = now
                version = record["Versions"].get(token)
                if (
                    version is not None
                    and "AWSCURRENT" in version["Stages"]
                    and "AWSPENDING" in version["Stages"]
                ):
                    version["Stages"].remove("AWSPENDING")
                rotation.pop("LastFailure", None)
                self.plan_next(scope, record, now)
            self.save(scope, record, changed=failure is None)
        return failure is None

    def abandon_pending(self: Provider, scope: str, name: str, token: str) -> None:  # type: ignore[misc]
        with self.store.transaction():
            record = self.secrets.get(scope, name)
            version = (record or {}).get("Versions", {}).get(token)
            if record is None or version is None:
                return
            if "AWSPENDING" in version["Stages"]:
                version["Stages"].remove("AWSPENDING")
            if not version["Stages"]:
                del record["Versions"][token]
            self.secrets.put(scope, name, record)

    def plan_next(self: Provider, scope: str, record: dict, last: float) -> None:  # type: ignore[misc]
        from overcast.services.secretsmanager.provider import day_seconds

        rotation = record["Rotation"]
        rules = rotation.get("Rules")
        if not rules or not rotation.get("Enabled"):
            rotation.pop("Next", None)
            return
        at = next_rotation(rules, last, time.time(), day_seconds())
        rotation["Next"] = at
        self.unschedule(scope, record["Name"])
        if at != float("inf"):
            self.schedule(scope, record["Name"], at)

    async def rotate_secret(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.secretsmanager.provider import require_token

        scope = self.scope_for(context, params["SecretId"])
        immediately = params.get("RotateImmediately", True)
        require_token(params)
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            rotation = dict(record.get("Rotation") or {})
            lambda_arn = params.get("RotationLambdaARN") or rotation.get("Lambda")
            if not lambda_arn:
                raise errors.invalid_request(
                    "No Lambda rotation function ARN is associated with this secret."
                )
            rules = params.get("RotationRules") or rotation.get("Rules")
            if rules:
                check_rules(rules)
            lam = self.invoker()
            if _function_parts(lambda_arn) is None or not lam.function_exists(lambda_arn):
                raise ServiceError("AccessDeniedException", CANNOT_INVOKE, 400)
            rotation.update({"Enabled": True, "Lambda": lambda_arn})
            if rules:
                rotation["Rules"] = rules
            record["Rotation"] = rotation
            token = self.begin_rotation(scope, record, params.get("ClientRequestToken"))
            if not immediately:
                # The version testSecret sees holds the current value (AWS's test of the
                # configuration rotates nothing).
                current = self.holder(record, "AWSCURRENT")
                pending = record["Versions"][token]
                if current is not None and current != token and not has_value(pending):
                    value = self.plain(record, current, record["Versions"][current])
                    pending.update(self.seal(record, token, value))
            self.save(scope, record)
        if immediately:
            await self.run_steps(scope, record["Name"], token, STEPS)
        else:
            # AWS checks the configuration by running the function's testSecret step alone, on
            # an AWSPENDING version it removes afterwards.
            await self.run_steps(scope, record["Name"], token, ("testSecret",))
            self.abandon_pending(scope, record["Name"], token)
            # Only now is the schedule running: a rotation must not start during the test.
            with self.store.transaction():
                fresh = self.secrets.get(scope, record["Name"])
                if fresh is not None and (fresh.get("Rotation") or {}).get("Enabled"):
                    self.plan_next(scope, fresh, time.time())
                    self.save(scope, fresh, changed=False)
        return {"ARN": record["ARN"], "Name": record["Name"], "VersionId": token}

    def cancel_rotate_secret(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            rotation = record.get("Rotation")
            if not rotation:
                raise errors.invalid_request(
                    "You tried to cancel rotation on a secret that is not configured for rotation."
                )
            rotation["Enabled"] = False
            rotation.pop("Next", None)
            self.unschedule(scope, record["Name"])
            out = {"ARN": record["ARN"], "Name": record["Name"]}
            pending = self.holder(record, "AWSPENDING")
            if pending is not None:
                out["VersionId"] = pending
            self.save(scope, record)
            return out
