"""Execution environments: one child process per environment running the function's runtime,
its Runtime API listener, its captured output, and the pool that reuses them while warm."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, cast

from overcast.config import pyenv_root, tuning

from . import nodesdk, runtime_api
from .isolation import PLAN_VARIABLE, Isolation, Sandbox, launcher

log = logging.getLogger(__name__)

BOOTSTRAP_DIR = Path(__file__).parent / "bootstrap"
#: Output kept per invocation; beyond it output is read and dropped (a handler printing
#: 100 MB costs reads, not memory).
OUTPUT_CAP = 1 << 20
INIT_TIMEOUT = 10.0
IDLE_SECONDS = tuning("OVERCAST_LAMBDA_IDLE_SECONDS")


#: Every process of an environment carries this variable naming it, so that one which left the
#: environment's process group (setsid, a double fork) is still found when the environment ends.
MARKER = "_OVERCAST_LAMBDA_ENVIRONMENT"


def kill_marked(markers: set[str]) -> None:
    """SIGKILL every process of this user whose initial environment carries one of `markers`
    (/proc/PID/environ). Called when environments end, which is rare next to invocations."""
    if not markers:
        return
    wanted = {f"{MARKER}={marker}".encode() for marker in markers}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                variables = handle.read().split(b"\0")
        except OSError:
            continue  # gone already, or another user's
        if wanted.intersection(variables):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@dataclass
class FunctionSpec:
    """Everything an environment of one function version needs to start."""

    account: str
    region: str
    name: str
    version: str  # "$LATEST" or "1", "2", ...
    revision: str  # changes whenever code or configuration does
    runtime: str
    handler: str
    memory: int
    timeout: int
    code_dir: str
    opt_dir: str
    environment: dict[str, str]
    endpoint: str
    function_arn: str
    #: The execution role's session credentials under IAM enforcement; else None (the account's).
    credentials: dict | None = None
    #: Whether its output goes to the account's log group (hosted code's, which AWS runs on its
    #: side, does not).
    logs: bool = True

    @property
    def key(self) -> tuple:
        return (self.account, self.region, self.name, self.version, self.revision)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    invoked_arn: str
    timeout: float
    client_context: str = ""
    trace_id: str = ""
    deadline_ms: int = 0
    future: asyncio.Future | None = None
    started: float = 0.0


@dataclass
class Outcome:
    """What an invocation came to: the payload, or an error body and its type."""

    payload: bytes
    error: dict | None
    log_text: str
    version: str
    duration_ms: float
    init_ms: float | None = None


@dataclass
class _Interpreter:
    command: list[str]
    warning: str = ""


def _python_for(runtime: str) -> _Interpreter:
    wanted = runtime[len("python") :]
    candidates = [f"/usr/bin/python{wanted}", f"/usr/local/bin/python{wanted}"]
    pyenv = pyenv_root() / "versions"
    if pyenv.is_dir():
        for version in sorted(pyenv.iterdir(), reverse=True):
            if version.name == wanted or version.name.startswith(wanted + "."):
                candidates.append(str(version / "bin" / f"python{wanted}"))
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            if wanted == here or _imports_sdk(candidate):
                return _Interpreter([candidate])
            warning = (
                f"python{wanted} at {candidate} cannot import the AWS SDK Overcast provides; "
                f"{runtime} functions run on Python {here}"
            )
            return _Interpreter([sys.executable], warning)
    warning = (
        ""
        if here == wanted
        else (f"no python{wanted} interpreter on this machine; {runtime} functions run on Python {here}")
    )
    return _Interpreter([sys.executable], warning)


def _imports_sdk(python: str) -> bool:
    """Whether an interpreter can import boto3 from the SDK directory (botocore's urllib3 2.x
    needs Python 3.10 or later, for one)."""
    try:
        subprocess.run(
            [python, "-c", "import boto3"],
            env={"PYTHONPATH": sdk_dir(), "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def lang_programs(spec: FunctionSpec) -> dict[str, str]:
    """What AWS's environment has in /var/lang/bin for the runtime: its interpreter."""
    if spec.runtime.startswith("python"):
        program = interpreter(spec.runtime, spec.code_dir).command[0]
        return {"python": program, "python3": program, spec.runtime: program}
    if spec.runtime.startswith("nodejs"):
        node = shutil.which("node")
        return {"node": node} if node else {}
    return {}


_interpreters: dict[str, _Interpreter] = {}
_warned: set[str] = set()


