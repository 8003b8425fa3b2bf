"""RDS on real engines: how long a PostgreSQL CreateDBInstance takes to become available, how far
a read replica lags behind a write, and pgbench through the endpoint the API returns beside the
same PostgreSQL started by hand (initdb + postgres, the same binaries and settings).

    .venv/bin/python benchmarks/rds_engines.py [--rounds 3] [--pgbench-seconds 10]

Starts its own Overcast (ephemeral). The endpoint is the engine itself, so the pgbench ratio
should be 1.0 within noise: runs alternate, by hand / through Overcast, to share the drift."""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from overcast.engines.process import find_binary, free_port  # noqa: E402
from overcast.services.rds.engines import POSTGRES, postgres_ready  # noqa: E402
from tests.conftest import Server  # noqa: E402

PASSWORD = "benchmark-secret"


def wait_available(rds, identifier: str, timeout: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        status = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"
        ]
        if status == "available":
            return time.perf_counter() - started
        if status == "failed":
            raise RuntimeError(f"{identifier} failed")
        time.sleep(0.02)
    raise RuntimeError(f"{identifier} not available after {timeout}s")


def create_seconds(rds, rounds: int, retention: int) -> list[float]:
    times = []
    for _ in range(rounds):
        identifier = f"bench-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        rds.create_db_instance(
            DBInstanceIdentifier=identifier,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="bench",
            MasterUserPassword=PASSWORD,
            DBName="bench",
            BackupRetentionPeriod=retention,
        )
        wait_available(rds, identifier)
        times.append(time.perf_counter() - started)
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    return times


def replica_lag(rds, writes: int) -> list[float]:
    import pg8000.native

    primary, replica = f"bench-p-{uuid.uuid4().hex[:6]}", f"bench-r-{uuid.uuid4().hex[:6]}"
    rds.create_db_instance(
        DBInstanceIdentifier=primary, DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="bench", MasterUserPassword=PASSWORD, DBName="bench", BackupRetentionPeriod=1,
    )  # fmt: skip
    wait_available(rds, primary)
    rds.create_db_instance_read_replica(DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=primary)
    wait_available(rds, replica)
    endpoints = {
        name: rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]
        for name in (primary, replica)
    }
    writer = pg8000.native.Connection(
        "bench", host="127.0.0.1", port=endpoints[primary]["Port"], password=PASSWORD, database="bench"
    )
    reader = pg8000.native.Connection(
        "bench", host="127.0.0.1", port=endpoints[replica]["Port"], password=PASSWORD, database="bench"
    )
    writer.run("CREATE TABLE lag (n int)")
    while True:
        try:
            reader.run("SELECT count(*) FROM lag")
            break
        except Exception:
            time.sleep(0.01)
    lags = []
    for n in range(writes):
        writer.run("INSERT INTO lag VALUES (:n)", n=n)
        started = time.perf_counter()
        while reader.run("SELECT count(*) FROM lag WHERE n = :n", n=n) != [[1]]:
            time.sleep(0.001)
        lags.append(time.perf_counter() - started)
    writer.close()
    reader.close()
    rds.delete_db_instance(DBInstanceIdentifier=replica, SkipFinalSnapshot=True)
    rds.delete_db_instance(DBInstanceIdentifier=primary, SkipFinalSnapshot=True)
    return lags


