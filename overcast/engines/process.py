"""Engine child processes: PostgreSQL and MariaDB for RDS, redis-server and memcached for
ElastiCache, each a child of Overcast on its own 127.0.0.1 port, with its data under the data dir.

A service owns one `Supervisor`. It finds an engine's binaries (`find_binary`: the directory the
user named, Debian's paths, PATH) or fails at once naming the Debian package to install; gives
each engine a home directory and a free port (the service keeps the port in its own rows, so it
stays the same across restarts); starts an engine in the background and probes it until it is
ready; restarts one that crashes, recording an event through the service; stops every engine
cleanly when Overcast stops. Which engines run again after a restart is the service's business:
it knows which of its resources were running, and asks the supervisor to start them.

PostgreSQL refuses to run as root. When Overcast runs as root, every engine (and every tool run
on its data: initdb, pg_basebackup) runs as an unprivileged system user (OVERCAST_ENGINE_USER,
created if absent) that owns the engine's home. The data dir stays owner-only, so that user
cannot walk a path into it: the engine instead runs in a mount namespace of its own where its
home is bind-mounted on a fixed, reachable directory (`MOUNT_POINT`) — the path the engine sees.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overcast.config import engine_bin_dir, engine_user
from overcast.errors import ServiceError

log = logging.getLogger(__name__)

#: The directory an engine running as the engine user sees its home at (in its own namespace).
MOUNT_POINT = Path("/run/overcast-engine") if Path("/run").is_dir() else Path("/tmp/overcast-engine")
#: How long an engine has to become ready after it starts, and to stop once asked.
READY_SECONDS = 60.0
STOP_SECONDS = 30.0
#: Crashes within CRASH_WINDOW seconds after which the supervisor gives up restarting.
MAX_CRASHES = 5
CRASH_WINDOW = 60.0

_CLONE_NEWNS = 0x00020000
_MS_BIND = 4096
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18


@dataclass(frozen=True)
class Binaries:
    """Where an engine's programs come from: the Debian package that installs them and the
    directories it puts them in (glob patterns; a version's directory first when one matches)."""

    engine: str
    package: str
    directories: tuple[str, ...] = ()


class MissingBinary(ServiceError):
    """An engine's program is not installed: said at once, naming the package to install."""

    def __init__(self, binaries: Binaries, name: str, code: str = "InvalidParameterValue") -> None:
        super().__init__(
            code,
            f"The {binaries.engine} engine needs the program {name}, which is not installed on this"
            f" machine: install the Debian package {binaries.package} (apt-get install"
            f" {binaries.package}) or name its directory in OVERCAST_{binaries.engine.upper()}_BIN_DIR.",
        )
        self.package = binaries.package


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(path))) or (0,)


def candidate_dirs(binaries: Binaries, version: str | None = None) -> list[Path]:
    """Directories to look in, best first: the override, the version's own directory, the
    others newest first."""
    found: list[Path] = []
    override = engine_bin_dir(binaries.engine)
    if override is not None:
        return [override]
    for pattern in binaries.directories:
        matches = sorted((Path(p) for p in _glob(pattern)), key=_version_key, reverse=True)
        if version:
            major = version.split(".")[0]
            matches.sort(key=lambda p: f"/{major}/" not in f"{p}/")
        found.extend(matches)
    return found


def _glob(pattern: str) -> list[str]:
    import glob

    return glob.glob(pattern)


def find_binary(
    binaries: Binaries, name: str, version: str | None = None, code: str = "InvalidParameterValue"
) -> Path:
    """The program `name` of an engine, or MissingBinary at once."""
    directories = candidate_dirs(binaries, version)
    for directory in directories:
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    if engine_bin_dir(binaries.engine) is None:
        on_path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if on_path:
            return Path(on_path)
    raise MissingBinary(binaries, name, code)


def installed_versions(binaries: Binaries) -> list[str]:
    """The versions whose directories exist (PostgreSQL's /usr/lib/postgresql/<major>)."""
    versions = []
    for directory in candidate_dirs(binaries):
        match = re.search(r"/(\d+(?:\.\d+)*)/", f"{directory}/")
        if match:
            versions.append(match.group(1))
    return versions


