"""The AWS SDK for JavaScript v3 that AWS's Node.js runtimes (nodejs18.x and later) carry.

On AWS a function may `require("@aws-sdk/client-dynamodb")` (or `import` it) without bundling
it. Overcast cannot ship all ~400 SDK packages, so it reads which `@aws-sdk/*` packages a
function's code and layers name, and installs the ones they do not bundle themselves into one
shared folder under Overcast's cache with npm, once, before the function's first environment
starts (the install does not count against the function's timeout). Where npm is missing or
the install fails, the function still starts and its import fails as on AWS, with a message
that names the packages and the command that installs them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from overcast.config import cache_dir

log = logging.getLogger(__name__)

#: A module specifier naming an SDK v3 package: @aws-sdk/client-s3, @aws-sdk/lib-dynamodb, ...
_SPECIFIER = re.compile(rb"""["'](@aws-sdk/[a-z0-9][a-z0-9._-]*)(?:/[^"']*)?["']""")
_SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts")
#: Bounds on what is read of a function's code: enough for hand-written and bundled handlers.
_MAX_FILES = 2000
_MAX_FILE_BYTES = 8 << 20
_NPM_TIMEOUT = 300.0
#: A failed install is not tried again for this long (npm may have been installed since).
_RETRY_SECONDS = 60.0

_lock: asyncio.Lock | None = None
#: Packages already present in the shared folder (or found missing there) this process.
_installed: set[str] = set()
#: package → (why its install failed, when)
_failed: dict[str, tuple[str, float]] = {}


def sdk_dir() -> Path:
    """The shared folder's node_modules: on every Node.js function's NODE_PATH."""
    return cache_dir() / "aws-sdk-js-v3" / "node_modules"


def named_packages(roots: Iterable[str]) -> set[str]:
    """The `@aws-sdk/*` packages that the source files under `roots` name (their own
    node_modules folders are not read: what they bundle, they do not need from us)."""
    found: set[str] = set()
    for path in _source_files(roots):
        try:
            if path.stat().st_size > _MAX_FILE_BYTES:
                continue
            found.update(match.decode() for match in _SPECIFIER.findall(path.read_bytes()))
        except OSError:
            continue
    return found


def _source_files(roots: Iterable[str]) -> Iterator[Path]:
    seen = 0
    for root in roots:
        if not os.path.isdir(root):
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != "node_modules" and not d.startswith(".")]
            for name in files:
                if name.endswith(_SOURCE_SUFFIXES):
                    seen += 1
                    if seen > _MAX_FILES:
                        return
                    yield Path(folder, name)


def bundled(package: str, search: Iterable[str]) -> bool:
    """Whether one of the node_modules folders in `search` already holds `package`."""
    return any(os.path.isfile(os.path.join(folder, package, "package.json")) for folder in search)


def install_command(packages: Iterable[str]) -> list[str]:
    return [
        "npm",
        "install",
        "--prefix",
        str(sdk_dir().parent),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        *sorted(packages),
    ]


async def ensure(code_dirs: Iterable[str], search: Iterable[str]) -> str:
    """Install what the code in `code_dirs` needs of the SDK and finds in none of the
    node_modules folders in `search` (nor the shared folder). Returns "" when everything is
    there, else a message for the function's import error saying what is missing and how to
    install it."""
    global _lock
    search = [*search, str(sdk_dir())]
    wanted = {p for p in named_packages(code_dirs) if p not in _installed and not bundled(p, search)}
    if not wanted:
        return ""
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        now = time.monotonic()
        missing = {p for p in wanted if not bundled(p, search)}
        if any(now - _failed.get(p, ("", -_RETRY_SECONDS))[1] >= _RETRY_SECONDS for p in missing):
            error = await _install(missing)
            for package in missing:
                if error:
                    _failed[package] = (error, now)
                else:
                    _failed.pop(package, None)
                    _installed.add(package)
        problems = sorted({_failed[p][0] for p in wanted if p in _failed})
    if not problems:
        return ""
    return (
        f"Overcast could not install the AWS SDK for JavaScript v3 packages this function uses "
        f"({', '.join(sorted(wanted))}): {'; '.join(problems)}. Install them with: "
        f"{' '.join(install_command(wanted))}"
    )


async def _install(packages: set[str]) -> str:
    """npm install `packages` into the shared folder; "" on success, else why not."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (install Node.js's npm, e.g. apt-get install npm)"
    folder = sdk_dir().parent
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)  # read by functions' own users (isolation.py)
    command = install_command(packages)
    log.info("installing %s for Node.js functions (once, into %s)", " ".join(sorted(packages)), folder)
    try:
        # Under the server's owner-only umask the packages would be unreadable to functions.
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            'umask 022 && exec "$0" "$@"',
            npm,
            *command[1:],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = await _with_progress(process.communicate(), " ".join(sorted(packages)))
    except TimeoutError:
        process.kill()
        return f"npm install did not finish in {_NPM_TIMEOUT:.0f} s"
    except OSError as error:
        return f"npm could not be started: {error}"
    if process.returncode != 0:
        text = output.decode(errors="replace").strip().splitlines()
        detail = text[-1] if text else f"exit status {process.returncode}"
        log.warning("npm install %s failed: %s", " ".join(sorted(packages)), "\n".join(text[-20:]))
        return f"npm install failed ({detail})"
    log.info("installed %s for Node.js functions", " ".join(sorted(packages)))
    return ""


async def _with_progress(communicating, what: str) -> bytes:
    """The install's output; a line every ten seconds while it runs, so a long download is not
    mistaken for a hang (TimeoutError past _NPM_TIMEOUT)."""
    task = asyncio.ensure_future(communicating)
    started = time.monotonic()
    while True:
        done, _ = await asyncio.wait({task}, timeout=min(10.0, _NPM_TIMEOUT))
        if done:
            output: bytes = task.result()[0]
            return output
        waited = time.monotonic() - started
        if waited >= _NPM_TIMEOUT:
            task.cancel()
            raise TimeoutError
        log.info("still installing %s for Node.js functions (%.0f s so far)", what, waited)