def interpreter(runtime: str, code_dir: str) -> _Interpreter:
    if runtime.startswith("provided"):
        return _Interpreter([os.path.join(code_dir, "bootstrap")])
    found = _interpreters.get(runtime)
    if found is None:
        if runtime.startswith("python"):
            found = _python_for(runtime)
            found.command = [*found.command, str(BOOTSTRAP_DIR / "python_runtime.py")]
        else:
            node = shutil.which("node") or "node"
            found = _Interpreter([node, str(BOOTSTRAP_DIR / "node_runtime.js")])
        _interpreters[runtime] = found
    if found.warning and runtime not in _warned:
        _warned.add(runtime)
        log.warning(found.warning)
    return found


_sdk_dir: str | None = None


def sdk_dir() -> str:
    """A directory holding only the AWS SDK for Python (boto3 and what it needs), linked from
    Overcast's own environment, so every Python runtime can import boto3 as on AWS without
    seeing Overcast's other packages."""
    global _sdk_dir
    if _sdk_dir is None:
        import boto3
        import botocore
        import dateutil
        import jmespath
        import s3transfer
        import six
        import urllib3

        target = Path(tempfile.mkdtemp(prefix="overcast-lambda-sdk-"))
        os.chmod(target, 0o755)  # links to public packages, read by functions' own users
        for module in (boto3, botocore, dateutil, jmespath, s3transfer, urllib3):
            package = Path(cast(str, module.__file__)).parent  # each is a package: it has a file
            os.symlink(package, target / package.name)
        os.symlink(six.__file__, target / "six.py")
        _sdk_dir = str(target)
    return _sdk_dir


def node_modules_of(spec: FunctionSpec) -> list[str]:
    """The node_modules folders a Node.js function brings: its layers' (as AWS's runtimes
    search them), then its own."""
    major = spec.runtime[len("nodejs") :].split(".")[0]
    opt = spec.opt_dir
    return [
        f"{opt}/nodejs/node{major}/node_modules",
        f"{opt}/nodejs/node_modules",
        f"{spec.code_dir}/node_modules",
    ]


