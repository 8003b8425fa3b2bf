"""Group commit (Store.grouped): the blocks of one turn of the event loop commit together, each
request is told only once its writes are committed, a failing block undoes only its own
writes, and nothing outside a block ever sees an uncommitted write."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from overcast.store import Store, StoreError, in_event_loop, scope

SC = scope("000000000000", "us-east-1")


@pytest.fixture(params=["durable", "ephemeral", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "postgres":
        s = Store.open(tmp_path / "data", request.getfixturevalue("postgres").database())
    else:
        s = Store.open(tmp_path / "data" if request.param == "durable" else None)
    yield s
    s.close()


def reopened(s: Store) -> Store:
    if s.data_dir is None:
        return s
    data_dir, state_url = s.data_dir, s.state_url
    s.close()
    return Store.open(data_dir, state_url)


def test_the_blocks_of_one_turn_commit_together(store: Store) -> None:
    table = store.table("svc", "things")
    commits = []
    backend = store._backend
    commit = backend.commit

    def counting_commit() -> None:
        commits.append(1)
        commit()

    backend.commit = counting_commit  # type: ignore[method-assign]

    async def write(n: int, single: bool) -> None:
        with store.grouped(single=single) as committed:
            table.put(SC, f"k{n}", n)
        await committed

    async def main() -> None:
        await asyncio.gather(*(write(n, n % 2 == 0) for n in range(20)))

    asyncio.run(main())
    backend.commit = commit  # type: ignore[method-assign]
    assert len(commits) == 1
    assert store._group is None
    store = reopened(store)
    try:
        assert [v for _, v in store.table("svc", "things").scan(SC)] == sorted(
            range(20), key=lambda n: f"k{n}"
        )
    finally:
        store.close()


def test_the_answer_waits_for_the_commit(store: Store) -> None:
    table = store.table("svc", "things")
    seen = []

    async def main() -> None:
        with store.grouped() as committed:
            table.put(SC, "a", 1)
        assert store._group is not None and not committed.done()
        await committed
        seen.append(store._group)

    asyncio.run(main())
    assert seen == [None]


def test_a_failing_block_undoes_only_its_own_writes(store: Store) -> None:
    table = store.table("svc", "things")

    async def good(n: int) -> None:
        with store.grouped() as committed:
            table.put(SC, f"good{n}", n)
            table.put(SC, f"also{n}", n)
        await committed

    async def bad() -> None:
        with store.grouped():
            table.put(SC, "bad1", 1)
            raise ValueError("refused")

    async def bad_single() -> None:
        with store.grouped(single=True):
            table.put(SC, "bad2", object())  # not encodable: nothing is written

    async def main() -> list[object]:
        return await asyncio.gather(good(1), bad(), good(2), bad_single(), good(3), return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[1], ValueError) and isinstance(results[3], TypeError)
    assert [r for n, r in enumerate(results) if n not in (1, 3)] == [None, None, None]
    keys = [k for k, _ in table.scan(SC)]
    assert keys == ["also1", "also2", "also3", "good1", "good2", "good3"]


def test_after_commit_callbacks_run_once_the_group_committed(store: Store) -> None:
    table = store.table("svc", "things")
    calls: list[tuple[str, bool]] = []

    async def main() -> None:
        with store.grouped() as committed:
            table.put(SC, "a", 1)
            store.after_commit(lambda: calls.append(("kept", store._group is None)))
        try:
            with store.grouped():
                table.put(SC, "b", 1)
                store.after_commit(lambda: calls.append(("undone", True)))
                raise ValueError
        except ValueError:
            pass
        assert calls == []
        await committed

    asyncio.run(main())
    assert calls == [("kept", True)]


def test_any_use_outside_a_block_commits_the_group_first(store: Store) -> None:
    table = store.table("svc", "things")

    async def main() -> None:
        with store.grouped() as committed:
            table.put(SC, "a", 1)
        # A read outside the block: the group is committed before it reads.
        assert table.get(SC, "a") == 1
        assert store._group is None
        assert committed.done() and committed.exception() is None
        with store.grouped() as second:
            table.put(SC, "b", 2)
        # A transaction commits it as well.
        with store.transaction():
            table.put(SC, "c", 3)
        assert second.done()

    asyncio.run(main())
    assert store._group is None


def test_another_thread_commits_the_group_and_the_waiter_hears(store: Store) -> None:
    table = store.table("svc", "things")

    async def main() -> None:
        with store.grouped() as committed:
            table.put(SC, "a", 1)
        found = []
        thread = threading.Thread(target=lambda: found.append(table.get(SC, "a")))
        thread.start()
        thread.join()
        assert found == [1]
        await asyncio.wait_for(committed, 5)

    asyncio.run(main())


def test_a_failed_commit_fails_every_waiter(store: Store) -> None:
    table = store.table("svc", "things")
    backend = store._backend
    commit = backend.commit

    def failing_commit() -> None:
        backend.commit = commit  # type: ignore[method-assign]
        raise OSError(28, "No space left on device")

    async def write(n: int) -> None:
        with store.grouped() as committed:
            table.put(SC, f"k{n}", n)
        await committed

    async def main() -> list[object]:
        backend.commit = failing_commit  # type: ignore[method-assign]
        return await asyncio.gather(*(write(n) for n in range(3)), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, OSError) for r in results)
    assert table.count(SC) == 0
    store._room.room_again(now=True)


def test_a_block_inside_a_transaction_is_refused(store: Store) -> None:
    async def main() -> None:
        with store.transaction(), pytest.raises(StoreError), store.grouped():
            pass

    asyncio.run(main())


def test_in_event_loop() -> None:
    assert not in_event_loop()

    async def main() -> bool:
        return in_event_loop()

    assert asyncio.run(main())
