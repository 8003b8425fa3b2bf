"""ECR fixtures: a client, a fresh repository per test, a registry HTTP client, and the real
`docker` CLI (skipped where no Docker daemon answers) with a login of its own."""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest


@pytest.fixture(scope="session")
def ecr(client):
    return client("ecr")


@pytest.fixture
def repo(ecr) -> dict:
    name = f"r-{uuid.uuid4().hex[:10]}"
    return ecr.create_repository(repositoryName=name)["repository"]


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """A plain HTTP client of the registry's /v2 API, logged in with an ECR token."""

    def __init__(self, endpoint: str, token: str | None) -> None:
        parts = urlsplit(endpoint)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, auth=True
    ):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = dict(headers or {})
        if auth and self.token:
            sent["Authorization"] = f"Basic {self.token}"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def push_blob(self, name: str, data: bytes) -> str:
        blob = digest(data)
        status, headers, _ = self.request("POST", f"/v2/{name}/blobs/uploads/")
        assert status == 202, status
        status, _, body = self.request("PUT", f"{headers['location']}?digest={blob}", data)
        assert status == 201, body
        return blob

    def push_image(self, name: str, tag: str, layer: bytes, config: bytes | None = None) -> tuple[str, bytes]:
        config = (
            config
            or json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}}).encode()
        )
        config_digest = self.push_blob(name, config)
        layer_digest = self.push_blob(name, layer)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": len(config),
                    "digest": config_digest,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(layer),
                        "digest": layer_digest,
                    }
                ],
            }
        ).encode()
        status, headers, body = self.request(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            manifest,
            {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        assert status == 201, body
        assert headers["docker-content-digest"] == digest(manifest)
        return digest(manifest), manifest


def token_of(ecr) -> str:
    return ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]


@pytest.fixture(scope="session")
def registry(ecr, endpoint) -> Registry:
    return Registry(endpoint, token_of(ecr))


def path_name(repository: dict) -> str:
    """The repository as the registry's paths name it: its URI without the host."""
    return repository["repositoryUri"].split("/", 1)[1]


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def docker(tmp_path_factory):
    """`docker(*args)` with a config directory of its own (its logins stay the test's)."""
    if not docker_available():
        pytest.skip("no Docker daemon is reachable (install docker.io and start dockerd)")
    config = tmp_path_factory.mktemp("docker-config")

    def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["docker", "--config", str(config), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed: {result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def base_image(docker, tmp_path_factory) -> str:
    """An image built offline: a rootfs holding busybox-static, imported."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox-static is not installed (apt-get install busybox-static)")
    root = tmp_path_factory.mktemp("rootfs")
    (root / "bin").mkdir()
    shutil.copy(busybox, root / "bin" / "busybox")
    tarball = Path(root.parent) / f"{root.name}.tar"
    subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
    name = f"overcast-ecr-test-base:{uuid.uuid4().hex[:8]}"
    docker("import", str(tarball), name)
    yield name
    docker("rmi", "-f", name, check=False)