class Environment:
    """One execution environment: a runtime process that handles one invocation at a time."""

    def __init__(
        self,
        spec: FunctionSpec,
        on_log: Callable,
        provisioned: bool = False,
        isolation: Isolation | None = None,
    ) -> None:
        self.spec = spec
        self.isolation = isolation
        self.sandbox: Sandbox | None = None
        self.id = uuid.uuid4().hex
        self.provisioned = provisioned
        self.on_log = on_log
        today = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream = f"{today}/[{spec.version}]{self.id}"
        self.process: subprocess.Popen | None = None
        self.server: asyncio.Server | None = None
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.current: Invocation | None = None
        self._waiter: asyncio.Future | None = None
        self._queued: Invocation | None = None
        self.output = bytearray()
        self.dropped = 0
        self.dead = False
        self.exit_reason = ""
        self.last_used = time.monotonic()
        self.init_ms: float | None = None
        self._started = 0.0
        self._fds: list[int] = []
        self.tmp_dir = ""
        self._rss_read_at = 0.0
        self._max_rss = 0
        self.markers = {self.id}
        self.retired = False  # its function changed or went away mid-invocation: end it after
        #: Why the AWS SDK for JavaScript this Node.js function uses could not be installed.
        self.sdk_problem = ""

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, endpoint_env: dict[str, str], standby: Standby | None = None) -> None:
        spec = self.spec
        self.server = await runtime_api.serve(self)
        port = self.server.sockets[0].getsockname()[1]
        isolation = self.isolation
        if isolation is not None and isolation.check():
            sandbox = self.sandbox = isolation.prepare(
                spec.account, spec.region, spec.name, spec.code_dir, spec.opt_dir, lang_programs(spec)
            )
            # Inside its sandbox the environment sees its code and layers at these folders.
            spec = self.spec = replace(spec, code_dir=sandbox.task_dir, opt_dir=sandbox.opt_dir)
            self.tmp_dir = sandbox.tmp_dir
        else:
            self.tmp_dir = tempfile.mkdtemp(prefix="overcast-lambda-tmp-")
        env = self._environment(port, endpoint_env)
        self._started = time.perf_counter()
        loop = asyncio.get_running_loop()
        wrapper = exec_wrapper(spec)
        if wrapper is not None and standby is not None:
            standby.kill()  # a wrapped runtime starts through its wrapper, never from a standby
            standby = None
        plan = self.sandbox.plan if self.sandbox is not None else None
        # A launcher standby (sandbox.py's) enters the sandbox, then runs the runtime's command.
        then = interpreter(spec.runtime, spec.code_dir).command if standby and standby.launches else None
        if standby is not None and standby.hand_over(env, spec.code_dir, plan, then):
            self.process, read_fd = standby.process, standby.read_fd
            self.markers.add(standby.id)  # what its own /proc environ (and its forks') shows
        else:
            if standby is not None:
                standby.kill()
            command = interpreter(spec.runtime, spec.code_dir).command
            if wrapper is not None:
                # AWS_LAMBDA_EXEC_WRAPPER: the script runs with the runtime's command line as
                # its arguments, as AWS starts wrapped runtimes.
                command = [wrapper, *command]
            if plan is not None:
                env = {**env, PLAN_VARIABLE: json.dumps(plan)}
                if wrapper is not None or not spec.runtime.startswith("python"):
                    command = [*launcher(), *command]  # Python's runtime enters it itself
            read_fd, write_fd = os.pipe()
            os.set_blocking(read_fd, False)
            try:
                self.process = subprocess.Popen(
                    command,
                    cwd=spec.code_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=write_fd,
                    stderr=write_fd,
                    start_new_session=True,  # its own process group: a kill takes its children too
                    close_fds=True,
                )
            except OSError as error:
                os.close(read_fd)
                os.close(write_fd)
                self.dead = True
                self.exit_reason = str(error)
                self.server.close()
                raise
            os.close(write_fd)
        self._fds.append(read_fd)
        loop.add_reader(read_fd, self._read_output, read_fd)
        try:
            pidfd = os.pidfd_open(self.process.pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            self._fds.append(pidfd)
            loop.add_reader(pidfd, self._exited)
        else:  # no pidfd: the output pipe's end, or the periodic reaper, notices the exit
            pass

    def _environment(self, port: int, endpoint_env: dict[str, str]) -> dict[str, str]:
        spec = self.spec
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": self.tmp_dir,
            "TMPDIR": self.tmp_dir,
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP_DIR),
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if self.provisioned else "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_ACCESS_KEY_ID": spec.account,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "overcast-lambda",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
            "LD_LIBRARY_PATH": f"{spec.opt_dir}/lib",
            MARKER: self.id,
            **endpoint_env,
        }
        if spec.credentials is not None:
            env["AWS_ACCESS_KEY_ID"] = spec.credentials["AccessKeyId"]
            env["AWS_SECRET_ACCESS_KEY"] = spec.credentials["SecretAccessKey"]
            env["AWS_SESSION_TOKEN"] = spec.credentials["SessionToken"]
        opt = spec.opt_dir
        if spec.runtime.startswith("python"):
            version = spec.runtime[len("python") :]
            env["PYTHONPATH"] = os.pathsep.join(
                [
                    f"{opt}/python/lib/python{version}/site-packages",
                    f"{opt}/python",
                    str(BOOTSTRAP_DIR),
                    sdk_dir(),
                ]
            )
            env["PYTHONUNBUFFERED"] = "1"
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        elif spec.runtime.startswith("nodejs"):
            env["NODE_PATH"] = os.pathsep.join(
                [*node_modules_of(spec), str(nodesdk.sdk_dir()), str(BOOTSTRAP_DIR), spec.code_dir]
            )
            if self.sdk_problem:
                env["_OVERCAST_NODE_SDK_PROBLEM"] = self.sdk_problem
        env.update(spec.environment)
        return env

    def kill(self, reason: str = "", sweep: bool = True) -> None:
        if self.dead:
            return
        self.dead = True
        self.exit_reason = self.exit_reason or reason
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if sweep:
            kill_marked(self.markers)
        self._cleanup()

    def _cleanup(self) -> None:
        loop = asyncio.get_event_loop()
        if self._fds:
            self._drain()
        for fd in self._fds:
            try:
                loop.remove_reader(fd)
            except Exception:
                pass
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds.clear()
        if self.server is not None:
            self.server.close()
        if self.process is not None:
            try:
                self.process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()
        if self.sandbox is not None:
            self.sandbox.remove()
        elif self.tmp_dir:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def _exited(self) -> None:
        process = self.process
        if process is None:  # watched only once started
            return
        code = process.poll()
        if code is None:
            try:
                os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                pass
            code = process.poll()
            if code is None:
                return
        # The runtime exited: kill what it left behind, then fail what waits.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        kill_marked(self.markers)
        reason = f"signal: {signal.Signals(-code).name[3:].lower()}" if code < 0 else f"exit status {code}"
        if code < 0 and -code == signal.SIGKILL:
            reason = "signal: killed"
        self.exit_reason = self.exit_reason or reason
        was_dead = self.dead
        self.dead = True
        self._drain()
        error = {"errorType": "Runtime.ExitError", "errorMessage": ""}
        if not self.ready.done():
            error["errorMessage"] = f"RequestId: {{request_id}} Error: Runtime exited with error: {reason}"
            self.ready.set_exception(_InitFailed(error))
        invocation = self.current
        if invocation is not None and invocation.future is not None and not invocation.future.done():
            error["errorMessage"] = (
                f"RequestId: {invocation.request_id} Error: Runtime exited with error: {reason}"
            )
            invocation.future.set_result((None, error))
        if not was_dead:
            self._cleanup()

    # -- output -------------------------------------------------------------------------

    def _read_output(self, fd: int) -> None:
        for _ in range(32):  # bounded, so a flood of output cannot starve the loop
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                try:
                    asyncio.get_event_loop().remove_reader(fd)
                except Exception:
                    pass
                return
            self._keep(chunk)

    def _keep(self, chunk: bytes) -> None:
        """Append output up to OUTPUT_CAP per invocation; count what does not fit."""
        room = OUTPUT_CAP - len(self.output)
        if room >= len(chunk):
            self.output += chunk
        else:
            if room > 0:
                self.output += chunk[:room]
            self.dropped += len(chunk) - max(room, 0)

    def _drain(self) -> None:
        """Read all output already in the pipe: what the runtime wrote before it reported."""
        if not self._fds:
            return
        fd = self._fds[0]
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._keep(chunk)

    def take_output(self) -> str:
        self._drain()
        text = self.output.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[{self.dropped} bytes of output dropped: more than {OUTPUT_CAP} in one invocation]\n"
        self.output = bytearray()
        self.dropped = 0
        return text

    # -- Runtime API callbacks ------------------------------------------------------------

    def next_invocation(self) -> Invocation | asyncio.Future:
        """The invocation queued for the runtime, or a future of the next one (the Runtime
        API answers the runtime's GET when it resolves)."""
        if not self.ready.done():
            self.init_ms = (time.perf_counter() - self._started) * 1000
            self.ready.set_result(True)
        if self._queued is not None:
            invocation, self._queued = self._queued, None
            return invocation
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.cancel()  # a runtime that asked again (a new connection): the newest asks
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        return waiter

    def init_error(self, error: dict) -> None:
        if not self.ready.done():
            self.ready.set_exception(_InitFailed(error))

    def complete(self, request_id: str, payload: bytes | None, error: dict | None) -> bool:
        invocation = self.current
        if (
            invocation is None
            or invocation.future is None
            or invocation.request_id != request_id
            or invocation.future.done()
        ):
            return False
        # What the runtime wrote before it reported is in the pipe: take_output reads it.
        invocation.future.set_result((payload, error))
        return True

    def dispatch(self, invocation: Invocation) -> None:
        self.current = invocation
        invocation.deadline_ms = int((time.time() + invocation.timeout) * 1000)
        invocation.started = time.perf_counter()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(invocation)
        else:
            self._queued = invocation

    @property
    def max_rss_kb(self) -> int:
        """The environment's peak resident memory (for REPORT lines), read at most once a
        second: /proc costs more than the rest of a warm invocation's bookkeeping."""
        now = time.monotonic()
        if now - self._rss_read_at > 1.0:
            self._rss_read_at = now
            self._max_rss = max(self._max_rss, self.rss_kb)
        return self._max_rss

    @property
    def rss_kb(self) -> int:
        if self.process is None:
            return 0
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0


