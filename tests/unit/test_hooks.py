"""The provider lifecycle interface (services/base.py) as the runtime and dispatcher use it:
which hooks are collected, in which order they run, and that a service's own hooks run only
for its requests."""

from __future__ import annotations

import asyncio
import re

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.hooks import GlobalHooks, ServiceHooks
from overcast.http import Request
from overcast.services.base import BaseProvider, HostRoute, arn_account, overrides


class Plain(BaseProvider):
    service = "plain"


class Watcher(BaseProvider):
    """Takes part in every request, as IAM's enforcement and CloudTrail's audit do."""

    service = "watcher"
    host_routes = (HostRoute(re.compile(r"^(?P<thing>[a-z]+)\.watch\.example$"), "serve"),)

    def __init__(self, runtime, calls: list) -> None:
        super().__init__(runtime)
        self.calls = calls

    def check_any_request(self, context, params):
        self.calls.append(("watcher checks", context.service))
        if params.get("refuse"):
            raise ServiceError("AccessDenied", "no", 403)

    def observe_any_request(self, context, params, output, error) -> None:
        self.calls.append(("watcher observes", context.service))

    def resolve_key(self, access_key_id: str):
        return {"Secret": "s3cr3t"} if access_key_id == "AKIAWATCHER000000000" else None

    def serve(self, request, match, context):
        return match.group("thing")


class Own(BaseProvider):
    """Checks and observes its own requests only; the check must wait for something."""

    service = "own"

    def __init__(self, runtime, calls: list) -> None:
        super().__init__(runtime)
        self.calls = calls

    def check_request(self, context, params):
        async def check() -> None:
            await asyncio.sleep(0)
            self.calls.append(("own checks", context.service))

        return check()

    def after_request(self, context, params, output, error) -> None:
        self.calls.append(("own observes", context.service))
        raise RuntimeError("an observer's bug")


def context_for(service: str) -> RequestContext:
    return RequestContext(request=Request("POST", "/", "", {}), request_id="r", service=service)


def test_overrides_tells_an_implemented_hook_from_the_inherited_no_op(runtime):
    calls: list = []
    assert not overrides(Plain(runtime), "check_request")
    assert overrides(Own(runtime, calls), "check_request")
    assert not overrides(Own(runtime, calls), "check_any_request")
    assert overrides(Watcher(runtime, calls), "check_any_request")


def test_a_provider_that_overrides_nothing_adds_nothing(runtime):
    every = GlobalHooks.collect([Plain(runtime)])
    assert every == GlobalHooks()
    hooks = ServiceHooks.collect(Plain(runtime), every)
    assert (hooks.checks, hooks.observers, hooks.cors, hooks.form_post) == ((), (), None, None)


def test_every_request_hooks_run_first_and_observers_last(runtime):
    calls: list = []
    watcher, own = Watcher(runtime, calls), Own(runtime, calls)
    every = GlobalHooks.collect([watcher, own])
    hooks = ServiceHooks.collect(own, every)
    asyncio.run(hooks.check(context_for("own"), {}))
    hooks.observe(context_for("own"), {}, {}, None)  # Own's observer raises: logged, not raised
    assert calls == [
        ("watcher checks", "own"),
        ("own checks", "own"),
        ("own observes", "own"),
        ("watcher observes", "own"),
    ]


def test_a_refusing_check_stops_the_checks_after_it(runtime):
    calls: list = []
    watcher, own = Watcher(runtime, calls), Own(runtime, calls)
    hooks = ServiceHooks.collect(own, GlobalHooks.collect([watcher, own]))
    with pytest.raises(ServiceError):
        asyncio.run(hooks.check(context_for("own"), {"refuse": True}))
    assert calls == [("watcher checks", "own")]


def test_another_service_gets_only_the_every_request_hooks(runtime):
    calls: list = []
    watcher, own = Watcher(runtime, calls), Own(runtime, calls)
    hooks = ServiceHooks.collect(Plain(runtime), GlobalHooks.collect([watcher, own]))
    asyncio.run(hooks.check(context_for("plain"), {}))
    hooks.observe(context_for("plain"), {}, {}, None)
    assert calls == [("watcher checks", "plain"), ("watcher observes", "plain")]