def free_port(taken: set[int] | frozenset[int] = frozenset()) -> int:
    """A 127.0.0.1 port nobody listens on and no other engine was given."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in taken:
            return port
    raise ServiceError("InternalFailure", "No free port for the engine", 500, sender_fault=False)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Launch:
    """How to run one engine: its command line (paths as the engine sees them, `home` in
    Supervisor.visible), the signal that stops it cleanly, and whether it is ready."""

    argv: Sequence[str]
    ready: Callable[[], bool]
    stop_signal: int = signal.SIGTERM
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Child:
    key: str
    launch: Launch
    process: subprocess.Popen[bytes] | None = None
    wanted: bool = True
    crashes: list[float] = field(default_factory=list)
    on_ready: Callable[[], None] | None = None
    on_failed: Callable[[str], None] | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class Supervisor:
    """The engine processes of one service. `record_event(key, message)` is how the service
    hears of what happened to an engine that it did not ask for (a crash and restart)."""

    def __init__(self, runtime: Any, service: str, record_event: Callable[[str, str], None]) -> None:
        self.runtime = runtime
        self.service = service
        self.record_event = record_event
        self._children: dict[str, _Child] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._temp_root: Path | None = None
        self._user: pwd.struct_passwd | None = None
        self._libc: Any = None

    # -- where engines live ----------------------------------------------------------------------

    @property
    def root(self) -> Path:
        data_dir = self.runtime.store.data_dir
        if data_dir is not None:
            root = Path(data_dir) / "engines" / self.service
        else:
            if self._temp_root is None:
                self._temp_root = Path(tempfile.mkdtemp(prefix=f"overcast-{self.service}-engines-"))
            root = self._temp_root
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return root

    def home(self, key: str) -> Path:
        """The engine's own directory (created, owned by the user it runs as)."""
        path = self.root / key
        if not path.exists():
            path.mkdir(mode=0o700)
            self.own(path)
        return path

    def visible(self, key: str) -> str:
        """The path at which the engine (and tools run for it) see its home."""
        return str(MOUNT_POINT) if self.as_engine_user() else str(self.root / key)

    def remove_home(self, key: str) -> None:
        shutil.rmtree(self.root / key, ignore_errors=True)
        for suffix in (".log", ".pid"):
            (self.root / f"{key}{suffix}").unlink(missing_ok=True)

    def copy_home(self, source: str, target: str) -> None:
        """A copy of an engine's home (the engine must be stopped or the copy made consistent)."""
        shutil.rmtree(self.root / target, ignore_errors=True)
        cp = shutil.which("cp")
        if cp is not None:
            # cp -a keeps each file's owner (the engine user) and is about twice as fast.
            result = subprocess.run(
                [cp, "-a", str(self.root / source), str(self.root / target)], capture_output=True
            )
            if result.returncode == 0:
                return
            shutil.rmtree(self.root / target, ignore_errors=True)
        shutil.copytree(self.root / source, self.root / target, symlinks=True)
        self.own(self.root / target, recursive=True)

    def store_copy(self, key: str, name: str) -> Path:
        """Where a copy of an engine's data (a snapshot) is kept, owned by Overcast."""
        path = self.root / "copies" / name
        path.parent.mkdir(mode=0o700, exist_ok=True)
        return path

    # -- the user engines run as -----------------------------------------------------------------

    @staticmethod
    def as_engine_user() -> bool:
        return os.geteuid() == 0

    def user(self) -> pwd.struct_passwd | None:
        if not self.as_engine_user():
            return None
        if self._user is None:
            name = engine_user()
            try:
                self._user = pwd.getpwnam(name)
            except KeyError:
                result = subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                    capture_output=True,
                    text=True,
                )
                if result.returncode not in (0, 9):  # 9: created meanwhile
                    raise ServiceError(
                        "InternalFailure",
                        f"Could not create the engine user {name}: {result.stderr.strip()}",
                        500,
                        sender_fault=False,
                    ) from None
                self._user = pwd.getpwnam(name)
        return self._user

    def own(self, path: Path, recursive: bool = False) -> None:
        user = self.user()
        if user is None:
            return
        os.chown(path, user.pw_uid, user.pw_gid)
        if recursive:
            for base, dirs, files in os.walk(path):
                for name in dirs + files:
                    os.lchown(os.path.join(base, name), user.pw_uid, user.pw_gid)

    def _preexec(self, key: str | None) -> Callable[[], None] | None:
        """What a child does between fork and exec: its own mount namespace with the engine's
        home on MOUNT_POINT, then the engine user's identity."""
        user = self.user()
        if user is None:
            return None
        if self._libc is None:
            self._libc = ctypes.CDLL(None, use_errno=True)
        libc = self._libc
        MOUNT_POINT.mkdir(mode=0o755, exist_ok=True)
        source = str(self.root / key).encode() if key is not None else None
        target = str(MOUNT_POINT).encode()
        uid, gid = user.pw_uid, user.pw_gid

        def enter() -> None:
            os.setsid()
            if source is not None:
                if libc.unshare(_CLONE_NEWNS) != 0:
                    raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
                if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
                    raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
                if libc.mount(source, target, None, _MS_BIND, None) != 0:
                    raise OSError(ctypes.get_errno(), "mount --bind")
            os.setgid(gid)
            os.setgroups([])
            os.setuid(uid)

        return enter

    # -- tools -----------------------------------------------------------------------------------

    def run(
        self,
        key: str | None,
        argv: Sequence[str],
        *,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a tool (initdb, a client) as the engine would run, seeing `key`'s home. Blocks:
        call it from background work, never from a request."""
        return subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", **(env or {})},
            cwd="/",
            timeout=timeout,
            preexec_fn=self._preexec(key),
            check=False,
        )

    # -- engines ---------------------------------------------------------------------------------

    def start(
        self,
        key: str,
        launch: Launch,
        on_ready: Callable[[], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        """Start the engine in the background; `on_ready` once it answers, `on_failed(why)` if
        it never does. Keeps it running until stop()."""
        with self._lock:
            old = self._children.get(key)
            if old is not None and old.process is not None and old.process.poll() is None:
                old.launch = launch
                if on_ready is not None:
                    threading.Thread(target=on_ready, daemon=True).start()
                return
            child = _Child(key, launch, on_ready=on_ready, on_failed=on_failed)
            self._children[key] = child
        threading.Thread(target=self._supervise, args=(child,), name=f"engine {key}", daemon=True).start()

    def running(self, key: str) -> bool:
        child = self._children.get(key)
        return child is not None and child.process is not None and child.process.poll() is None

    def wait_ready(self, key: str, timeout: float = READY_SECONDS) -> bool:
        child = self._children.get(key)
        return child is not None and child.ready.wait(timeout)

    def pid(self, key: str) -> int | None:
        child = self._children.get(key)
        return child.process.pid if child is not None and child.process is not None else None

    def signal(self, key: str, signum: int) -> None:
        child = self._children.get(key)
        if child is not None and child.process is not None and child.process.poll() is None:
            child.process.send_signal(signum)

    def stop(self, key: str, timeout: float = STOP_SECONDS) -> None:
        """Stop the engine cleanly (its stop signal, then SIGKILL after `timeout`); blocks."""
        with self._lock:
            child = self._children.pop(key, None)
        if child is None:
            return
        child.wanted = False
        process = child.process
        if process is not None and process.poll() is None:
            process.send_signal(child.launch.stop_signal)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        (self.root / f"{key}.pid").unlink(missing_ok=True)

    def close(self) -> None:
        """Overcast stops: every engine is asked to stop at once, then waited for."""
        self._closed = True
        with self._lock:
            children = list(self._children.values())
            self._children.clear()
        for child in children:
            child.wanted = False
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(child.launch.stop_signal)
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if self._temp_root is not None:
            shutil.rmtree(self._temp_root, ignore_errors=True)

    def _supervise(self, child: _Child) -> None:
        first = True
        while child.wanted and not self._closed:
            if not self._spawn(child):
                return
            ready = self._await_ready(child)
            if ready:
                child.ready.set()
                if first and child.on_ready is not None:
                    try:
                        child.on_ready()
                    except Exception:
                        log.exception("engine %s: after it became ready", child.key)
            elif child.wanted and child.process is not None and child.process.poll() is None:
                self._fail(child, "it did not become ready in time")
                return
            first = False
            assert child.process is not None
            code = child.process.wait()
            child.ready.clear()
            if not child.wanted or self._closed:
                return
            now = time.monotonic()
            child.crashes = [t for t in child.crashes if now - t < CRASH_WINDOW] + [now]
            if len(child.crashes) >= MAX_CRASHES or not ready:
                self._fail(child, f"it exited with status {code}" + self._log_tail(child.key))
                return
            self.record_event(child.key, f"The engine process exited unexpectedly (status {code}): restarted")
            time.sleep(min(0.5 * len(child.crashes), 3.0))

    def _fail(self, child: _Child, why: str) -> None:
        with self._lock:
            if self._children.get(child.key) is child:
                del self._children[child.key]
        child.wanted = False
        if child.process is not None and child.process.poll() is None:
            child.process.kill()
            child.process.wait()
        if child.on_failed is not None:
            try:
                child.on_failed(why)
            except Exception:
                log.exception("engine %s: reporting its failure", child.key)

    def _spawn(self, child: _Child) -> bool:
        self._kill_leftover(child.key)
        logfile = open(self.root / f"{child.key}.log", "ab")
        try:
            child.process = subprocess.Popen(
                list(child.launch.argv),
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", **child.launch.env},
                cwd="/",
                preexec_fn=self._preexec(child.key),
            )
        except (OSError, subprocess.SubprocessError) as error:
            self._fail(child, f"it could not start: {error}")
            return False
        finally:
            logfile.close()
        (self.root / f"{child.key}.pid").write_text(f"{child.process.pid} {child.launch.argv[0]}\n")
        return True

    def _await_ready(self, child: _Child) -> bool:
        deadline = time.monotonic() + READY_SECONDS
        process = child.process
        assert process is not None
        delay = 0.01
        while time.monotonic() < deadline and child.wanted:
            if process.poll() is not None:
                return False
            try:
                if child.launch.ready():
                    return True
            except Exception:
                pass
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
        return False

    def _kill_leftover(self, key: str) -> None:
        """An engine an earlier Overcast started and did not stop (it was killed): stopped, so
        that the new one can have its port and its data."""
        pidfile = self.root / f"{key}.pid"
        try:
            pid_text, _, program = pidfile.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            return
        try:
            if os.readlink(f"/proc/{pid}/exe") != os.path.realpath(program):
                return
        except OSError:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)

    def _log_tail(self, key: str) -> str:
        try:
            text = (self.root / f"{key}.log").read_bytes()[-600:].decode(errors="replace").strip()
        except OSError:
            return ""
        return f": {text}" if text else ""
