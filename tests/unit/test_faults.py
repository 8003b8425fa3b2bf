"""A full disk told apart from bugs and said once; the store's reserve that lets deletes run."""

from __future__ import annotations

import errno
import logging
import sqlite3

import pytest

from overcast.faults import Condition, StorageFull, in_words, is_disk_full, storage_full_error
from overcast.store import Store, scope
from overcast.store.space import RESERVE_BYTES, RESERVE_FILE, freeing


def test_disk_full_is_told_apart_through_causes():
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert is_disk_full(StorageFull())
    wrapped = RuntimeError("delivery failed")
    wrapped.__cause__ = OSError(errno.EDQUOT, "quota")
    assert is_disk_full(wrapped)
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(ValueError("database or disk"))


def test_os_errors_in_words_without_errno_numbers():
    assert in_words(NotADirectoryError(errno.ENOTDIR, "Not a directory")) == (
        "a part of that path is a file, not a folder"
    )
    assert in_words(OSError(errno.ECONNREFUSED, "Connection refused")) == "connection refused"


def test_each_service_answers_a_full_disk_with_its_own_internal_error():
    assert (storage_full_error("s3").code, storage_full_error("s3").status) == ("InternalError", 500)
    assert storage_full_error("dynamodb").code == "InternalServerError"
    assert storage_full_error("sqs").code == "InternalFailure"
    assert "storage is full" in storage_full_error("kms").message


def test_a_lasting_condition_is_logged_once_each_way(caplog):
    condition = Condition(logging.getLogger("overcast.test"), "periodic flush")
    with caplog.at_level(logging.WARNING, logger="overcast.test"):
        for _ in range(5):
            condition.failed(StorageFull())
        condition.succeeded()
        condition.succeeded()
    assert [record.getMessage() for record in caplog.records] == [
        "periodic flush cannot write: the disk is full; retrying until there is room",
        "periodic flush writes again: the disk has room",
    ]
    assert all(record.exc_info is None for record in caplog.records)


def test_a_full_store_refuses_growth_but_lets_deletes_and_freeing_requests_run(tmp_path):
    with Store.open(tmp_path / "data") as store:
        reserve = tmp_path / "data" / RESERVE_FILE
        assert reserve.stat().st_size == RESERVE_BYTES
        table = store.table("sqs", "queues")
        where = scope("000000000000", "us-east-1")
        table.put(where, "a", {"n": 1})
        table.put(where, "b", {"n": 2})

        store.noticed(OSError(errno.ENOSPC, "No space left on device"))
        assert not reserve.exists()  # released, for the deletes
        with pytest.raises(StorageFull):
            table.put(where, "c", {"n": 3})
        assert table.get(where, "a") == {"n": 1}
        assert table.delete(where, "a")
        with freeing():
            table.put(where, "b", {"n": 2, "deleted": True})

        # The disk has room (this one always had): the reserve is taken back, writes go on.
        assert store._room.room_again(now=True)
        assert reserve.stat().st_size == RESERVE_BYTES
        table.put(where, "c", {"n": 3})
        assert [key for key, _ in table.scan(where)] == ["b", "c"]


def test_an_ephemeral_store_keeps_no_reserve():
    with Store.open(None) as store:
        store.noticed(OSError(errno.ENOSPC, "No space left on device"))
        store.table("sqs", "queues").put(scope("000000000000", "us-east-1"), "a", 1)
