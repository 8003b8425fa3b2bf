"""Every setting Overcast reads, in one place: flags and the environment (OVERCAST_*, and
LocalStack's names where they mean the same thing, so existing setups carry over).

`Config` holds what the command line can set; `TUNINGS` the numbers a service reads (delays,
intervals) that tests and impatient users shorten. No other module reads the environment;
the README's settings table documents each of them (a test checks both).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 4566
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Tuning:
    """A number a service reads from the environment, with its default and what it means."""

    env: str
    default: float
    meaning: str
    minimum: float = 0.0


#: The numbers services read, by environment variable.
TUNINGS: dict[str, Tuning] = {
    tuning.env: tuning
    for tuning in (
        Tuning(
            "OVERCAST_S3_LIFECYCLE_DAY_SECONDS", 86400, "length of an S3 lifecycle day, in seconds", 0.001
        ),
        Tuning(
            "OVERCAST_SECRETSMANAGER_DAY_SECONDS",
            86400,
            "length of a Secrets Manager day (rotation schedules, recovery windows), in seconds",
            0.001,
        ),
        Tuning("OVERCAST_S3_RESTORE_SECONDS", 1, "seconds an S3 RestoreObject of an archived object takes"),
        Tuning("OVERCAST_SNS_RETRY_DELAY_SCALE", 1, "factor on SNS's HTTP/S retry waits"),
        Tuning(
            "OVERCAST_SNS_SANDBOX_DELETE_SECONDS",
            86400,
            "seconds after its last verification attempt before an SMS sandbox number can be deleted",
        ),
        Tuning(
            "OVERCAST_DELIVERY_HOLD_SECONDS",
            0,
            "seconds every delivery between services waits before its first attempt",
        ),
        Tuning(
            "OVERCAST_SCHEDULE_SPEED",
            1,
            "how much faster than the wall clock schedules run (EventBridge scheduled rules)",
            0.001,
        ),
        Tuning(
            "OVERCAST_EVENTS_RETRY_DELAY_SCALE",
            1,
            "factor on the waits between EventBridge's retries of a target that failed",
        ),
        Tuning("OVERCAST_DYNAMODB_TTL_INTERVAL", 5, "seconds between DynamoDB TTL sweeps", 0.01),
        Tuning(
            "OVERCAST_DYNAMODB_PITR_LAG_SECONDS",
            300,
            "seconds DynamoDB's latest restorable point in time lags behind now",
        ),
        Tuning("OVERCAST_LAMBDA_IDLE_SECONDS", 300, "seconds a warm Lambda environment is kept unused", 0.01),
        Tuning(
            "OVERCAST_LAMBDA_ASYNC_RETRY_SECONDS",
            60,
            "seconds before an asynchronous Lambda invocation that failed is tried again",
        ),
        Tuning("OVERCAST_CLOUDTRAIL_FLUSH_SECONDS", 0.25, "seconds between writes of recorded calls", 0.001),
        Tuning(
            "OVERCAST_CLOUDTRAIL_DELIVERY_SECONDS",
            300,
            "seconds between CloudTrail log file deliveries to a trail's bucket",
            0.01,
        ),
        Tuning("OVERCAST_CLOUDTRAIL_DIGEST_SECONDS", 3600, "seconds between CloudTrail digest files", 0.01),
        Tuning(
            "OVERCAST_KMS_DAY_SECONDS",
            86400,
            "length of a KMS day (deletion windows, rotation periods), in seconds",
            0.001,
        ),
        Tuning(
            "OVERCAST_SSM_WINDOW_HOUR_SECONDS",
            3600,
            "length of an hour for the wait until a maintenance window's next run, in seconds",
            0.0001,
        ),
        Tuning(
            "OVERCAST_HEADER_TIMEOUT_SECONDS",
            10,
            "seconds a client has to send a request's headers before its connection is closed",
            0.01,
        ),
        Tuning(
            "OVERCAST_BODY_IDLE_SECONDS",
            20,
            "seconds a request body may stall (nothing arriving) before the request is refused",
            0.01,
        ),
        Tuning(
            "OVERCAST_LOGS_LIVE_TAIL_SECONDS",
            10800,
            "seconds a CloudWatch Logs Live Tail session lasts",
            0.01,
        ),
        Tuning(
            "OVERCAST_KINESIS_HOUR_SECONDS",
            3600,
            "length of a Kinesis retention hour, in seconds (records age out after the stream's hours)",
            0.001,
        ),
        Tuning(
            "OVERCAST_KINESIS_SUBSCRIPTION_SECONDS",
            300,
            "seconds a Kinesis SubscribeToShard subscription lasts",
            0.01,
        ),
        Tuning(
            "OVERCAST_ECR_DAY_SECONDS",
            86400,
            "length of an ECR lifecycle policy day (sinceImagePushed rules), in seconds",
            0.001,
        ),
        Tuning(
            "OVERCAST_ECR_LIFECYCLE_SECONDS",
            3600,
            "seconds between evaluations of each ECR repository's lifecycle policy",
            0.01,
        ),
        Tuning(
            "OVERCAST_ECR_TOKEN_SECONDS",
            43200,
            "seconds an ECR authorization token (GetAuthorizationToken, docker login) stays valid",
            1,
        ),
        Tuning(
            "OVERCAST_ECS_SERVICE_SECONDS",
            2,
            "seconds between checks that each ECS service runs its desired count of tasks",
            0.05,
        ),
        Tuning(
            "OVERCAST_CLOUDWATCH_FLUSH_SECONDS",
            5,
            "seconds between writes of the metrics services publish to CloudWatch",
            0.01,
        ),
    )
}


def tuning(env: str) -> float:
    """The value of a tuning: the environment's, else its default. Read when asked, so a
    test that sets the variable for a server it starts sees it; check_tunings() has already
    refused a value that is not a number at start."""
    setting = TUNINGS[env]
    raw = os.environ.get(env, "").strip()
    if not raw:
        return setting.default
    try:
        return max(setting.minimum, float(raw))
    except ValueError:
        return setting.default


def check_tunings(environ: dict[str, str] | None = None) -> list[str]:
    """What is wrong with the tunings set in the environment, one line each."""
    env = os.environ if environ is None else environ
    problems = []
    for name in TUNINGS:
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            float(raw)
        except ValueError:
            problems.append(f"{name} must be a number of seconds (or a factor), not {raw!r}")
    return problems


def strict_wire() -> bool:
    """OVERCAST_STRICT_WIRE=1 (the test suite sets it): an output key a handler returns that its
    operation's output shape lacks fails the request instead of being logged once."""
    return os.environ.get("OVERCAST_STRICT_WIRE", "") not in ("", "0")


