"""kill -9 loses no acknowledged write: a child process writes to a durable store and
acknowledges each write on stdout only after the store call returned; the test kills it
mid-stream, reopens the data dir and looks for every acknowledged write."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from overcast.store import Store, scope

ROOT = Path(__file__).resolve().parents[2]
SC = scope("000000000000", "us-east-1")
GROUP = 100  # rows per transaction in each of two tables: large, so kills land inside some
ROUNDS = 4
ACK = re.compile(r"(ready|put|begin|txn) ?([kg]\d{9})?")
DEADLINE = 30.0  # seconds a round may take before the test gives up on the child

WRITER = textwrap.dedent(
    """
    import sys
    from overcast.store import Store, scope

    data_dir, start = sys.argv[1], int(sys.argv[2])
    store = Store.open(data_dir)
    items, mirror = store.table("crash", "items"), store.table("crash", "mirror")
    sc = scope("000000000000", "us-east-1")
    print("ready", flush=True)
    i = start
    while True:
        key = f"k{i:09d}"
        items.put(sc, key, {"i": i, "pad": "x" * 200})
        print("put", key, flush=True)
        if i % 10 == 0:
            group = f"g{i:09d}"
            print("begin", group, flush=True)
            with store.transaction():
                for j in range(GROUP):
                    items.put(sc, f"{group}-{j:03d}", j)
                    mirror.put(sc, f"{group}-{j:03d}", j)
            print("txn", group, flush=True)
        i += 1
    """
).replace("GROUP", str(GROUP))


# Group commit: 16 tasks on one event loop write through Store.grouped() and acknowledge a
# write only once the commit they awaited returned, as a request handler answers.
GROUPED_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from overcast.store import Store, scope

    data_dir, start = sys.argv[1], int(sys.argv[2])
    store = Store.open(data_dir)
    items = store.table("crash", "items")
    sc = scope("000000000000", "us-east-1")

    async def writer(lane):
        i = start + lane
        while True:
            key = f"k{i:09d}"
            with store.grouped(single=lane % 2 == 0) as committed:
                items.put(sc, key, {"i": i, "pad": "x" * 200})
            await committed
            print("put", key, flush=True)
            i += 16

    async def main():
        print("ready", flush=True)
        await asyncio.gather(*(writer(lane) for lane in range(16)))

    asyncio.run(main())
    """
)


def start_writer(
    data_dir: Path, start: int, script: str = WRITER
) -> tuple[subprocess.Popen[str], queue.Queue[str | None]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        # Drain stdout continuously so the child never blocks on a full pipe.
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return child, lines


def run_round(
    data_dir: Path, start: int, acks_before_kill: int, script: str = WRITER
) -> tuple[set[str], set[str]]:
    """One child lifetime; returns the keys and transaction groups it acknowledged."""
    child, lines = start_writer(data_dir, start, script)
    acked_keys: set[str] = set()
    acked_groups: set[str] = set()
    deadline = time.monotonic() + DEADLINE

    def consume(line: str) -> None:
        # Only whole lines are acknowledgements: a kill may cut the last one short.
        if not line.endswith("\n"):
            return
        match = ACK.fullmatch(line[:-1])
        assert match, f"unexpected writer output {line!r}"
        kind, name = match.groups()
        if kind == "put":
            acked_keys.add(name)
        elif kind == "txn":
            acked_groups.add(name)

    try:
        while len(acked_keys) < acks_before_kill:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the writer did not acknowledge writes in time"
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                _, err = child.communicate(timeout=5)
                raise AssertionError(f"the writer exited early ({child.returncode}): {err}")
            consume(line)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    # Acknowledgements already in the pipe were printed after their writes returned: they count.
    while (line := lines.get(timeout=10)) is not None:
        consume(line)
    assert child.returncode == -signal.SIGKILL
    return acked_keys, acked_groups


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    all_keys: set[str] = set()
    all_groups: set[str] = set()
    for round_ in range(ROUNDS):
        # Vary the moment of the kill so it lands at different points of the write loop.
        keys, groups = run_round(data_dir, round_ * 10_000_000, 150 + 97 * round_)
        assert keys and groups
        all_keys |= keys
        all_groups |= groups
        with Store.open(data_dir) as store:
            items, mirror = store.table("crash", "items"), store.table("crash", "mirror")
            missing = sorted(k for k in all_keys if items.get(SC, k) is None)
            assert not missing, f"acknowledged writes lost after kill -9: {missing[:5]}"
            # Every transaction, acknowledged or cut off by the kill, is all or nothing.
            stored_groups = {k[:10] for k, _ in items.scan(SC, prefix="g")}
            stored_groups |= {k[:10] for k, _ in mirror.scan(SC)}
            for group in stored_groups | all_groups:
                in_items = items.count(SC, prefix=group + "-")
                in_mirror = mirror.count(SC, prefix=group + "-")
                assert in_items == in_mirror == GROUP, (
                    f"transaction {group} partly stored: {in_items}, {in_mirror}"
                )
            assert all_groups <= stored_groups


def test_kill_9_loses_no_acknowledged_group_commit(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    all_keys: set[str] = set()
    for round_ in range(ROUNDS):
        keys, _ = run_round(data_dir, round_ * 10_000_000, 300 + 97 * round_, GROUPED_WRITER)
        assert keys
        all_keys |= keys
        with Store.open(data_dir) as store:
            items = store.table("crash", "items")
            missing = sorted(k for k in all_keys if items.get(SC, k) is None)
            assert not missing, f"acknowledged group-committed writes lost after kill -9: {missing[:5]}"
