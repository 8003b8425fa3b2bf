"""Image manifests as ECR reads them: Docker image manifest v2 schema 2 and manifest lists, OCI
image manifests and indexes (and Docker schema 1, stored as sent). What a manifest refers to
(its config and layers, or an index's manifests), its subject (OCI referrers) and its size."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"

#: The manifest media types ECR accepts (PutImage's imageManifestMediaType, a push's Content-Type).
MEDIA_TYPES = frozenset({DOCKER_MANIFEST, DOCKER_LIST, DOCKER_V1, DOCKER_V1_SIGNED, OCI_MANIFEST, OCI_INDEX})
INDEXES = frozenset({DOCKER_LIST, OCI_INDEX})


class ManifestInvalid(ValueError):
    """Not a manifest ECR accepts; the message says why."""


@dataclass
class Manifest:
    media_type: str
    digest: str
    #: Blobs an image manifest refers to (config first, then layers): (digest, size, media type).
    blobs: list[tuple[str, int, str]] = field(default_factory=list)
    #: Manifests an index refers to: (digest, size, media type).
    children: list[tuple[str, int, str]] = field(default_factory=list)
    subject: str | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def layers_size(self) -> int:
        """ECR's imageSizeInBytes: the layers' compressed sizes (an index: its manifests')."""
        if self.children:
            return sum(size for _digest, size, _type in self.children)
        return sum(size for _digest, size, _type in self.blobs[1:]) if self.blobs else 0

    @property
    def config_media_type(self) -> str | None:
        return self.blobs[0][2] if self.blobs else None


def digest_of(text: bytes) -> str:
    return "sha256:" + hashlib.sha256(text).hexdigest()


def _descriptor(item: Any, where: str) -> tuple[str, int, str]:
    if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
        raise ManifestInvalid(f"{where} is not a descriptor with a digest")
    size = item.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestInvalid(f"{where} has no valid size")
    return item["digest"], size, str(item.get("mediaType") or "")


def parse(body: bytes, declared: str | None = None) -> Manifest:
    """The manifest in `body`; `declared` is the media type the client named (a push's
    Content-Type, PutImage's imageManifestMediaType), else the manifest's own mediaType."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ManifestInvalid("the manifest is not valid JSON") from None
    if not isinstance(document, dict):
        raise ManifestInvalid("the manifest is not a JSON object")
    own = document.get("mediaType")
    media_type = declared or own
    if not media_type:
        if document.get("schemaVersion") == 1:
            media_type = DOCKER_V1_SIGNED if "signatures" in document else DOCKER_V1
        elif "manifests" in document:
            media_type = OCI_INDEX
        else:
            media_type = OCI_MANIFEST
    if media_type not in MEDIA_TYPES:
        raise ManifestInvalid(f"the manifest media type {media_type} is not supported")
    if own and declared and own != declared:
        raise ManifestInvalid(f"the manifest's mediaType {own} is not the declared {declared}")
    manifest = Manifest(media_type=media_type, digest=digest_of(body))
    if media_type in (DOCKER_V1, DOCKER_V1_SIGNED):
        for layer in document.get("fsLayers") or []:
            if isinstance(layer, dict) and isinstance(layer.get("blobSum"), str):
                manifest.blobs.append((layer["blobSum"], 0, ""))
        return manifest
    if document.get("schemaVersion") != 2:
        raise ManifestInvalid("the manifest's schemaVersion must be 2")
    if media_type in INDEXES:
        entries = document.get("manifests")
        if not isinstance(entries, list):
            raise ManifestInvalid("the index has no manifests list")
        manifest.children = [_descriptor(item, "a manifests entry") for item in entries]
    else:
        config = document.get("config")
        layers = document.get("layers")
        if config is None or not isinstance(layers, list):
            raise ManifestInvalid("the manifest has no config or no layers list")
        manifest.blobs = [_descriptor(config, "the config")]
        manifest.blobs += [_descriptor(item, "a layer") for item in layers]
    subject = document.get("subject")
    if subject is not None:
        manifest.subject = _descriptor(subject, "the subject")[0]
    artifact = document.get("artifactType")
    if isinstance(artifact, str):
        manifest.artifact_type = artifact
    elif media_type == OCI_MANIFEST and manifest.blobs:
        config_type = manifest.blobs[0][2]
        if config_type and config_type not in (OCI_CONFIG, DOCKER_CONFIG):
            manifest.artifact_type = config_type
    annotations = document.get("annotations")
    if isinstance(annotations, dict):
        manifest.annotations = {str(k): str(v) for k, v in annotations.items()}
    return manifest
