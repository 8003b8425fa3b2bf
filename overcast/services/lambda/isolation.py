"""Where an execution environment runs and what it may see (DESIGN.md §6: a function cannot
read Overcast's state or another function's code, nor change its own).

Each environment gets a folder of its own, `overcast-lambda-env-*` under the temp dir, with
`task/` and `opt/` (its code and layers, bind-mounted read-only there inside the sandbox) and
`tmp/` (its HOME and TMPDIR). bootstrap/sandbox.py enters the sandbox this module plans: a mount
namespace in which the data dir is an empty tmpfs; under root, a user id of the function's own
and a home folder that shows only what runtimes need; otherwise a user namespace.

Where namespaces cannot be made (a container without CAP_SYS_ADMIN, user namespaces turned
off), functions run as before, unisolated, and Overcast says so once at their first start."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overcast.services.lambda_ids import UID_BASE, UID_SPAN

log = logging.getLogger(__name__)

SANDBOX = Path(__file__).parent / "bootstrap" / "sandbox.py"
PLAN_VARIABLE = "_OVERCAST_SANDBOX"


def function_uid(account: str, region: str, name: str) -> int:
    digest = hashlib.sha256(f"{account}\0{region}\0{name}".encode()).digest()
    return UID_BASE + int.from_bytes(digest[:4], "big") % UID_SPAN


def launcher() -> list[str]:
    """The command that enters a sandbox and then runs the rest of its command line."""
    return [sys.executable, "-S", "-I", str(SANDBOX)]


def _traversable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & stat.S_IXOTH)
    except OSError:
        return False


def _closed_ancestor(path: Path) -> Path | None:
    """The highest folder above `path` that other users cannot pass through (a home folder,
    a `mktemp -d` folder holding a virtualenv), or None when every one is open."""
    for ancestor in reversed(path.parents):
        if ancestor != ancestor.parent and not _traversable_by_others(ancestor):
            return ancestor
    return None


def covers_for(needed: list[str]) -> dict[str, list[str]]:
    """The closed folders to cover in a sandbox whose function runs as a user of its own, each
    with the needed folders under it that are put back (runtimes, SDKs). Each needed folder has
    one highest closed ancestor, so the covers never nest."""
    covers: dict[str, list[str]] = {}
    for folder in needed:
        closed = _closed_ancestor(Path(folder))
        if closed is not None and Path(folder).is_dir():
            covers.setdefault(str(closed), []).append(folder)
    return covers


@dataclass
class Isolation:
    """The sandbox settings of one Lambda provider: what to hide, what a runtime needs."""

    #: Folders no function may see: the data dir (or the ephemeral store's folder).
    hidden: list[str]
    #: Folders runtimes read (interpreters, SDKs, the bootstrap): kept visible under a
    #: covered home folder.
    needed: list[str] = field(default_factory=list)
    available: bool | None = None  # None: not probed yet
    problem: str = ""
    #: The function each user id was given to: two functions never share one (a hash collision
    #: takes the next free id), so neither can reach the other's processes through /proc.
    uids: dict[int, tuple[str, str, str]] = field(default_factory=dict)

    def uid_for(self, account: str, region: str, name: str) -> int:
        function = (account, region, name)
        uid = function_uid(account, region, name)
        while self.uids.setdefault(uid, function) != function:
            uid = UID_BASE + (uid - UID_BASE + 1) % UID_SPAN
        return uid

    def check(self) -> bool:
        """Whether sandboxes can be made here (tried once, with a sandbox of nothing)."""
        if self.available is None:
            plan: dict[str, Any] = {"binds": [], "hide": [], "cwd": "/", "uid": None, "gid": None}
            if os.getuid() == 0:
                plan["uid"] = plan["gid"] = UID_BASE
            try:
                result = subprocess.run(
                    [*launcher(), "/bin/true"],
                    env={"PATH": "/usr/bin:/bin", PLAN_VARIABLE: json.dumps(plan)},
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                self.available = result.returncode == 0
                self.problem = result.stderr.strip()
            except (OSError, subprocess.SubprocessError) as error:
                self.available, self.problem = False, str(error)
            if not self.available:
                log.warning(
                    "Lambda functions run without isolation (they can read the data dir and each "
                    "other's code): %s",
                    self.problem or "namespaces are not available",
                )
        return bool(self.available)

    def prepare(
        self,
        account: str,
        region: str,
        name: str,
        code_dir: str,
        opt_dir: str,
        lang: dict[str, str] | None = None,
    ) -> Sandbox:
        """Make an environment's folder and plan its sandbox; `lang` names the programs the
        sandbox shows at /var/lang/bin (the runtime's interpreter, as AWS's has it)."""
        root = Path(tempfile.mkdtemp(prefix="overcast-lambda-env-"))
        as_root = os.getuid() == 0
        uid = self.uid_for(account, region, name) if as_root else None
        os.chmod(root, 0o711)  # its function's user passes through; only root lists it
        for folder in ("task", "opt"):
            (root / folder).mkdir(mode=0o755)
        tmp = root / "tmp"
        tmp.mkdir(mode=0o700)
        if uid is not None:
            os.chown(tmp, uid, uid)
        plan: dict = {
            "binds": [[code_dir, str(root / "task"), True], [opt_dir, str(root / "opt"), True]],
            "hide": list(self.hidden),
            "cwd": str(root / "task"),
            "uid": uid,
            "gid": uid,
        }
        # The layers at /opt too, unless something the runtime needs lives there.
        if not any(Path(folder).is_relative_to("/opt") for folder in [*self.needed, *self.hidden]):
            plan["layers_at_opt"] = str(root / "opt")
        if lang:
            (root / "var").mkdir(mode=0o700)
            plan.update(lang=lang, var_stage=str(root / "var"))
        covers = covers_for(self.needed) if as_root else {}
        if covers:
            stage = root / "stage"
            stage.mkdir(mode=0o700)
            for index in range(sum(len(keeps) for keeps in covers.values())):
                (stage / str(index)).mkdir(mode=0o700)
            plan.update(covers=sorted(covers.items()), stage=str(stage))
        return Sandbox(root, plan)


@dataclass
class Sandbox:
    root: Path
    plan: dict

    @property
    def task_dir(self) -> str:
        return str(self.root / "task")

    @property
    def opt_dir(self) -> str:
        return str(self.root / "opt")

    @property
    def tmp_dir(self) -> str:
        return str(self.root / "tmp")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def isolation_for(data_root: Path) -> Isolation:
    """The isolation of a provider whose store lives in `data_root`."""
    import sysconfig

    from overcast.config import cache_dir, pyenv_root

    needed = {
        str(pyenv_root() / "versions"),  # other Pythons a function's runtime may name
        str(cache_dir() / "aws-sdk-js-v3"),  # the AWS SDK for JavaScript (nodesdk.py)
        str(Path(__file__).parent / "bootstrap"),
        sysconfig.get_paths()["purelib"],  # boto3 and what it needs (environment.sdk_dir)
        sysconfig.get_paths()["platlib"],
        sys.base_prefix,  # the interpreter the sandbox launcher and standbys run on
        str(Path(os.path.realpath(sys.executable)).parents[1]),
    }
    return Isolation(hidden=[str(data_root)], needed=sorted(needed))
