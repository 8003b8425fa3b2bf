"""Another OCI client than docker: the ORAS Python SDK pushes files as an artifact (a chunked
upload, then a monolithic one) with the ECR token, and pulls them back."""

from __future__ import annotations

import base64
import os

import pytest

oras_client = pytest.importorskip("oras.client", reason="the oras package (test extras) is not installed")


@pytest.mark.parametrize("chunked", [True, False])
def test_oras_push_and_pull(ecr, repo, tmp_path, chunked, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ecr.get_authorization_token()["authorizationData"][0]
    password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)[1]
    host = data["proxyEndpoint"].removeprefix("http://")
    client = oras_client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
    client.login(username="AWS", password=password, hostname=host, config_path=str(tmp_path / "auth.json"))
    artifact = tmp_path / "artifact.bin"
    content = os.urandom(3 * 1024 * 1024 + 17)
    artifact.write_bytes(content)
    target = f"{repo['repositoryUri']}:{'chunked' if chunked else 'whole'}"
    response = client.push(target=target, files=["artifact.bin"], do_chunked=chunked, chunk_size=1024 * 1024)
    assert response.status_code == 201

    pulled = client.pull(target=target, outdir=str(tmp_path / "out"))
    assert [os.path.basename(path) for path in pulled] == ["artifact.bin"]
    assert (tmp_path / "out" / "artifact.bin").read_bytes() == content
    image = ecr.describe_images(repositoryName=repo["repositoryName"])["imageDetails"][0]
    assert image["imageManifestMediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert image["imageSizeInBytes"] == len(content)
