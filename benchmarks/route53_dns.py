"""Route 53's DNS server: UDP queries answered per second from a zone of 10,000 records, next
to the ceiling in the same run: a UDP server on the same stack (asyncio on uvloop) that
answers every query with a fixed answer and does nothing else.

    .venv/bin/python benchmarks/route53_dns.py [--records N] [--duration S] [--rounds N] [--window N]

Both servers are pinned to CPU 0 and the load generator to CPU 1 (as run.py pins them). The
generator is a Python process keeping `--window` queries in flight over one UDP socket, each
for a random name of the zone (A records `h{i}.bench.test.`), counting the answers; a lost
answer is re-sent after a second and counted as a timeout. A Python generator may saturate
before the servers do: the figures are then a floor for both, and the ratio compares loosely.
Where `dnsperf` is installed, `--dnsperf` drives it instead.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import dns.message
import dns.rdatatype

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402
from loadgen import pin_to  # noqa: E402

ZONE = "bench.test."
REFERENCE = r"""
import asyncio, sys
import uvloop
ANSWER = bytes.fromhex("0000810000010001000000000268310562656e636804746573740000010001c00c0001000100000e100004c0000201")
class Answer(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, addr):
        self.transport.sendto(data[:2] + ANSWER[2:], addr)
async def main():
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Answer, local_addr=("127.0.0.1", int(sys.argv[1])))
    await asyncio.Event().wait()
uvloop.run(main())
"""


def fill_zone(endpoint: str, records: int) -> None:
    route53 = boto3.client(
        "route53",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"]
    for start in range(0, records, 1000):
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": f"h{i}.{ZONE}",
                    "Type": "A",
                    "TTL": 3600,
                    "ResourceRecords": [{"Value": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}],
                },
            }
            for i in range(start, min(start + 1000, records))
        ]
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def queries(records: int) -> list[bytes]:
    out = []
    for i in range(records):
        message = dns.message.make_query(f"h{i}.{ZONE}", dns.rdatatype.A)
        message.id = i & 0xFFFF
        out.append(message.to_wire())
    random.Random(7).shuffle(out)
    return out


def load(port: int, packets: list[bytes], duration: float, window: int) -> tuple[float, int, int]:
    """(answers/s, answers, timeouts): `window` queries kept in flight for `duration` seconds."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(1.0)
    answered = timeouts = 0
    index = 0
    for _ in range(window):
        sock.send(packets[index % len(packets)])
        index += 1
    start = time.perf_counter()
    deadline = start + duration
    while True:
        try:
            sock.recv(4096)
            answered += 1
        except TimeoutError:
            timeouts += 1
        if time.perf_counter() >= deadline:
            break
        sock.send(packets[index % len(packets)])
        index += 1
    elapsed = time.perf_counter() - start
    sock.close()
    return answered / elapsed, answered, timeouts


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (every thread's), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(port: int, args: argparse.Namespace, packets_file: str) -> tuple[float, int]:
    """One run in a child process pinned to the client CPU; (answers/s, answers)."""
    code = (
        "import pickle, sys; sys.path.insert(0, %r); import route53_dns as b;"
        "packets = pickle.load(open(%r, 'rb'));"
        "rate, answered, _ = b.load(%d, packets, %f, %d); print(rate, answered)"
    ) % (str(HERE), packets_file, port, args.duration, args.window)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=pin_to(args.client_cpu),
    )
    rate, answered = result.stdout.split()
    return float(rate), int(answered)


