"""RestoreDBInstanceToPointInTime on PostgreSQL replays the source's archived WAL: the new
instance holds what was committed until the requested moment, and nothing after it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.integration.rds.conftest import create_postgres, delete, pg, unique, wait_status


def test_a_restore_to_a_moment_between_two_writes(rds):
    source = unique("pitr")
    instance = create_postgres(rds, source, BackupRetentionPeriod=1)
    restored = unique("pitr-to")
    try:
        # The first automated snapshot is the base backup the restore starts from.
        deadline = time.monotonic() + 30
        while not [
            s
            for s in rds.describe_db_snapshots(DBInstanceIdentifier=source, SnapshotType="automated")[
                "DBSnapshots"
            ]
            if s["Status"] == "available"
        ]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        conn = pg(instance)
        conn.run("CREATE TABLE history (v text)")
        conn.run("INSERT INTO history VALUES ('before')")
        time.sleep(1.1)
        moment = datetime.now(UTC)
        time.sleep(1.1)
        conn.run("INSERT INTO history VALUES ('after')")
        conn.close()
        rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=restored, RestoreTime=moment
        )
        copy = wait_status(rds, restored, timeout=120)
        conn = pg(copy)
        assert conn.run("SELECT v FROM history") == [["before"]]
        # It is a primary of its own: writable.
        conn.run("INSERT INTO history VALUES ('restored')")
        conn.close()
    finally:
        delete(rds, restored)
        delete(rds, source)
