"""Enter a Lambda execution environment's sandbox, then (as a program) run its runtime in it.

A function must not read Overcast's state (the data dir holds every secret key) or another
function's code, nor change its own. Before the runtime starts, this process:

* moves to a mount namespace of its own (with a user namespace when Overcast does not run as
  root), where the data dir is covered by an empty tmpfs, and the function's code and layers
  are bind-mounted read-only at the environment's own task/ and opt/ folders;
* when Overcast does not run as root, moves to a PID namespace with a /proc of its own, so no
  process outside (the server's, other functions') leads back in through /proc/PID/root;
* lays out the paths AWS's execution environment has and code written for it names: the
  layers also at /opt (the CDK's AWS CLI layer is run as /opt/awscli/aws), and the runtime's
  interpreter at /var/lang/bin (that script's `#!/var/lang/bin/python`), in a /var rebuilt
  on a tmpfs from the host's;
* when Overcast runs as root, covers each folder closed to other users (the home folder, a
  private temp folder holding a virtualenv) with a tmpfs holding only the folders the runtime
  needs from it (an interpreter, the SDKs), then drops to a user id of the function's own, so no other process's files or /proc entries are open to it and no mount can be undone.

The plan comes as JSON (plan_for in environment.py writes it). Used by python_runtime.py
(in-process, also from a standby) and, for other runtimes, as
`python3 -S -I sandbox.py COMMAND...` with the plan in _OVERCAST_SANDBOX. Standard library only,
and Python 3.8 syntax: it runs under the function's interpreter."""

import ctypes
import json
import os
import sys

PLAN_VARIABLE = "_OVERCAST_SANDBOX"

_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_MOVE = 8192
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
#: statvfs flags → the mount flags a read-only remount must keep (a user namespace may not
#: drop them from a mount it did not make).
_KEPT_FLAGS = (
    (os.ST_NOSUID, _MS_NOSUID),
    (os.ST_NODEV, _MS_NODEV),
    (os.ST_NOEXEC, _MS_NOEXEC),
    (getattr(os, "ST_NOATIME", 1024), _MS_NOATIME),
    (getattr(os, "ST_NODIRATIME", 2048), _MS_NODIRATIME),
    (getattr(os, "ST_RELATIME", 4096), _MS_RELATIME),
)

_libc = None


class SandboxError(Exception):
    pass


def _call(name, *args):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        error = ctypes.get_errno()
        raise SandboxError("%s%r: %s" % (name, args[:2], os.strerror(error)))


def _mount(source, target, fstype, flags, data=None):
    _call(
        "mount",
        None if source is None else source.encode(),
        target.encode(),
        None if fstype is None else fstype.encode(),
        ctypes.c_ulong(flags),
        None if data is None else data.encode(),
    )


def _bind(source, target, read_only):
    _mount(source, target, None, _MS_BIND | _MS_REC)
    if read_only:
        kept = 0
        existing = os.statvfs(target).f_flag
        for statvfs_flag, mount_flag in _KEPT_FLAGS:
            if existing & statvfs_flag:
                kept |= mount_flag
        _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | kept)


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def _become_pid_one():
    """Fork into the new PID namespace and mount its /proc; this process stays outside only to
    wait for it and exit as it does (killing this process's group ends both)."""
    child = os.fork()
    if child:
        while True:
            try:
                _pid, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        os._exit(code if code >= 0 else 128 - code)
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def enter(plan):
    """Move this (single-threaded) process into the sandbox `plan` describes."""
    uid, gid = os.getuid(), os.getgid()
    as_root = uid == 0
    os.umask(0o022)  # Overcast's own (owner-only) would hide the folders made below from the function
    # Not root: the function keeps Overcast's user id, so it could reach the server's and other
    # environments' files through /proc/PID/root; a PID namespace with its own /proc hides them.
    _call("unshare", _CLONE_NEWNS if as_root else _CLONE_NEWNS | _CLONE_NEWUSER | _CLONE_NEWPID)
    if not as_root:
        # The same ids inside: files keep their owner, and no capability survives exec.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
        _write("/proc/self/gid_map", "%d %d 1" % (gid, gid))
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing done here reaches the host
    for source, target, read_only in plan["binds"]:
        _bind(source, target, read_only)
    covers = plan.get("covers") or []
    if as_root and covers:
        # Stage what the runtime needs from each closed folder, cover them, then put those back.
        staged = []
        for _closed, keeps in covers:
            for needed in keeps:
                stage = os.path.join(plan["stage"], str(len(staged)))
                _bind(needed, stage, True)
                staged.append((stage, needed))
        for closed, _keeps in covers:
            _mount("tmpfs", closed, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
        for stage, needed in staged:
            os.makedirs(needed, 0o755, exist_ok=True)
            _mount(stage, needed, None, _MS_MOVE)
    _lambda_layout(plan)
    for hidden in plan["hide"]:
        if os.path.isdir(hidden):
            _mount("tmpfs", hidden, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0700,size=64k")
    if not as_root:
        _become_pid_one()
    if as_root and plan.get("uid") is not None:
        os.setgroups([])
        os.setresgid(plan["gid"], plan["gid"], plan["gid"])
        os.setresuid(plan["uid"], plan["uid"], plan["uid"])
    os.chdir(plan["cwd"])


def _lambda_layout(plan):
    """/opt holding the layers, /var/lang/bin holding the runtime's interpreter."""
    layers = plan.get("layers_at_opt")
    if layers and os.path.isdir("/opt"):
        _bind(layers, "/opt", True)
    lang = plan.get("lang") or {}
    stage = plan.get("var_stage")
    if not lang or not stage or os.path.exists("/var/lang") or not os.path.isdir("/var"):
        return
    # The host's /var stays reachable at the stage while a tmpfs covers /var; each of its
    # entries is put back, then lang/ is added beside them.
    _bind("/var", stage, False)
    entries = sorted(os.listdir(stage))
    _mount("tmpfs", "/var", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
    for entry in entries:
        source, target = os.path.join(stage, entry), os.path.join("/var", entry)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        elif os.path.isdir(source):
            os.mkdir(target, 0o755)
            _bind(source, target, False)
    os.makedirs("/var/lang/bin", 0o755)
    for name, program in sorted(lang.items()):
        os.symlink(program, os.path.join("/var/lang/bin", name))


def _standby():
    """Started ahead of need (OVERCAST_LAMBDA_STANDBY=1), with ctypes loaded: one JSON line on
    stdin names the environment, its sandbox and the runtime's command."""
    global _libc
    _libc = ctypes.CDLL(None, use_errno=True)
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    setup = json.loads(line)
    os.environ.clear()
    os.environ.update(setup["env"])
    return setup["sandbox"], setup["command"]


def main(argv):
    """`sandbox.py COMMAND...`: enter the plan in _OVERCAST_SANDBOX, then exec COMMAND."""
    if os.environ.get("OVERCAST_LAMBDA_STANDBY") == "1":
        plan, argv = _standby()
    else:
        plan = json.loads(os.environ.pop(PLAN_VARIABLE))
    try:
        enter(plan)
    except (SandboxError, OSError) as error:
        sys.stderr.write("Overcast could not isolate the execution environment: %s\n" % error)
        sys.exit(126)
    os.execvpe(argv[0], argv, os.environ)


if __name__ == "__main__":
    main(sys.argv[1:])
