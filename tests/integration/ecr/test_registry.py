"""The OCI Distribution API over plain HTTP: authentication, chunked and monolithic uploads,
cross-repository mounts, manifests by tag and digest (Docker and OCI, image indexes),
referrers, tag and catalog listings, and the registry's JSON errors."""

from __future__ import annotations

import json
import os

from tests.integration.ecr.conftest import Registry, digest, path_name


def test_base_check_challenges_without_a_token(endpoint, registry):
    anonymous = Registry(endpoint, None)
    status, headers, body = anonymous.request("GET", "/v2/")
    assert status == 401
    assert headers["www-authenticate"].startswith("Basic realm=")
    assert json.loads(body)["errors"][0]["code"] == "UNAUTHORIZED"
    assert registry.request("GET", "/v2/")[0] == 200
    forged = Registry(endpoint, "QVdTOm5vdC1hLXRva2Vu")  # base64 of AWS:not-a-token
    status, _, body = forged.request("GET", "/v2/")
    assert status == 401 and json.loads(body)["errors"][0]["code"] == "DENIED"


def test_chunked_upload_and_blob_reads(registry, repo):
    name = path_name(repo)
    data = os.urandom(300_000)
    status, headers, _ = registry.request("POST", f"/v2/{name}/blobs/uploads/")
    assert status == 202
    location = headers["location"]
    assert headers["range"] == "0-0"
    status, headers, _ = registry.request(
        "PATCH",
        location,
        data[:100_000],
        {"Content-Range": "0-99999", "Content-Type": "application/octet-stream"},
    )
    assert status == 202 and headers["range"] == "0-99999"
    # A chunk that does not continue the upload: 416 with the range received so far.
    status, headers, _ = registry.request("PATCH", location, data[:10], {"Content-Range": "5-14"})
    assert status == 416 and headers["range"] == "0-99999"
    status, headers, _ = registry.request("PATCH", location, data[100_000:200_000])
    assert status == 202 and headers["range"] == "0-199999"
    status, headers, _ = registry.request("GET", location)
    assert status == 204 and headers["range"] == "0-199999"
    blob = digest(data)
    status, headers, _ = registry.request("PUT", f"{location}?digest={blob}", data[200_000:])
    assert status == 201
    assert headers["docker-content-digest"] == blob
    status, headers, _ = registry.request("HEAD", f"/v2/{name}/blobs/{blob}")
    assert status == 200 and headers["content-length"] == str(len(data))
    status, _, body = registry.request("GET", f"/v2/{name}/blobs/{blob}")
    assert status == 200 and body == data
    status, headers, body = registry.request(
        "GET", f"/v2/{name}/blobs/{blob}", headers={"Range": "bytes=10-19"}
    )
    assert status == 206 and body == data[10:20]
    assert headers["content-range"] == f"bytes 10-19/{len(data)}"


def test_a_wrong_digest_and_unknown_blobs_are_refused(registry, repo):
    name = path_name(repo)
    status, headers, _ = registry.request("POST", f"/v2/{name}/blobs/uploads/")
    status, _, body = registry.request("PUT", f"{headers['location']}?digest={digest(b'other')}", b"content")
    assert status == 400
    assert json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    status, _, body = registry.request("GET", f"/v2/{name}/blobs/{digest(b'missing')}")
    assert status == 404
    error = json.loads(body)["errors"][0]
    assert error["code"] == "BLOB_UNKNOWN" and error["message"]
    status, _, body = registry.request("GET", f"/v2/{name}/manifests/nope")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    status, _, body = registry.request("GET", "/v2/000000000000/us-east-1/no-such-repo/tags/list")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"


def test_monolithic_upload(registry, repo):
    name = path_name(repo)
    data = b"a small blob sent in one request"
    status, headers, _ = registry.request("POST", f"/v2/{name}/blobs/uploads/?digest={digest(data)}", data)
    assert status == 201
    assert headers["location"].endswith(digest(data))


def test_cross_repository_mount(ecr, registry, repo):
    other = ecr.create_repository(repositoryName=repo["repositoryName"] + "-mounted")["repository"]
    blob = registry.push_blob(path_name(repo), os.urandom(1000))
    mount = f"/v2/{path_name(other)}/blobs/uploads/?mount={blob}&from={path_name(repo)}"
    # Blob mounting is off until the registry enables it: the client is told to upload.
    assert registry.request("POST", mount)[0] == 202
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    try:
        status, headers, _ = registry.request("POST", mount)
        assert status == 201
        assert headers["docker-content-digest"] == blob
        assert registry.request("HEAD", f"/v2/{path_name(other)}/blobs/{blob}")[0] == 200
        layers = ecr.batch_check_layer_availability(
            repositoryName=other["repositoryName"], layerDigests=[blob]
        )
        assert layers["layers"][0]["layerAvailability"] == "AVAILABLE"
    finally:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")


