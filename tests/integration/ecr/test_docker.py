"""The guide's ECR flow with the real docker CLI: log in with get-login-password, tag, push,
pull after rmi, and the pushed image in DescribeImages."""

from __future__ import annotations

import uuid


def test_guide_push_and_pull(aws, docker, base_image):
    name = f"my-app-{uuid.uuid4().hex[:8]}"
    repository = aws("ecr", "create-repository", "--repository-name", name)["repository"]
    uri = repository["repositoryUri"]
    password = aws("ecr", "get-login-password", "--region", "us-east-1", check=False).stdout
    endpoint = aws("ecr", "get-authorization-token")["authorizationData"][0]["proxyEndpoint"]
    login = docker("login", "--username", "AWS", "--password-stdin", endpoint, input=password)
    assert "Login Succeeded" in login.stdout

    docker("tag", base_image, f"{uri}:latest")
    docker("push", f"{uri}:latest")
    docker("rmi", f"{uri}:latest")
    docker("pull", f"{uri}:latest")
    ran = docker("run", "--rm", f"{uri}:latest", "/bin/busybox", "echo", "pulled from overcast")
    assert ran.stdout.strip() == "pulled from overcast"
    docker("rmi", f"{uri}:latest")

    details = aws("ecr", "describe-images", "--repository-name", name)["imageDetails"]
    assert len(details) == 1
    assert details[0]["imageTags"] == ["latest"]
    assert details[0]["imageSizeInBytes"] > 0
    assert details[0]["imageDigest"].startswith("sha256:")
    assert "imagePushedAt" in details[0]
    assert details[0]["imageManifestMediaType"] in (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )


def test_scan_on_push_and_immutable_tags(aws, docker, base_image):
    name = f"scanned-{uuid.uuid4().hex[:8]}"
    uri = aws("ecr", "create-repository", "--repository-name", name, "--image-tag-mutability", "IMMUTABLE")[
        "repository"
    ]["repositoryUri"]
    aws(
        "ecr", "put-image-scanning-configuration", "--repository-name", name,
        "--image-scanning-configuration", "scanOnPush=true",
    )  # fmt: skip
    password = aws("ecr", "get-login-password", check=False).stdout
    endpoint = aws("ecr", "get-authorization-token")["authorizationData"][0]["proxyEndpoint"]
    docker("login", "--username", "AWS", "--password-stdin", endpoint, input=password)
    docker("tag", base_image, f"{uri}:v1")
    docker("push", f"{uri}:v1")
    findings = aws(
        "ecr", "describe-image-scan-findings", "--repository-name", name, "--image-id", "imageTag=v1"
    )
    assert findings["imageScanStatus"]["status"] == "COMPLETE"
    assert findings["imageScanFindings"]["findings"] == []

    # Another image under the same tag: refused, as the repository is immutable.
    docker("build", "-t", f"{uri}:v1", "-", input=f"FROM {base_image}\nLABEL changed=yes\n")
    refused = docker("push", f"{uri}:v1", check=False)
    assert refused.returncode != 0
    assert "tag invalid" in refused.stderr.lower() or "immutable" in refused.stderr.lower()
    docker("rmi", f"{uri}:v1", check=False)


def test_login_with_a_wrong_password_fails(docker, endpoint):
    result = docker(
        "login", "--username", "AWS", "--password-stdin", endpoint.replace("127.0.0.1", "localhost"),
        input="not-a-token", check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        "401" in result.stderr or "unauthorized" in result.stderr.lower() or "denied" in result.stderr.lower()
    )