def exec_wrapper(spec: FunctionSpec) -> str | None:
    """The local path of the function's AWS_LAMBDA_EXEC_WRAPPER script (its /var/task and /opt
    are the unpacked code and layers here), or None."""
    wrapper = spec.environment.get("AWS_LAMBDA_EXEC_WRAPPER")
    if not wrapper:
        return None
    for prefix, local in (("/var/task/", spec.code_dir), ("/opt/", spec.opt_dir)):
        if wrapper.startswith(prefix):
            return os.path.join(local, wrapper[len(prefix) :])
    return wrapper


class Standby:
    """A Python runtime started ahead of need, its standard library loaded, waiting on stdin
    for the environment it will become (python_runtime.py's standby mode): cold starts of
    Python functions then skip the interpreter's start-up."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        #: sandbox.py's standby: it runs the command it is handed instead of being the runtime.
        self.launches = command == launcher()
        self.id = uuid.uuid4().hex
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self.read_fd = read_fd
        try:
            self.process = subprocess.Popen(
                command,
                cwd="/",
                stdin=subprocess.PIPE,
                stdout=write_fd,
                stderr=write_fd,
                env={
                    "PATH": "/usr/local/bin:/usr/bin:/bin",
                    "LANG": "en_US.UTF-8",
                    "PYTHONUNBUFFERED": "1",
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "OVERCAST_LAMBDA_STANDBY": "1",
                    MARKER: self.id,
                },
                start_new_session=True,
                close_fds=True,
            )
        except OSError:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)

    def hand_over(
        self, env: dict[str, str], cwd: str, sandbox: dict | None = None, command: list[str] | None = None
    ) -> bool:
        if self.process.poll() is not None or (self.launches and (sandbox is None or command is None)):
            return False
        try:
            stdin = cast(IO[bytes], self.process.stdin)  # started with stdin=PIPE
            setup = {"env": env, "cwd": cwd, "sandbox": sandbox, "command": command}
            stdin.write(json.dumps(setup).encode() + b"\n")
            stdin.close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.close(self.read_fd)
        except OSError:
            pass


class _InitFailed(Exception):
    def __init__(self, error: dict) -> None:
        super().__init__(error.get("errorMessage", ""))
        self.error = error


class Throttled(Exception):
    pass


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class Pool:
    """The environments of every function, reused while warm: idle ones per function version
    (newest-used first), and a count of the busy ones per function for reserved concurrency."""

    def __init__(self, on_log: Callable, endpoint_env: Callable[[], dict[str, str]]) -> None:
        self.on_log = on_log
        self.endpoint_env = endpoint_env
        self.idle: dict[tuple, list[Environment]] = defaultdict(list)
        self.busy: dict[tuple, int] = defaultdict(int)  # (account, region, name) → in use
        self.all: set[Environment] = set()
        self.standbys: dict[tuple, list[Standby]] = {}
        self.closed = False
        #: What environments may see (set by the provider); None runs them unisolated.
        self.isolation: Isolation | None = None

    async def invoke(self, spec: FunctionSpec, invocation: Invocation, reserved: int | None) -> Outcome:
        function = (spec.account, spec.region, spec.name)
        if reserved is not None and self.busy[function] >= reserved:
            raise Throttled()
        self.busy[function] += 1
        try:
            return await self._invoke(spec, invocation)
        finally:
            self.busy[function] -= 1

    async def _invoke(self, spec: FunctionSpec, invocation: Invocation) -> Outcome:
        env = None
        idle = self.idle.get(spec.key)
        while idle:
            candidate = idle.pop()
            if not candidate.dead:
                env = candidate
                break
        init_ms = None
        if env is None:
            env = await self.start(spec)
            try:
                await asyncio.wait_for(asyncio.shield(env.ready), max(INIT_TIMEOUT, spec.timeout))
            except _InitFailed as failed:
                return self._init_failure(env, invocation, failed.error)
            except TimeoutError:
                env.kill("init timeout")
                return self._init_failure(
                    env,
                    invocation,
                    {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"RequestId: {invocation.request_id} Error: Task timed out after "
                        f"{INIT_TIMEOUT:.2f} seconds",
                    },
                )
            init_ms = env.init_ms
        loop = asyncio.get_running_loop()
        invocation.future = loop.create_future()
        env.dispatch(invocation)
        # The timeout ends the pool's own future (a runtime reporting later is refused): one
        # wake-up per invocation, where waiting on it with a time limit would take two.
        timer = loop.call_later(invocation.timeout, _expire, invocation.future)
        try:
            payload, error = await invocation.future
        except TimeoutError:
            env.kill("timeout")
            self.all.discard(env)
            duration = (time.perf_counter() - invocation.started) * 1000
            text = env.take_output()
            message = f"Task timed out after {invocation.timeout:.2f} seconds"
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            text += f"{stamp}.{int(time.time() * 1000) % 1000:03d}Z {invocation.request_id} {message}\n"
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {invocation.request_id} Error: {message}",
            }
            log_text = self.on_log(env, invocation, text, duration, init_ms, "timeout")
            return Outcome(b"", error, log_text, spec.version, duration, init_ms)
        finally:
            timer.cancel()
        duration = (time.perf_counter() - invocation.started) * 1000
        env.current = None
        text = env.take_output()
        status = "error" if env.dead else None
        log_text = self.on_log(env, invocation, text, duration, init_ms, status)
        env.last_used = time.monotonic()
        if env.retired:
            env.kill("retired")
        if env.dead:
            self.all.discard(env)
        else:
            self.idle[spec.key].append(env)
        return Outcome(payload or b"", error, log_text, spec.version, duration, init_ms)

    def _init_failure(self, env: Environment, invocation: Invocation, error: dict) -> Outcome:
        env.kill("init failure")
        self.all.discard(env)
        error = dict(error)
        error["errorMessage"] = error.get("errorMessage", "").replace("{request_id}", invocation.request_id)
        invocation.started = time.perf_counter()
        text = env.take_output()
        log_text = self.on_log(env, invocation, text, 0.0, env.init_ms, "error")
        return Outcome(b"", error, log_text, env.spec.version, 0.0, None)

    async def start(self, spec: FunctionSpec, provisioned: bool = False) -> Environment:
        if self.isolation is not None and self.isolation.available is None:
            await asyncio.to_thread(self.isolation.check)  # once: it starts a process
        env = Environment(spec, self.on_log, provisioned, self.isolation)
        if spec.runtime.startswith("nodejs"):
            code = [spec.code_dir, f"{spec.opt_dir}/nodejs"]
            env.sdk_problem = await nodesdk.ensure(code, node_modules_of(spec))
        standby = None
        command: tuple | None = None
        if spec.runtime.startswith("python"):
            command = tuple(interpreter(spec.runtime, spec.code_dir).command)
        elif self.isolation is not None and self.isolation.check():
            # Other runtimes enter their sandbox through sandbox.py: one waits, started ahead.
            command = tuple(launcher())
        if command is not None:
            waiting = self.standbys.get(command)
            standby = waiting.pop() if waiting else None
            asyncio.get_running_loop().call_soon(self._refill, command)
        await env.start(self.endpoint_env(), standby)
        self.all.add(env)
        return env

    def _refill(self, command: tuple) -> None:
        """Keep one standby runtime per Python interpreter in use (and one sandbox launcher)."""
        waiting = self.standbys.setdefault(command, [])
        if not waiting and not self.closed:
            try:
                waiting.append(Standby(list(command)))
            except OSError:
                log.exception("starting a standby runtime failed")

    async def provision(self, spec: FunctionSpec, count: int) -> int:
        """Start `count` environments of a version and keep them warm; returns how many are
        ready (an environment whose init fails is not)."""
        envs = [await self.start(spec, provisioned=True) for _ in range(count)]
        ready = 0
        for env in envs:
            try:
                await asyncio.wait_for(asyncio.shield(env.ready), INIT_TIMEOUT)
            except (TimeoutError, Exception):
                env.kill("init failure")
                self.all.discard(env)
                continue
            env.init_ms = None
            self.idle[spec.key].insert(0, env)
            ready += 1
        return ready

    def retire(
        self, account: str, region: str, name: str, version: str | None = None, provisioned_only: bool = False
    ) -> None:
        """Stop the environments of a function (or of one version of it): idle ones now, busy
        ones when their invocation ends."""
        for env in list(self.all):
            key = env.spec.key
            if (
                key[:3] != (account, region, name)
                or (version is not None and key[3] != version)
                or (provisioned_only and not env.provisioned)
            ):
                continue
            env.retired = True
            idle = self.idle.get(key)
            if idle and env in idle:
                idle.remove(env)
                env.kill("retired")
                self.all.discard(env)

    def reap(self, idle_seconds: float = IDLE_SECONDS) -> None:
        cutoff = time.monotonic() - idle_seconds
        for key, envs in list(self.idle.items()):
            keep = []
            for env in envs:
                if env.dead:
                    self.all.discard(env)
                elif env.last_used < cutoff and not env.provisioned:
                    env.kill("idle")
                    self.all.discard(env)
                else:
                    keep.append(env)
            if keep:
                self.idle[key] = keep
            else:
                del self.idle[key]

    def close(self) -> None:
        markers: set[str] = set()
        for env in list(self.all):
            markers |= env.markers
            env.kill("shutdown", sweep=False)
        kill_marked(markers)  # one pass over /proc for all of them
        self.all.clear()
        self.idle.clear()
        for waiting in self.standbys.values():
            for standby in waiting:
                standby.kill()
        self.standbys.clear()
