"""One running Overcast: its configuration, its store, and the service providers it has loaded."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Literal, overload

from overcast import services
from overcast.bus import Bus
from overcast.config import Config
from overcast.faults import Condition, is_disk_full
from overcast.hooks import GlobalHooks, ServiceHooks
from overcast.requestlog import RequestLog
from overcast.scheduler import Scheduler
from overcast.services.base import BaseProvider, overrides
from overcast.store import Store

if TYPE_CHECKING:
    # Only for the types of provider(): a service's module loads on its first request.
    from overcast.services.acm.provider import Provider as ACMProvider
    from overcast.services.apigateway.provider import Provider as APIGatewayProvider
    from overcast.services.apigatewayv2.provider import Provider as APIGatewayV2Provider
    from overcast.services.application_autoscaling.provider import (
        Provider as ApplicationAutoScalingProvider,
    )
    from overcast.services.autoscaling.provider import Provider as AutoScalingProvider
    from overcast.services.cloudformation.provider import Provider as CloudFormationProvider
    from overcast.services.cloudfront.provider import Provider as CloudFrontProvider
    from overcast.services.cloudtrail.provider import Provider as CloudTrailProvider
    from overcast.services.cloudwatch.provider import Provider as CloudWatchProvider
    from overcast.services.dynamodb.provider import Provider as DynamoDBProvider
    from overcast.services.dynamodbstreams.provider import Provider as DynamoDBStreamsProvider
    from overcast.services.ec2.provider import Provider as EC2Provider
    from overcast.services.ecr.provider import Provider as ECRProvider
    from overcast.services.ecs.provider import Provider as ECSProvider
    from overcast.services.elasticache.provider import Provider as ElastiCacheProvider
    from overcast.services.elb.provider import Provider as ELBProvider
    from overcast.services.elbv2.provider import Provider as ELBv2Provider
    from overcast.services.events.provider import Provider as EventsProvider
    from overcast.services.iam.provider import Provider as IAMProvider
    from overcast.services.kinesis.provider import Provider as KinesisProvider
    from overcast.services.kms.provider import Provider as KMSProvider
    from overcast.services.lambda_interface import LambdaProvider
    from overcast.services.logs.provider import Provider as LogsProvider
    from overcast.services.rds.provider import Provider as RDSProvider
    from overcast.services.route53.provider import Provider as Route53Provider
    from overcast.services.s3.provider import Provider as S3Provider
    from overcast.services.scheduler.provider import Provider as SchedulerProvider
    from overcast.services.secretsmanager.provider import Provider as SecretsManagerProvider
    from overcast.services.sns.provider import Provider as SNSProvider
    from overcast.services.sqs.provider import Provider as SQSProvider
    from overcast.services.ssm.provider import Provider as SSMProvider
    from overcast.services.sts.provider import Provider as STSProvider
    from overcast.services.xray.daemon import Daemon as XRayDaemon
    from overcast.services.xray.provider import Provider as XRayProvider

log = logging.getLogger(__name__)

#: The lifecycle interface's names: never an operation's handler, whatever an operation is called.
_HOOK_NAMES = frozenset(name for name in vars(BaseProvider) if not name.startswith("_"))

#: Background work: a task on the loop, or the future of one handed over from another thread.
Background = asyncio.Future[Any] | concurrent.futures.Future[Any]


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store.open(config.data_dir, config.state_url)
        self.providers: dict[str, BaseProvider] = {}
        self._lock = threading.RLock()  # a provider's start() may load another provider
        #: (service, operation) → bound handler, or None when the provider has none.
        self._handlers: dict[tuple[str, str], Callable | None] = {}
        self.bus = Bus(self)
        #: Timers and schedules of every service, on one clock tests can speed up.
        self.scheduler = Scheduler(self)
        #: The hooks of the loaded providers that concern every request, and per service those
        #: the dispatcher calls around its requests: collected when a provider loads.
        self.every_request = GlobalHooks()
        self._service_hooks: dict[str, ServiceHooks] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[Background] = set()
        self._pending: list[tuple[Coroutine[Any, Any, Any], str]] = []
        self.xray_daemon: XRayDaemon | None = None
        #: The recent requests (the dashboard's live log, `overcast logs`).
        self.requests = RequestLog(config.request_log_size)
        self.store.on_reset(self._state_replaced)

    # A service's provider, typed by its name (add a line here for each new service).
    @overload
    def provider(self, service: Literal["acm"]) -> ACMProvider: ...
    @overload
    def provider(self, service: Literal["apigateway"]) -> APIGatewayProvider: ...
    @overload
    def provider(self, service: Literal["apigatewayv2"]) -> APIGatewayV2Provider: ...
    @overload
    def provider(self, service: Literal["cloudformation"]) -> CloudFormationProvider: ...
    @overload
    def provider(self, service: Literal["cloudfront"]) -> CloudFrontProvider: ...
    @overload
    def provider(self, service: Literal["application-autoscaling"]) -> ApplicationAutoScalingProvider: ...
    @overload
    def provider(self, service: Literal["autoscaling"]) -> AutoScalingProvider: ...
    @overload
    def provider(self, service: Literal["cloudtrail"]) -> CloudTrailProvider: ...
    @overload
    def provider(self, service: Literal["cloudwatch"]) -> CloudWatchProvider: ...
    @overload
    def provider(self, service: Literal["dynamodb"]) -> DynamoDBProvider: ...
    @overload
    def provider(self, service: Literal["dynamodbstreams"]) -> DynamoDBStreamsProvider: ...
    @overload
    def provider(self, service: Literal["ecr"]) -> ECRProvider: ...
    @overload
    def provider(self, service: Literal["ecs"]) -> ECSProvider: ...
    @overload
    def provider(self, service: Literal["ec2"]) -> EC2Provider: ...
    @overload
    def provider(self, service: Literal["elb"]) -> ELBProvider: ...
    @overload
    def provider(self, service: Literal["elbv2"]) -> ELBv2Provider: ...
    @overload
    def provider(self, service: Literal["elasticache"]) -> ElastiCacheProvider: ...
    @overload
    def provider(self, service: Literal["events"]) -> EventsProvider: ...
    @overload
    def provider(self, service: Literal["iam"]) -> IAMProvider: ...
    @overload
    def provider(self, service: Literal["kinesis"]) -> KinesisProvider: ...
    @overload
    def provider(self, service: Literal["kms"]) -> KMSProvider: ...
    @overload
    def provider(self, service: Literal["lambda"]) -> LambdaProvider: ...
    @overload
    def provider(self, service: Literal["logs"]) -> LogsProvider: ...
    @overload
    def provider(self, service: Literal["route53"]) -> Route53Provider: ...
    @overload
    def provider(self, service: Literal["rds"]) -> RDSProvider: ...
    @overload
    def provider(self, service: Literal["s3"]) -> S3Provider: ...
    @overload
    def provider(self, service: Literal["scheduler"]) -> SchedulerProvider: ...
    @overload
    def provider(self, service: Literal["secretsmanager"]) -> SecretsManagerProvider: ...
    @overload
    def provider(self, service: Literal["sns"]) -> SNSProvider: ...
    @overload
    def provider(self, service: Literal["sqs"]) -> SQSProvider: ...
    @overload
    def provider(self, service: Literal["ssm"]) -> SSMProvider: ...
    @overload
    def provider(self, service: Literal["sts"]) -> STSProvider: ...
    @overload
    def provider(self, service: Literal["xray"]) -> XRayProvider: ...
    @overload
    def provider(self, service: str) -> BaseProvider: ...

    def provider(self, service: str) -> Any:
        """The service's provider, loaded (and started) on first use."""
        provider = self.providers.get(service)
        if provider is None:
            with self._lock:
                provider = self.providers.get(service)
                if provider is None:
                    provider_class = services.provider_class(service)
                    # Old rows are migrated before the provider reads any (store/layouts.py).
                    self.store.upgrade(service, provider_class.layouts)
                    provider = provider_class(self)
                    self.providers[service] = provider
                    provider.start()
                    self._collect_hooks()
                    log.info("service %s started", service)
        return provider

    def serves(self, service: str) -> bool:
        """Whether the service has a provider here and the SERVICES setting leaves it in."""
        return service in services.implemented() and self.config.service_enabled(service)

    # -- provider hooks ----------------------------------------------------------------------

    def _collect_hooks(self) -> None:
        self.every_request = GlobalHooks.collect(list(self.providers.values()))
        self._service_hooks = {}

    def hooks(self, service: str) -> ServiceHooks:
        """What runs around a request to `service`: checks, observers, CORS, form posts. Loads
        the service's provider (a request to it is coming)."""
        hooks = self._service_hooks.get(service)
        if hooks is None:
            provider = self.provider(service) if self.serves(service) else None
            hooks = ServiceHooks.collect(provider, self.every_request)
            self._service_hooks[service] = hooks
        return hooks

    def resolve_key(self, access_key_id: str) -> dict[str, Any] | None:
        """The credential record behind an access key a service issued (IAM and STS keys)."""
        for resolve in self.every_request.key_resolvers:
            record = resolve(access_key_id)
            if record is not None:
                return record
        return None

    def secret_for(self, access_key_id: str) -> str | None:
        """The secret key behind an access key id, where Overcast knows it: keys IAM or STS
        issued, and the conventional local credentials test/test. None means unknown, so a
        signature made with that key cannot be checked. Under --enforce-iam a root key (`test`
        or a 12-digit account id) signs with the root secret, and None means the key is refused."""
        record = self.resolve_key(access_key_id)
        if record is not None:
            secret: str | None = record.get("Secret")
            return secret
        if self.config.enforce_iam:
            from overcast.enforcement import ROOT_SECRET, is_root_key

            return ROOT_SECRET if is_root_key(access_key_id) else None
        return "test" if access_key_id == "test" else None

    def _state_replaced(self) -> None:
        for provider in list(self.providers.values()):
            try:
                provider.state_replaced()
            except Exception:  # the others must still drop what they cached
                log.exception("%s could not reload after the state was replaced", provider.service)

    # -- background work ---------------------------------------------------------------------

    def attach_loop(self, loop: asyncio.AbstractEventLoop, resume: bool = True) -> None:
        """Run background work on `loop` (the server's), and (unless the caller resumes later,
        off the loop) start the services that have work to resume."""
        self.loop = loop
        pending, self._pending = self._pending, []
        for coroutine, name in pending:
            self.spawn(coroutine, name)
        self._listen_xray_daemon()
        if resume:
            self.resume()

    def resume(self) -> None:
        """Start the services with work to resume: those with state in the store, those that
        always run (AUTOSTART), and the owners of pending deliveries (whose schedules resume)."""
        wanted = (self.store.services_with_state() | services.AUTOSTART) & services.implemented()
        for service in sorted(wanted):
            if self.config.service_enabled(service):
                self.provider(service)
        self.bus.resume()  # deliveries a previous run left pending, with their owners started
        if self.config.dns_at_start and self.config.service_enabled("route53"):
            self.provider("route53")  # its DNS server answers from the start
        if self.config.enforce_iam:
            # IAM's request check authorizes every request from the first one, whichever
            # services are enabled.
            self.provider("iam")

    def _listen_xray_daemon(self) -> None:
        """Serve the X-Ray daemon's UDP protocol, where the SDKs send segments unasked."""
        address = self.config.xray_daemon
        if address is not None and self.config.service_enabled("xray") and self.xray_daemon is None:
            from overcast.services.xray.daemon import Daemon

            self.xray_daemon = Daemon(self, address)
            self.spawn(self.xray_daemon.listen(), "xray-daemon")

    def spawn(self, coroutine: Coroutine, name: str = "") -> None:
        """Run a coroutine in the background on the server's loop, from any thread. Its
        exception, if any, is logged; close() cancels what is still running."""
        loop = self.loop
        if loop is None or loop.is_closed():
            self._pending.append((coroutine, name))  # started once a loop is attached
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        task: Background
        if running is loop:
            task = loop.create_task(coroutine, name=name or None)
        else:
            task = asyncio.run_coroutine_threadsafe(coroutine, loop)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: Background) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            if is_disk_full(error):
                log.warning("a background task could not write: the disk is full")
            else:
                log.error("background task failed", exc_info=error)

    def every(self, seconds: float, work: Callable[[], Any], name: str = "") -> None:
        """Call `work()` (sync or async) every `seconds`, until close(). A failing call is
        logged and the next one still runs."""

        # A full disk fails every cycle until there is room: said once, not in a traceback a cycle.
        condition = Condition(log, f"periodic {name or work}")

        async def repeat() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    result = work()
                    if inspect.isawaitable(result):
                        await result
                except Exception as error:
                    condition.failed(error)
                else:
                    condition.succeeded()

        self.spawn(repeat(), name or getattr(work, "__qualname__", "periodic"))

    def handler(self, service: str, operation: str) -> Callable | None:
        key = (service, operation)
        try:
            return self._handlers[key]
        except KeyError:
            pass
        handler = None
        if self.serves(service):
            from botocore import xform_name

            name = xform_name(operation)
            if name not in _HOOK_NAMES:
                handler = getattr(self.provider(service), name, None)
        self._handlers[key] = handler
        return handler

    def service_states(self) -> dict[str, str]:
        """Every implemented service: running (loaded), available (loads on first request) or
        disabled (left out by the SERVICES setting)."""
        states = {}
        for name in sorted(services.implemented()):
            if not self.config.service_enabled(name):
                states[name] = "disabled"
            elif name in self.providers:
                states[name] = "running"
            else:
                states[name] = "available"
        return states

    def reset(self) -> None:
        """Forget all state: every provider's runtime state, then the store."""
        for provider in list(self.providers.values()):
            provider.reset()
        self.store.reset()

    def import_state(self, path: str | os.PathLike[str]) -> None:
        """Replace all state with an export's (ValueError if it is not one)."""
        for provider in list(self.providers.values()):
            provider.reset()
        self.store.import_from(path)

    def stopping(self) -> None:
        """The server begins to stop: providers end their long waits."""
        for provider in list(self.providers.values()):
            if overrides(provider, "stop"):
                try:
                    provider.stop()
                except Exception:
                    log.exception("stopping %s failed", provider.service)

    def close(self) -> None:
        if self.xray_daemon is not None:
            self.xray_daemon.close()
        for task in list(self._tasks):
            task.cancel()
        for coroutine, _ in self._pending:
            coroutine.close()
        self._pending.clear()
        for provider in list(self.providers.values()):
            try:
                provider.close()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("stopping %s failed", provider.service)
        self.store.close()