def ecr_registry(port: int) -> str:
    """The registry host (and path prefix) ECR's repository URIs and docker login name:
    OVERCAST_ECR_REGISTRY, a template that may name {port}, {account} and {region}. The default,
    `localhost:{port}/{account}/{region}`, is one Docker reaches over plain HTTP with no
    configuration (a loopback registry) and that keeps accounts and regions apart in the path;
    `{account}.dkr.ecr.{region}.amazonaws.com` is AWS's own form, for machines whose DNS
    resolves it to Overcast."""
    template = os.environ.get("OVERCAST_ECR_REGISTRY", "").strip() or "localhost:{port}/{account}/{region}"
    return template.replace("{port}", str(port))


def pyenv_root() -> Path:
    """Where pyenv keeps its Pythons (Lambda looks there for a function's runtime version)."""
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def cache_dir() -> Path:
    """Where Overcast keeps what it can rebuild or download again (the botocore catalog, the
    AWS SDK for JavaScript that Node.js functions use): OVERCAST_CACHE_DIR, else
    $XDG_CACHE_HOME/overcast, else ~/.cache/overcast."""
    base = os.environ.get("OVERCAST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "overcast"
    )
    return Path(base)


#: Where the binaries of each engine Overcast runs (RDS, ElastiCache) are, when not where
#: Debian's packages put them or on PATH: one directory per engine.
ENGINE_BIN_DIRS = {
    "postgres": "OVERCAST_POSTGRES_BIN_DIR",
    "mariadb": "OVERCAST_MARIADB_BIN_DIR",
    "redis": "OVERCAST_REDIS_BIN_DIR",
    "memcached": "OVERCAST_MEMCACHED_BIN_DIR",
}