def pgbench_tps(port: int, user: str, seconds: int, clients: int, host: str = "127.0.0.1") -> float:
    pgbench = str(find_binary(POSTGRES, "pgbench"))
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    out = subprocess.run(
        [pgbench, "-h", host, "-p", str(port), "-U", user, "-S", "-T", str(seconds), "-c", str(clients), "-j", "1", "bench"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def pgbench_init(port: int, user: str) -> None:
    subprocess.run(
        [str(find_binary(POSTGRES, "pgbench")), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-i", "-s", "2", "-q", "bench"],
        capture_output=True, env={**os.environ, "PGPASSWORD": PASSWORD}, check=True,
    )  # fmt: skip


class HandStarted:
    """The same PostgreSQL, started by hand: initdb, postgres on a free port, as an
    unprivileged user when run as root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pg-by-hand-"))
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("overcast-engine")
            os.chmod(self.dir, 0o755)
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        (self.dir / "pw").write_text(PASSWORD + "\n")
        if self.user:
            os.chown(self.dir / "pw", self.user.pw_uid, self.user.pw_gid)
        data = self.dir / "data"
        self._run(
            [
                str(find_binary(POSTGRES, "initdb")),
                "-D",
                str(data),
                "-U",
                "bench",
                "--auth=scram-sha-256",
                f"--pwfile={self.dir / 'pw'}",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        self.process = subprocess.Popen(
            [str(find_binary(POSTGRES, "postgres")), "-D", str(data), "-c", f"port={self.port}", "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, user=self.user.pw_uid if self.user else None,
        )  # fmt: skip
        while True:
            try:
                if postgres_ready(self.port):
                    break
            except OSError:
                pass
            time.sleep(0.02)
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        subprocess.run(
            [
                str(find_binary(POSTGRES, "createdb")),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "bench",
                "bench",
            ],
            env=env,
            check=True,
        )

    def _run(self, argv: list[str]) -> None:
        subprocess.run(argv, capture_output=True, check=True, user=self.user.pw_uid if self.user else None)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=4)
    args = parser.parse_args()
    server = Server("--ephemeral", "--quiet")
    try:
        rds = boto3.client(
            "rds",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        plain = create_seconds(rds, args.rounds, retention=0)
        backed = create_seconds(rds, args.rounds, retention=1)
        print(
            f"CreateDBInstance (postgres, no backups) -> available: median {statistics.median(plain):.2f}s  {['%.2f' % t for t in plain]}"
        )
        print(
            f"CreateDBInstance (postgres, first backup) -> available: median {statistics.median(backed):.2f}s  {['%.2f' % t for t in backed]}"
        )
        lags = replica_lag(rds, args.writes)
        print(
            f"replica lag after a write: median {statistics.median(lags) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms"
        )
        identifier = f"bench-pgbench-{uuid.uuid4().hex[:6]}"
        rds.create_db_instance(
            DBInstanceIdentifier=identifier, DBInstanceClass="db.t3.micro", Engine="postgres",
            MasterUsername="bench", MasterUserPassword=PASSWORD, DBName="bench", BackupRetentionPeriod=0,
        )  # fmt: skip
        wait_available(rds, identifier)
        port = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["Endpoint"][
            "Port"
        ]
        hand = HandStarted()
        try:
            pgbench_init(port, "bench")
            pgbench_init(hand.port, "bench")
            ratios, via, by_hand = [], [], []
            for _ in range(args.rounds):
                h = pgbench_tps(hand.port, "bench", args.pgbench_seconds, args.pgbench_clients)
                o = pgbench_tps(port, "bench", args.pgbench_seconds, args.pgbench_clients)
                by_hand.append(h)
                via.append(o)
                ratios.append(o / h)
            print(
                f"pgbench -S ({args.pgbench_clients} clients, {args.pgbench_seconds}s): by hand {statistics.median(by_hand):.0f} tps,"
                f" through the RDS endpoint {statistics.median(via):.0f} tps, ratio {statistics.median(ratios):.3f}"
            )
            # RDS Proxy: a forwarder in the data path (proxies.py), beside the endpoint itself.
            proxy = rds.create_db_proxy(
                DBProxyName=f"bench-{uuid.uuid4().hex[:6]}", EngineFamily="POSTGRESQL",
                RoleArn="arn:aws:iam::000000000000:role/bench", VpcSubnetIds=["subnet-0a", "subnet-0b"],
            )["DBProxy"]  # fmt: skip
            rds.register_db_proxy_targets(
                DBProxyName=proxy["DBProxyName"], DBInstanceIdentifiers=[identifier]
            )
            proxied, direct = [], []
            for _ in range(args.rounds):
                direct.append(pgbench_tps(port, "bench", args.pgbench_seconds, args.pgbench_clients))
                proxied.append(
                    pgbench_tps(
                        5432, "bench", args.pgbench_seconds, args.pgbench_clients, host=proxy["Endpoint"]
                    )
                )
            print(
                f"pgbench -S ({args.pgbench_clients} clients, {args.pgbench_seconds}s): through the endpoint"
                f" {statistics.median(direct):.0f} tps, through an RDS Proxy {statistics.median(proxied):.0f} tps,"
                f" ratio {statistics.median(proxied) / statistics.median(direct):.3f}"
            )
            rds.delete_db_proxy(DBProxyName=proxy["DBProxyName"])
        finally:
            hand.stop()
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