def test_host_routes_and_key_resolvers_are_collected(runtime):
    watcher = Watcher(runtime, [])
    every = GlobalHooks.collect([Plain(runtime), watcher])
    [(pattern, service, serve)] = every.host_routes
    assert service == "watcher"
    match = pattern.match("thing.watch.example")
    assert match is not None and serve(None, match, None) == "thing"
    assert [resolve("AKIAWATCHER000000000") for resolve in every.key_resolvers] == [{"Secret": "s3cr3t"}]


def test_s3_hooks_run_only_for_s3_requests(runtime):
    s3_hooks = runtime.hooks("s3")
    assert s3_hooks.form_post is not None and s3_hooks.cors is runtime.providers["s3"]
    s3_provider = runtime.providers["s3"]
    for service in ("sqs", "dynamodb"):
        hooks = runtime.hooks(service)
        assert hooks.form_post is None and hooks.cors is None
        owners = {getattr(hook, "__self__", None) for hook in hooks.checks + hooks.observers}
        assert s3_provider not in owners


def test_loading_a_provider_recollects_the_hooks(runtime):
    before = runtime.hooks("sqs")
    assert runtime.hooks("sqs") is before  # collected once per service
    runtime.provider("cloudtrail")  # audits every request
    after = runtime.hooks("sqs")
    assert after is not before
    assert runtime.providers["cloudtrail"].observe_any_request in after.observers


def test_a_service_without_provider_still_gets_the_every_request_hooks(runtime):
    runtime.provider("cloudtrail")
    hooks = runtime.hooks("codebuild")  # no provider here
    assert hooks.provider is None
    assert runtime.providers["cloudtrail"].observe_any_request in hooks.observers


def test_a_disabled_service_is_not_loaded(runtime):
    runtime.config.services = frozenset({"sqs"})
    assert not runtime.serves("sns")
    assert runtime.hooks("sns").provider is None
    assert "sns" not in runtime.providers


def test_stopping_ends_sqs_long_polls(runtime):
    sqs = runtime.provider("sqs")
    assert not sqs.stopping
    runtime.stopping()
    assert sqs.stopping


def test_reset_and_import_reach_state_replaced(runtime, tmp_path):
    sqs = runtime.provider("sqs")
    context = RequestContext.internal("sqs", "000000000000")
    sqs.create_queue(context, {"QueueName": "kept"})
    export = tmp_path / "state.tar.gz"
    runtime.store.export_to(export)
    runtime.reset()
    assert sqs.queues == {}  # the cache went with the store
    runtime.import_state(export)
    assert [key[2] for key in sqs.queues] == ["kept"]  # and came back with the import


def test_arn_account():
    assert arn_account("arn:aws:sqs:us-east-1:123456789012:q") == "123456789012"
    assert arn_account("arn:aws:s3:::bucket/key") is None
    assert arn_account("*") is None


def test_a_hook_is_never_taken_for_an_operation_handler(runtime):
    assert runtime.handler("sqs", "SendMessage") is not None
    for operation in ("Start", "Stop", "Reset", "Close", "Deliver", "CheckRequest", "ResolveKey"):
        assert runtime.handler("sqs", operation) is None


def test_a_provider_that_fails_to_start_answers_an_aws_shaped_error(runtime, monkeypatch):
    from overcast.dispatch import Dispatcher
    from overcast.services.sts.provider import Provider as STSProvider

    def broken_start(self) -> None:
        raise RuntimeError("a bug in start()")

    monkeypatch.setattr(STSProvider, "start", broken_start)
    authorization = (
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    request = Request(
        "POST",
        "/",
        "",
        {"content-type": "application/x-www-form-urlencoded", "authorization": authorization},
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    response, context = asyncio.run(Dispatcher(runtime).dispatch(request))
    assert context.service == "sts"
    assert response.status == 500
    assert b"<Code>InternalFailure</Code>" in bytes(response.body)


class PathServer(BaseProvider):
    """Serves paths of its own whatever the Host, as API Gateway's /_aws/execute-api/ forms."""

    service = "pathserver"
    path_routes = (HostRoute(re.compile(r"^/_aws/things/(?P<thing>[a-z]+)$"), "serve"),)

    def serve(self, request, match, context):
        return match.group("thing")


def test_path_routes_are_collected(runtime):
    every = GlobalHooks.collect([Plain(runtime), PathServer(runtime)])
    assert every.host_routes == ()
    [(pattern, service, serve)] = every.path_routes
    assert service == "pathserver"
    match = pattern.match("/_aws/things/box")
    assert match is not None and serve(None, match, None) == "box"
