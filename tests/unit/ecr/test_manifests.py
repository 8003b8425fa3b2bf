"""Manifests as ECR reads them: media types, what they refer to, subjects and sizes."""

from __future__ import annotations

import json

import pytest

from overcast.services.ecr import manifests as mf


def test_docker_manifest_blobs_and_size():
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mf.DOCKER_MANIFEST,
            "config": {"mediaType": mf.DOCKER_CONFIG, "size": 10, "digest": "sha256:" + "a" * 64},
            "layers": [
                {"mediaType": "x", "size": 100, "digest": "sha256:" + "b" * 64},
                {"mediaType": "x", "size": 23, "digest": "sha256:" + "c" * 64},
            ],
        }
    ).encode()
    manifest = mf.parse(body)
    assert manifest.media_type == mf.DOCKER_MANIFEST
    assert manifest.layers_size == 123
    assert [d for d, _, _ in manifest.blobs] == ["sha256:" + c * 64 for c in "abc"]
    assert manifest.digest == mf.digest_of(body)


def test_oci_artifact_with_subject():
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mf.OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.example.sbom",
                "size": 2,
                "digest": "sha256:" + "d" * 64,
            },
            "layers": [],
            "subject": {"mediaType": mf.OCI_MANIFEST, "size": 5, "digest": "sha256:" + "e" * 64},
        }
    ).encode()
    manifest = mf.parse(body, mf.OCI_MANIFEST)
    assert manifest.subject == "sha256:" + "e" * 64
    assert manifest.artifact_type == "application/vnd.example.sbom"


def test_index_children():
    body = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [{"mediaType": mf.OCI_MANIFEST, "size": 7, "digest": "sha256:" + "f" * 64}],
        }
    ).encode()
    manifest = mf.parse(body)
    assert manifest.media_type == mf.OCI_INDEX
    assert manifest.children == [("sha256:" + "f" * 64, 7, mf.OCI_MANIFEST)]


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        (b"not json", None),
        (b"[]", None),
        (json.dumps({"schemaVersion": 2, "mediaType": mf.DOCKER_MANIFEST}).encode(), None),
        (
            json.dumps(
                {"schemaVersion": 2, "mediaType": mf.OCI_MANIFEST, "config": {}, "layers": []}
            ).encode(),
            None,
        ),
        (
            json.dumps({"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": []}).encode(),
            mf.DOCKER_LIST,
        ),
        (json.dumps({"schemaVersion": 2}).encode(), "text/plain"),
    ],
)
def test_what_is_not_a_manifest_is_refused(body, declared):
    with pytest.raises(mf.ManifestInvalid):
        mf.parse(body, declared)
