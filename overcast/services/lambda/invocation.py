"""Invoking functions: resolving a qualifier to a version (aliases route by weight), running one
invocation in the environment pool, Invoke / InvokeAsync / InvokeWithResponseStream, and the
log lines each invocation writes to CloudWatch Logs."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudwatch.publish import publish_metric
from overcast.store import scope as store_scope

from . import names, tracing
from .aliases import version_key
from .environment import FunctionSpec, Invocation, Outcome, Throttled
from .kmskeys import check_invoke_key
from .names import function_arn, function_not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

log = logging.getLogger(__name__)

#: Runtimes Overcast executes; others are accepted by the control plane only.
RUNNABLE = re.compile(r"^(python3\.(9|1[0-4])|nodejs(18|20|22|24)\.x|provided(\.al2|\.al2023)?)$")

SEP = "\x01"
MAX_PAYLOAD = 6 * 1024 * 1024
#: Invoke with InvocationType Event takes 1 MB (AWS raised it from 256 KB); the deprecated
#: InvokeAsync keeps 256 KB.
EVENT_MAX_PAYLOAD = 1024 * 1024
ASYNC_MAX_PAYLOAD = 256 * 1024
#: The largest synchronous response: 6 MB plus the 100 bytes AWS allows for the envelope.
MAX_RESPONSE = 6 * 1024 * 1024 + 100
TAIL_BYTES = 4096
#: The largest PayloadChunk event of a streamed response.
STREAM_CHUNK = 64 * 1024


class InvocationMixin:
    # -- invoke -------------------------------------------------------------------------------

    def resolve(  # type: ignore[misc]
        self: Provider, account: str, region: str, name: str, qualifier: str | None
    ) -> tuple[dict, dict, str, str]:
        """(function record, version record, executed version, invoked ARN) for an invocation;
        an alias with a routing config picks a version by its weights."""
        scope = store_scope(account, region)
        record = self.functions.get_shared(scope, name)
        if record is None:
            raise function_not_found(account, region, name)
        invoked_arn = function_arn(account, region, name, qualifier)
        if qualifier in (None, "$LATEST"):
            return record, record, "$LATEST", invoked_arn
        version = qualifier
        if not qualifier.isdigit():
            alias = self.aliases.get(scope, name + SEP + qualifier)
            if alias is None:
                raise function_not_found(account, region, name, qualifier)
            version = alias["FunctionVersion"]
            weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            if weights:
                roll = random.random()
                for candidate, weight in weights.items():
                    if roll < weight:
                        version = candidate
                        break
                    roll -= weight
            if version == "$LATEST":
                return record, record, "$LATEST", invoked_arn
        found = self.versions.get_shared(scope, version_key(name, version))
        if found is None:
            raise function_not_found(account, region, name, version)
        return record, found, version, invoked_arn

    def spec_for(  # type: ignore[misc]
        self: Provider, account: str, region: str, version_record: dict, version: str
    ) -> FunctionSpec:
        config = version_record["config"]
        check_invoke_key(self.runtime, account, region, config)  # each invoke: the key may change state
        revision = f"{version_record['code']}:{config['RevisionId']}"
        key = (account, region, config["FunctionName"], version, revision)
        spec = self._specs.get(key)
        if spec is not None and self.credentials_stale(spec.credentials):
            # Its role session is about to expire: new environments get a new one.
            self.pool.retire(account, region, config["FunctionName"], version)
            spec = None
        if spec is None:
            runtime = config.get("Runtime") or ""
            if not RUNNABLE.match(runtime):
                raise ServiceError(
                    "InvalidRuntimeException",
                    f"The runtime parameter of {runtime or 'an image'} is not supported by "
                    "Overcast's local execution.",
                    502,
                    Type="User",
                )
            layer_files = [
                layer_version["file"]
                for layer in config.get("Layers", ())
                if (layer_version := self.layer_version_by_arn(layer["Arn"])) is not None
            ]
            credentials = self.execution_credentials(config["Role"], config["FunctionName"], region)
            if credentials is not None:
                revision += ":" + credentials["AccessKeyId"]
            spec = FunctionSpec(
                account=account,
                region=region,
                name=config["FunctionName"],
                version=version,
                revision=revision,
                runtime=runtime,
                handler=config.get("Handler") or "",
                memory=config["MemorySize"],
                timeout=config["Timeout"],
                code_dir=self.code.unpacked(version_record["code"]),
                opt_dir=self.code.opt_dir(layer_files),
                environment=dict((config.get("Environment") or {}).get("Variables") or {}),
                endpoint=self.endpoint(),
                function_arn=config["FunctionArn"],
                credentials=credentials,
            )
            if len(self._specs) > 4096:
                self._specs.clear()
            self._specs[key] = spec
        return spec

    def save_hosted_code(self: Provider, data: bytes) -> str:  # type: ignore[misc]
        return str(self.code.save(data)["file"])

    async def run_hosted(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        name: str,
        runtime: str,
        handler: str,
        code_id: str,
        payload: bytes,
        timeout: int = 60,
    ) -> Outcome:
        if not RUNNABLE.match(runtime):
            raise ServiceError(
                "InvalidRuntimeException",
                f"The runtime parameter of {runtime} is not supported by Overcast's local execution.",
                502,
                Type="User",
            )
        if not self.code.zip_path(code_id).exists():
            raise ServiceError("ResourceNotFoundException", f"No code {code_id}", 404, Type="User")
        arn = f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"
        spec = FunctionSpec(
            account=account,
            region=region,
            name=name,
            version="$LATEST",
            revision=f"hosted:{code_id}:{runtime}:{handler}",
            runtime=runtime,
            handler=handler,
            memory=256,
            timeout=timeout,
            code_dir=self.code.unpacked(code_id),
            opt_dir=self.code.opt_dir([]),
            environment={},
            endpoint=self.endpoint(),
            function_arn=arn,
            logs=False,
        )
        invocation = Invocation(
            request_id=request_id(), payload=payload, invoked_arn=arn, timeout=float(timeout)
        )
        return await self.pool.invoke(spec, invocation, None)

    async def execute(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        name: str,
        qualifier: str | None,
        payload: bytes,
        client_context: str = "",
        trace_header: str | None = None,
    ) -> tuple[Outcome, str]:
        """Run one invocation to its end; raises TooManyRequestsException when throttled.
        `trace_header` is the caller's X-Amzn-Trace-Id, if any."""
        scope = store_scope(account, region)
        if (scope, name) in self._activations:
            await self._wait_active(scope, name)
        record, version_record, version, invoked_arn = self.resolve(account, region, name, qualifier)
        spec = self.spec_for(account, region, version_record, version)
        trace = None
        if trace_header or (version_record["config"].get("TracingConfig") or {}).get("Mode") == "Active":
            trace = self.begin_trace(account, region, version_record["config"], trace_header)
        invocation = Invocation(
            request_id=request_id(),
            payload=payload,
            invoked_arn=invoked_arn,
            timeout=float(spec.timeout),
            client_context=client_context,
            trace_id=trace.header
            if trace is not None
            else tracing.untraced_header(trace_header)
            if trace_header
            else f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Sampled=0",
        )
        reserved = record.get("reserved")
        if reserved is not None:
            # Provisioned concurrency is carved out of the reserved: what other qualifiers hold
            # provisioned is not this invocation's to use (all of it provisioned throttles $LATEST).
            reserved -= self._provisioned_total(scope, name, skip=name + SEP + (qualifier or "$LATEST"))
        dims = metric_dimensions(name, qualifier)
        running = self._in_flight
        running[(scope, "")] = running.get((scope, ""), 0) + 1
        running[(scope, name)] = running.get((scope, name), 0) + 1
        concurrent = (running[(scope, "")], running[(scope, name)])
        try:
            outcome = await self.pool.invoke(spec, invocation, reserved)
        except Throttled:
            for each in dims:
                publish_metric(self.runtime, account, region, "AWS/Lambda", "Throttles", each, 1, "Count")
            raise ServiceError(
                "TooManyRequestsException",
                "Rate Exceeded.",
                429,
                Type="User",
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            ) from None
        finally:
            running[(scope, "")] -= 1
            running[(scope, name)] -= 1
        self._invocation_metrics(account, region, dims, outcome, concurrent)
        if trace is not None:
            self.end_trace(account, region, trace, spec.function_arn, invocation.request_id, outcome)
        return outcome, invocation.request_id

    def _invocation_metrics(  # type: ignore[misc]
        self: Provider,
        account: str,
        region: str,
        dims: list[dict[str, str]],
        outcome: Outcome,
        concurrent: tuple[int, int],
    ) -> None:
        """AWS/Lambda's metrics of one invocation: in all, by function, by version or alias."""
        runtime = self.runtime
        publish_metric(
            runtime, account, region, "AWS/Lambda", "ConcurrentExecutions", {}, concurrent[0], "Count"
        )
        publish_metric(
            runtime, account, region, "AWS/Lambda", "ConcurrentExecutions", dims[0], concurrent[1], "Count"
        )
        for each in [{}, *dims]:
            publish_metric(runtime, account, region, "AWS/Lambda", "Invocations", each, 1, "Count")
            publish_metric(
                runtime, account, region, "AWS/Lambda", "Errors", each, 1 if outcome.error else 0, "Count"
            )
            publish_metric(
                runtime, account, region, "AWS/Lambda", "Duration", each, outcome.duration_ms, "Milliseconds"
            )

    def begin_trace(  # type: ignore[misc]
        self: Provider, account: str, region: str, config: dict, trace_header: str | None
    ) -> tracing.Trace | None:
        """The X-Ray trace an invocation records, if it is traced and X-Ray is running."""
        if not self.runtime.config.service_enabled("xray"):
            return None
        trace = tracing.begin((config.get("TracingConfig") or {}).get("Mode") or "PassThrough", trace_header)
        if trace is not None:
            # The handler's X-Ray SDK sends its subsegments over UDP, without credentials.
            self.runtime.provider("xray").claim_trace(account, region, trace.root)
        return trace

    def end_trace(  # type: ignore[misc]
        self: Provider, account: str, region: str, trace: tracing.Trace, function_arn: str, request_id: str,
        outcome: Outcome,
    ) -> None:  # fmt: skip
        documents = tracing.segments(
            trace,
            function_name=function_arn.split(":")[6],
            function_arn=function_arn,
            request_id=request_id,
            account=account,
            init_ms=outcome.init_ms,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
        self.runtime.provider("xray").record_segments(account, region, documents)

    async def invoke(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        invocation_type = params.get("InvocationType") or "RequestResponse"
        if self.functions.get_shared(self._scope(context), name) is None:
            # Invoke names the version it would have run, $LATEST by default.
            raise function_not_found(context.account, context.region, name, qualifier or "$LATEST")
        raw = params.get("Payload")
        payload: bytes
        if raw is None or raw == b"":
            payload = b"{}"
        elif isinstance(raw, str):
            payload = raw.encode()
        elif isinstance(raw, (bytes, bytearray)):
            payload = bytes(raw)
        else:
            payload = raw.read()
        if len(payload) > (EVENT_MAX_PAYLOAD if invocation_type == "Event" else MAX_PAYLOAD):
            limit = EVENT_MAX_PAYLOAD if invocation_type == "Event" else MAX_PAYLOAD
            raise ServiceError(
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
                Type="User",
            )
        try:
            jsontext.loads(payload, jsontext.MAX_PAYLOAD_DEPTH)
        except ValueError as error:
            raise ServiceError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {error}",
                400,
                Type="User",
            ) from None
        _, version_record, version, _ = self.resolve(context.account, context.region, name, qualifier)
        state = version_record["config"].get("State")
        if state == "Pending":
            # The code is still being readied: AWS refuses the call rather than wait for it
            # (clients wait with the function_active waiter).
            raise names.conflict(
                f"The operation cannot be performed at this time. The function is currently in the following state: {state}"
            )
        if invocation_type == "DryRun":
            return {"StatusCode": 204, "Payload": b""}
        if version_record["config"].get("DurableConfig"):
            return await self.invoke_durable(
                context,
                name,
                version,
                version_record["config"],
                payload,
                params.get("DurableExecutionName"),
                wait=invocation_type != "Event",
            )
        if invocation_type == "Event":
            self.enqueue(
                context.account,
                context.region,
                name,
                qualifier,
                payload,
                trace_header=context.request.headers.get("x-amzn-trace-id"),
            )
            return {"StatusCode": 202, "Payload": b""}
        client_context = params.get("ClientContext") or ""
        if client_context:
            try:
                client_context = base64.b64decode(client_context).decode()
            except (ValueError, UnicodeDecodeError):
                raise ServiceError(
                    "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.",
                    400,
                    Type="User",
                ) from None
        outcome, _ = await self.execute(
            context.account,
            context.region,
            name,
            qualifier,
            payload,
            client_context,
            trace_header=context.request.headers.get("x-amzn-trace-id"),
        )
        out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": outcome.version}
        if outcome.error is not None:
            out["FunctionError"] = "Unhandled"
            out["Payload"] = json.dumps(outcome.error).encode()
        elif len(outcome.payload) > MAX_RESPONSE:
            out["FunctionError"] = "Unhandled"
            out["Payload"] = json.dumps(
                {
                    "errorMessage": "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_RESPONSE} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            ).encode()
        else:
            out["Payload"] = outcome.payload
        if params.get("LogType") == "Tail":
            out["LogResult"] = base64.b64encode(outcome.log_text.encode()[-TAIL_BYTES:]).decode()
        return out

    async def invoke_with_response_stream(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Invoke with the response as an event stream: the function's response in PayloadChunk
        events, then InvokeComplete (with the error, and the log tail when asked). Runtimes
        here buffer the response, as AWS's Python runtimes do, so it arrives whole."""
        if params.get("InvocationType") == "DryRun":
            answer = await self.invoke(context, {**params, "InvocationType": "DryRun"})
            return {"StatusCode": answer["StatusCode"]}
        answer = await self.invoke(context, {**params, "InvocationType": "RequestResponse"})
        payload = answer.get("Payload") or b""
        # The events, framed by the rest-json serializer (protocols/serializers/eventstream.py).
        events: list[dict[str, Any]] = [
            {"PayloadChunk": {"Payload": payload[start : start + STREAM_CHUNK]}}
            for start in range(0, len(payload), STREAM_CHUNK)
        ]
        complete: dict[str, str] = {}
        if answer.get("FunctionError"):
            error = jsontext.loads(payload or b"{}", jsontext.MAX_PAYLOAD_DEPTH)
            complete["ErrorCode"] = str(error.get("errorType") or "Unhandled")
            complete["ErrorDetails"] = str(error.get("errorMessage") or "")
        if answer.get("LogResult"):
            complete["LogResult"] = answer["LogResult"]
        events.append({"InvokeComplete": complete})
        return {
            "StatusCode": 200,
            "ExecutedVersion": answer["ExecutedVersion"],
            "ResponseStreamContentType": "application/octet-stream",
            "EventStream": events,
        }

    def invoke_async(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """The deprecated asynchronous invoke: queued exactly like Invoke with InvocationType
        Event, answered with 202."""
        name, qualifier = names.parse_function(params["FunctionName"], None, context.account, context.region)
        raw: Any = params.get("InvokeArgs") or b""
        payload: bytes = (
            raw.read() if hasattr(raw, "read") else (raw.encode() if isinstance(raw, str) else bytes(raw))
        )
        if len(payload) > ASYNC_MAX_PAYLOAD:
            raise ServiceError(
                "RequestTooLargeException",
                f"Request must be smaller than {ASYNC_MAX_PAYLOAD} bytes for the InvokeAsync operation",
                413,
                Type="User",
            )
        try:
            jsontext.loads(payload or b"{}", jsontext.MAX_PAYLOAD_DEPTH)
        except ValueError as error:
            raise ServiceError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {error}",
                400,
                Type="User",
            ) from None
        self.resolve(context.account, context.region, name, qualifier)
        self.enqueue(context.account, context.region, name, qualifier, payload or b"{}")
        return {"Status": 202}

    # -- logs ------------------------------------------------------------------------------------

    def _write_logs(  # type: ignore[misc]
        self: Provider,
        env,
        invocation: Invocation,
        output: str,
        duration: float,
        init_ms: float | None,
        status: str | None,
    ) -> str:
        spec = env.spec
        request_id = invocation.request_id
        lines = [f"START RequestId: {request_id} Version: {spec.version}"]
        if output:
            lines.extend(line.replace("\r", "\n") for line in output.rstrip("\n").split("\n"))
        lines.append(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, int(duration + 0.999))} ms\tMemory Size: {spec.memory} MB\t"
            f"Max Memory Used: {max(1, env.max_rss_kb // 1024)} MB\t"
        )
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
        if status:
            report += f"Status: {status}\t"
        lines.append(report)
        now = int(time.time() * 1000)
        if not spec.logs:
            return "\n".join(lines) + "\n"
        try:
            logs = self.runtime.provider("logs")
            logs.append(
                spec.account, spec.region, spec.log_group, env.log_stream, [(now, line) for line in lines]
            )
        except Exception:  # a log that cannot be written must not fail the invocation
            log.exception("writing the log of %s failed", spec.name)
        return "\n".join(lines) + "\n"


def request_id() -> str:
    """A new random (version 4) UUID as text: what str(uuid.uuid4()) gives, without building a
    UUID object on every invocation."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def metric_dimensions(name: str, qualifier: str | None) -> list[dict[str, str]]:
    """The dimension sets AWS/Lambda metrics of one invocation carry: the function, and the
    function with its version or alias when one is invoked."""
    dims = [{"FunctionName": name}]
    if qualifier and qualifier != "$LATEST":
        dims.append({"FunctionName": name, "Resource": f"{name}:{qualifier}"})
    return dims