def engine_bin_dir(engine: str) -> Path | None:
    """The directory the user named for an engine's binaries (OVERCAST_<ENGINE>_BIN_DIR), or None."""
    variable = ENGINE_BIN_DIRS.get(engine)
    raw = os.environ.get(variable, "").strip() if variable else ""
    return Path(raw) if raw else None


def engine_user() -> str:
    """The unprivileged system user engines run as when Overcast runs as root (PostgreSQL
    refuses root): OVERCAST_ENGINE_USER, created with `useradd --system` if absent."""
    return os.environ.get("OVERCAST_ENGINE_USER", "").strip() or "overcast-engine"


def docker_host() -> str:
    """Where the Docker Engine that runs containers (ECS tasks) listens: DOCKER_HOST, else the
    default socket. Nothing connects to it until a container is to run."""
    return os.environ.get("DOCKER_HOST", "").strip() or "unix:///var/run/docker.sock"


def _truthy(value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Config:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: None means ephemeral: everything in memory, gone at exit.
    data_dir: Path | None = Path(".overcast")
    #: A postgresql:// URL: the state's rows live in that database (the data dir keeps files).
    state_url: str | None = None
    #: Empty means every service.
    services: frozenset[str] = field(default_factory=frozenset)
    debug: bool = False
    log_requests: bool = True
    #: The per-request lines: "text" (one readable line) or "json" (one object a line).
    log_format: str = "text"
    #: Colour the per-request lines by status: None decides by whether stdout is a terminal.
    color: bool | None = None
    #: How many recent requests the in-memory request log keeps (dashboard, `overcast logs`).
    request_log_size: int = 2000
    #: Authorize every request with IAM policies and verify SigV4 signatures.
    enforce_iam: bool = False
    #: Where the X-Ray daemon's UDP protocol is served (None: nowhere), as the SDKs' default.
    xray_daemon: tuple[str, int] | None = ("127.0.0.1", 2000)
    #: Where Route 53's DNS server answers (None: nowhere); bound once a hosted zone exists,
    #: or at start when dns_at_start (the address was set explicitly).
    dns_address: tuple[str, int] | None = ("127.0.0.1", 5053)
    dns_at_start: bool = False

    @property
    def ephemeral(self) -> bool:
        return self.data_dir is None

    def service_enabled(self, name: str) -> bool:
        return not self.services or name in self.services


class ConfigError(ValueError):
    """A setting Overcast cannot use, said in one line naming the setting."""


def parse_port(value: str, source: str = "--port") -> int:
    """A port number from a flag or the environment: 1 to 65535, or 0 for a free port the
    system picks (printed when the server listens)."""
    text = value.strip()
    try:
        port = int(text)
    except ValueError:
        raise ConfigError(
            f"{source} must be a port number (1-65535, or 0 for any free port), not {value!r}"
        ) from None
    if not 0 <= port <= 65535:
        raise ConfigError(
            f"{source} must be a port number from 1 to 65535 (or 0 for any free port), not {port}"
        )
    return port


LOG_FORMATS = ("text", "json")


def parse_log_format(value: str, source: str = "--log-format") -> str:
    text = value.strip().lower()
    if text not in LOG_FORMATS:
        raise ConfigError(f"{source} must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return text


def parse_daemon_address(value: str, source: str) -> tuple[str, int] | None:
    """`host:port` (the X-Ray SDKs' AWS_XRAY_DAEMON_ADDRESS form), or None for `off`."""
    text = value.strip()
    if text.lower() in ("off", "0", "false", "no"):
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{source} must be host:port (e.g. 127.0.0.1:2000) or off, not {value!r}")
    return host, parse_port(port, source)


def parse_listen(value: str) -> tuple[str | None, int | None]:
    """`GATEWAY_LISTEN` ("0.0.0.0:4566", ":4566", "4566", or a comma list: the first counts)."""
    first = value.split(",")[0].strip()
    if not first:
        return None, None
    if ":" not in first:
        return None, parse_port(first, "GATEWAY_LISTEN")
    host, _, port = first.rpartition(":")
    return (host or None), (parse_port(port, "GATEWAY_LISTEN") if port else None)


def parse_services(value: str | None, source: str | None = None) -> frozenset[str]:
    """The services named in a comma list. With `source` (the flag or variable it came from),
    a name Overcast does not emulate is refused, naming the ones it does."""
    if not value:
        return frozenset()
    names = frozenset(name.strip().lower() for name in value.split(",") if name.strip())
    if source is not None:
        unknown = names - known_services()
        if unknown:
            raise ConfigError(
                f"{source} names {_listing(unknown)}, which Overcast does not emulate;"
                f" it emulates {', '.join(sorted(known_services()))}"
            )
    return names


def known_services() -> frozenset[str]:
    from overcast.services import implemented

    return implemented()


def _listing(names: frozenset[str]) -> str:
    ordered = sorted(names)
    return (
        f"the unknown service {ordered[0]}"
        if len(ordered) == 1
        else f"the unknown services {', '.join(ordered)}"
    )


def from_environment(environ: dict[str, str] | None = None) -> Config:
    """The settings the environment gives (ConfigError, naming the variable, for one that
    cannot be used)."""
    env = os.environ if environ is None else environ
    config = Config()
    if "GATEWAY_LISTEN" in env:
        host, port = parse_listen(env["GATEWAY_LISTEN"])
        config.host = host or config.host
        config.port = port or config.port
    config.host = env.get("OVERCAST_HOST", config.host)
    if env.get("OVERCAST_PORT", "").strip():
        config.port = parse_port(env["OVERCAST_PORT"], "OVERCAST_PORT")
    # LocalStack's PERSISTENCE=0 asks for no persistence; Overcast persists unless told not to.
    if _truthy(env.get("PERSISTENCE")) is False:
        config.data_dir = None
    if env.get("OVERCAST_DATA_DIR"):
        config.data_dir = Path(env["OVERCAST_DATA_DIR"])
    if _truthy(env.get("OVERCAST_EPHEMERAL")):
        config.data_dir = None
    if env.get("OVERCAST_STATE_URL", "").strip():
        config.state_url = env["OVERCAST_STATE_URL"].strip()
    # LocalStack's SERVICES may name services Overcast does not emulate (a setup written for
    # LocalStack): those are only left disabled. Overcast's own setting is checked.
    if env.get("OVERCAST_SERVICES"):
        config.services = parse_services(env["OVERCAST_SERVICES"], "OVERCAST_SERVICES")
    else:
        config.services = parse_services(env.get("SERVICES"))
    config.debug = bool(_truthy(env.get("OVERCAST_DEBUG")) or _truthy(env.get("DEBUG")))
    config.enforce_iam = bool(_truthy(env.get("OVERCAST_ENFORCE_IAM")) or _truthy(env.get("ENFORCE_IAM")))
    if _truthy(env.get("OVERCAST_LOG_REQUESTS")) is False:
        config.log_requests = False
    if env.get("OVERCAST_LOG_FORMAT", "").strip():
        config.log_format = parse_log_format(env["OVERCAST_LOG_FORMAT"], "OVERCAST_LOG_FORMAT")
    if "NO_COLOR" in env:  # https://no-color.org: any value turns colour off
        config.color = False
    elif _truthy(env.get("FORCE_COLOR")):
        config.color = True
    if env.get("OVERCAST_REQUEST_LOG_SIZE", "").strip():
        size = env["OVERCAST_REQUEST_LOG_SIZE"].strip()
        if not size.isdigit() or int(size) < 1:
            raise ConfigError(f"OVERCAST_REQUEST_LOG_SIZE must be a positive number, not {size!r}")
        config.request_log_size = int(size)
    if env.get("OVERCAST_XRAY_DAEMON_ADDRESS", "").strip():
        config.xray_daemon = parse_daemon_address(
            env["OVERCAST_XRAY_DAEMON_ADDRESS"], "OVERCAST_XRAY_DAEMON_ADDRESS"
        )
    if env.get("OVERCAST_DNS_ADDRESS", "").strip():
        config.dns_address = parse_daemon_address(env["OVERCAST_DNS_ADDRESS"], "OVERCAST_DNS_ADDRESS")
        config.dns_at_start = config.dns_address is not None
    return config


def patch_environment(values: dict[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, remove) environment variables; what they were, for
    restore_environment. mock_aws points the AWS SDKs at an in-process Overcast this way."""
    previous = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return previous


def restore_environment(previous: dict[str, str | None]) -> None:
    patch_environment(previous)