def run_dnsperf(port: int, args: argparse.Namespace, records: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as data:
        data.writelines(f"h{i}.{ZONE} A\n" for i in range(records))
        data.flush()
        result = subprocess.run(
            ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", data.name, "-l", str(args.duration), "-c", "1", "-q", str(args.window)],
            capture_output=True, text=True, check=True, preexec_fn=pin_to(args.client_cpu),
        )  # fmt: skip
    for line in result.stdout.splitlines():
        if "Queries per second" in line:
            return float(line.split(":")[1])
    raise SystemExit(result.stdout)


def inproc(records: int, count: int) -> float:
    """Queries answered per second of process CPU time by the engine alone (no sockets): the
    DNS server's cost per query, unaffected by what else runs on the machine."""
    sys.path.insert(0, str(HERE.parent))
    from overcast.services.route53.engine import Engine, respond

    engine = Engine(lambda check: True, lambda record, client: False)
    engine.add_zone("ZBENCH", ZONE, "000000000000", False)
    for i in range(records):
        engine.put(
            "ZBENCH",
            {
                "Name": f"h{i}.{ZONE}",
                "Type": "A",
                "TTL": 3600,
                "ResourceRecords": [{"Value": f"10.0.{i >> 8 & 255}.{i & 255}"}],
            },
        )
    packets = queries(records)
    for packet in packets:  # the first answer to each name fills the cache, as it would in service
        respond(engine, packet, "127.0.0.1", None)
    started = time.process_time()
    for n in range(count):
        respond(engine, packets[n % records], "127.0.0.1", None)
    return count / (time.process_time() - started)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=int, default=32, help="queries in flight")
    parser.add_argument(
        "--dnsperf", action="store_true", help="drive dnsperf instead of the Python generator"
    )
    parser.add_argument(
        "--inproc", type=int, metavar="N", help="only time N queries through the engine in-process"
    )
    args = parser.parse_args(argv)
    if args.inproc:
        rate = inproc(args.records, args.inproc)
        print(f"Route 53 DNS engine, in-process: {rate:,.0f} queries per CPU second ({args.records} records)")
        return 0
    cpus = os.cpu_count() or 1
    server_cpu, args.client_cpu = (0, 1) if cpus >= 2 else (None, None)
    if args.dnsperf and shutil.which("dnsperf") is None:
        raise SystemExit("dnsperf is not installed")
    dns_port = harness.free_port()
    os.environ["OVERCAST_DNS_ADDRESS"] = f"127.0.0.1:{dns_port}"
    reference_port = harness.free_port()
    reference = subprocess.Popen(
        [sys.executable, "-c", REFERENCE, str(reference_port)], preexec_fn=pin_to(server_cpu)
    )
    try:
        with harness.running_server("overcast", harness.OVERCAST_CMD, server_cpu, 60) as overcast:
            started = time.perf_counter()
            fill_zone(f"http://127.0.0.1:{overcast.port}", args.records)
            print(
                f"zone of {args.records} records written in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            packets = queries(args.records)
            with tempfile.NamedTemporaryFile(suffix=".pickle") as packets_file:
                import pickle

                pickle.dump(packets, packets_file)
                packets_file.flush()
                results: dict[str, list[float]] = {"reference": [], "overcast": []}
                for label, port in (("reference", reference_port), ("overcast", dns_port)):
                    (
                        run_dnsperf(port, args, args.records)
                        if args.dnsperf
                        else run_load(
                            port, argparse.Namespace(**{**vars(args), "duration": 1.0}), packets_file.name
                        )[0]
                    )
                per_cpu: dict[str, list[float]] = {"reference": [], "overcast": []}
                pids = {"reference": reference.pid, "overcast": overcast.process.pid}
                for round_number in range(1, args.rounds + 1):
                    for label, port in (("reference", reference_port), ("overcast", dns_port)):
                        before = cpu_seconds(pids[label])
                        if args.dnsperf:
                            rate, answered = run_dnsperf(port, args, args.records), 0
                        else:
                            rate, answered = run_load(port, args, packets_file.name)
                        spent = cpu_seconds(pids[label]) - before
                        results[label].append(rate)
                        if answered and spent > 0:
                            per_cpu[label].append(answered / spent)
                        print(
                            f"  round {round_number} {label:>9}: {rate:9.0f} answers/s"
                            + (
                                f"  {answered / spent:9.0f} per server CPU second"
                                if answered and spent > 0
                                else ""
                            ),
                            file=sys.stderr,
                            flush=True,
                        )
    finally:
        reference.terminate()
        reference.wait(timeout=10)
    ratios = [oc / ref for ref, oc in zip(results["reference"], results["overcast"], strict=False) if ref]
    generator = "dnsperf" if args.dnsperf else f"python, window {args.window}"
    pinned = "server CPU 0, client CPU 1" if server_cpu is not None else "not pinned"
    print(f"\nRoute 53 DNS, UDP A queries over a zone of {args.records} records ({generator}; {pinned})")
    print(f"  reference {statistics.median(results['reference']):9.0f} answers/s")
    print(
        f"  overcast  {statistics.median(results['overcast']):9.0f} answers/s   ratio {statistics.median(ratios):.2f}"
    )
    if per_cpu["overcast"] and per_cpu["reference"]:
        # What each server's own CPU time bought: robust to neighbours taking the CPUs.
        print(
            f"  per server CPU second: reference {statistics.median(per_cpu['reference']):9.0f}, "
            f"overcast {statistics.median(per_cpu['overcast']):9.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