def test_manifests_by_tag_and_digest_and_the_api_sees_them(ecr, registry, repo):
    name = path_name(repo)
    manifest_digest, manifest = registry.push_image(name, "v1", os.urandom(2048))
    for reference in ("v1", manifest_digest):
        status, headers, body = registry.request(
            "GET",
            f"/v2/{name}/manifests/{reference}",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        assert status == 200 and body == manifest
        assert headers["content-type"] == "application/vnd.docker.distribution.manifest.v2+json"
        assert headers["docker-content-digest"] == manifest_digest
    detail = ecr.describe_images(repositoryName=repo["repositoryName"])["imageDetails"][0]
    assert detail["imageDigest"] == manifest_digest
    assert detail["imageTags"] == ["v1"]
    assert detail["imageSizeInBytes"] == 2048
    got = ecr.batch_get_image(repositoryName=repo["repositoryName"], imageIds=[{"imageTag": "v1"}])["images"][
        0
    ]
    assert got["imageManifest"] == manifest.decode()

    # Tag listing with pagination, then deletion by digest.
    registry.push_image(name, "v2", os.urandom(100))
    status, headers, body = registry.request("GET", f"/v2/{name}/tags/list?n=1")
    assert status == 200 and json.loads(body)["tags"] == ["v1"]
    assert 'rel="next"' in headers["link"]
    status, _, body = registry.request("GET", f"/v2/{name}/tags/list?n=1&last=v1")
    assert json.loads(body)["tags"] == ["v2"]
    assert registry.request("DELETE", f"/v2/{name}/manifests/{manifest_digest}")[0] == 202
    assert registry.request("GET", f"/v2/{name}/manifests/v1")[0] == 404
    status, _, body = registry.request("GET", "/v2/_catalog")
    assert status == 200 and name in json.loads(body)["repositories"]


def test_pushing_a_manifest_whose_layers_are_missing(registry, repo):
    name = path_name(repo)
    config = registry.push_blob(name, b"{}")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": config},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": 3, "digest": digest(b"abc")}
            ],
        }
    ).encode()
    status, _, body = registry.request(
        "PUT",
        f"/v2/{name}/manifests/t",
        manifest,
        {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert status == 400
    assert json.loads(body)["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_image_index_and_referrers(ecr, registry, repo):
    name = path_name(repo)
    first, manifest_a = registry.push_image(name, "amd64", os.urandom(64))
    second, manifest_b = registry.push_image(name, "arm64", os.urandom(64))
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": len(manifest_a),
                 "digest": first, "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": len(manifest_b),
                 "digest": second, "platform": {"architecture": "arm64", "os": "linux"}},
            ],
        }
    ).encode()  # fmt: skip
    status, headers, _ = registry.request(
        "PUT",
        f"/v2/{name}/manifests/multi",
        index,
        {"Content-Type": "application/vnd.oci.image.index.v1+json"},
    )
    assert status == 201
    status, headers, body = registry.request("GET", f"/v2/{name}/manifests/multi")
    assert headers["content-type"] == "application/vnd.oci.image.index.v1+json" and body == index
    # An image an index refers to cannot be deleted on its own.
    failures = ecr.batch_delete_image(
        repositoryName=repo["repositoryName"], imageIds=[{"imageDigest": first}]
    )
    assert failures["failures"][0]["failureCode"] == "ImageReferencedByManifestList"

    # A signature-like artifact whose subject is the first image.
    empty = registry.push_blob(name, b"{}")
    artifact = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.example.signature",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": empty},
            "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": empty}],
            "subject": {
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "size": len(manifest_a),
                "digest": first,
            },
        }
    ).encode()
    status, headers, _ = registry.request(
        "PUT", f"/v2/{name}/manifests/{digest(artifact)}", artifact,
        {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )  # fmt: skip
    assert status == 201 and headers["oci-subject"] == first
    status, headers, body = registry.request("GET", f"/v2/{name}/referrers/{first}")
    assert status == 200
    referrers = json.loads(body)["manifests"]
    assert [r["digest"] for r in referrers] == [digest(artifact)]
    assert referrers[0]["artifactType"] == "application/vnd.example.signature"
    status, headers, body = registry.request("GET", f"/v2/{name}/referrers/{first}?artifactType=other/type")
    assert json.loads(body)["manifests"] == [] and headers["oci-filters-applied"] == "artifactType"
    listed = ecr.list_image_referrers(repositoryName=repo["repositoryName"], subjectId={"imageDigest": first})
    assert [r["digest"] for r in listed["referrers"]] == [digest(artifact)]


def test_registry_host_form_answers(endpoint, registry, repo):
    """AWS's own registry host name (for clients whose DNS sends it here) names the account and
    region; the path then holds only the repository name."""
    data = b"by host"
    status, _headers, _ = registry.request(
        "POST",
        f"/v2/{repo['repositoryName']}/blobs/uploads/?digest={digest(data)}",
        data,
        {"Host": "000000000000.dkr.ecr.us-east-1.amazonaws.com"},
    )
    assert status == 201
    assert registry.request("HEAD", f"/v2/{path_name(repo)}/blobs/{digest(data)}")[0] == 200


def test_pushes_are_recorded_by_cloudtrail_as_ecr_actions(client, registry, repo):
    import time

    cloudtrail = client("cloudtrail")
    registry.push_image(path_name(repo), "audited", os.urandom(32))
    deadline = time.monotonic() + 10
    found: list[dict] = []
    while time.monotonic() < deadline:
        events = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutImage"}]
        )
        found = [
            json.loads(e["CloudTrailEvent"])
            for e in events["Events"]
            if repo["repositoryName"] in e["CloudTrailEvent"]
        ]
        if found:
            break
        time.sleep(0.3)
    assert found, "no PutImage event for the push"
    assert found[0]["eventSource"] == "ecr.amazonaws.com"
    assert found[0]["requestParameters"]["repositoryName"] == repo["repositoryName"]
