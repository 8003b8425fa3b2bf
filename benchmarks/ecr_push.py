"""`docker push` of a 50 MB image (one layer of random bytes, which gzip cannot shrink) to
Overcast's ECR registry, in MB/s, beside the raw upload ceiling of the server stack.

    .venv/bin/python benchmarks/ecr_push.py [--megabytes 50] [--rounds 3]

Each round pushes the image to a fresh repository (so the layer is uploaded again: ECR's blob
mounting is off by default) after `docker login` with GetAuthorizationToken's password, and
times the `docker push` command alone; MB/s is the layer's size over that time. It includes
the Docker daemon's own work (it gzips the layer as it sends it), so it is what a user sees;
the CPU seconds Overcast and dockerd each spent on a push say which side bounds it.

The ceiling: the same number of bytes streamed by one HTTP request from this process to the
reference server (benchmarks/reference_server.py, which reads the body and answers 200), beside
the same bytes sent as a chunked upload (PATCH) to Overcast's registry, which hashes them and
writes them to the upload's file. Needs a Docker daemon; the image is built offline, a
`docker import` of a tar holding one random file.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402

CHUNK = 1 << 20


def docker(config: str, *args: str, input: str | None = None) -> str:
    result = subprocess.run(
        ["docker", "--config", config, *args], input=input, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def build_image(config: str, megabytes: int, workdir: Path) -> str:
    payload = workdir / "payload.bin"
    with open(payload, "wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(CHUNK))
    tarball = workdir / "rootfs.tar"
    with tarfile.open(tarball, "w") as archive:
        archive.add(payload, arcname="payload.bin")
    payload.unlink()
    name = f"overcast-bench-push:{uuid.uuid4().hex[:8]}"
    docker(config, "import", str(tarball), name)
    tarball.unlink()
    return name


def cpu_seconds(pid: int | None) -> float:
    """A process's CPU time so far (user + system), from /proc; 0 where it cannot be read."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dockerd_pid() -> int | None:
    found = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def stream(port: int, method: str, path: str, size: int, headers: dict[str, str]) -> float:
    """Seconds to send `size` bytes as one chunked request body and read the answer."""
    block = os.urandom(CHUNK)
    connection = http.client.HTTPConnection(harness.HOST, port, timeout=120)
    started = time.perf_counter()
    connection.putrequest(method, path)
    for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
        connection.putheader(name, value)
    connection.endheaders()
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        sent += len(piece)
    connection.send(b"0\r\n\r\n")
    reply = connection.getresponse()
    reply.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if reply.status >= 400:
        raise SystemExit(f"{method} {path} answered {reply.status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.megabytes * CHUNK
    with tempfile.TemporaryDirectory(prefix="overcast-bench-push-") as work:
        config = os.path.join(work, "docker-config")
        os.mkdir(config)
        image = build_image(config, args.megabytes, Path(work))
        try:
            with (
                harness.running_server("overcast", harness.OVERCAST_CMD, None, 60) as overcast,
                harness.running_server("reference", harness.REFERENCE_CMD, None, 60) as reference,
            ):
                ecr = boto3.client(
                    "ecr",
                    endpoint_url=f"http://{harness.HOST}:{overcast.port}",
                    region_name="us-east-1",
                    aws_access_key_id="test",
                    aws_secret_access_key="test",
                )
                data = ecr.get_authorization_token()["authorizationData"][0]
                password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)[1]
                docker(
                    config,
                    "login",
                    "--username",
                    "AWS",
                    "--password-stdin",
                    data["proxyEndpoint"],
                    input=password,
                )
                pushes, server_cpu, daemon_cpu = [], [], []
                daemon = dockerd_pid()
                for _ in range(args.rounds):
                    repository = ecr.create_repository(repositoryName=f"bench-{uuid.uuid4().hex[:8]}")[
                        "repository"
                    ]
                    uri = repository["repositoryUri"] + ":latest"
                    docker(config, "tag", image, uri)
                    before = cpu_seconds(overcast.process.pid), cpu_seconds(daemon)
                    started = time.perf_counter()
                    docker(config, "push", uri)
                    elapsed = time.perf_counter() - started
                    server_cpu.append(cpu_seconds(overcast.process.pid) - before[0])
                    daemon_cpu.append(cpu_seconds(daemon) - before[1])
                    docker(config, "rmi", uri)
                    pushed = ecr.describe_images(repositoryName=repository["repositoryName"])["imageDetails"][
                        0
                    ]
                    megabytes = pushed["imageSizeInBytes"] / CHUNK
                    pushes.append(megabytes / elapsed)
                    print(
                        f"  docker push: {megabytes:.1f} MB in {elapsed:.2f} s = {pushes[-1]:.0f} MB/s",
                        file=sys.stderr,
                    )

                name = repository["repositoryUri"].split("/", 1)[1]
                auth = {"Authorization": f"Basic {data['authorizationToken']}"}
                raw, ceiling = [], []
                for _ in range(args.rounds):
                    start = http.client.HTTPConnection(harness.HOST, overcast.port, timeout=30)
                    start.request("POST", f"/v2/{name}/blobs/uploads/", headers=auth)
                    location = start.getresponse().getheader("Location") or ""
                    start.close()
                    raw.append(size / CHUNK / stream(overcast.port, "PATCH", location, size, auth))
                    ceiling.append(size / CHUNK / stream(reference.port, "POST", "/", size, {}))
        finally:
            docker(config, "rmi", image)
    print(f"docker push of a {args.megabytes} MB image, {args.rounds} rounds (median):")
    print(f"  docker push to Overcast ECR        {statistics.median(pushes):8.0f} MB/s")
    print(f"  Overcast CPU per push              {statistics.median(server_cpu):8.2f} s")
    if daemon is not None:
        print(f"  dockerd CPU per push (gzip, ...)   {statistics.median(daemon_cpu):8.2f} s")
    print(f"  one chunked PATCH to the registry  {statistics.median(raw):8.0f} MB/s")
    print(f"  the same body to the reference     {statistics.median(ceiling):8.0f} MB/s")
    print(f"  registry upload / reference        {statistics.median(raw) / statistics.median(ceiling):8.2f}")


if __name__ == "__main__":
    main()
