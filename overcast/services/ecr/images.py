"""Images and layers: the data the ECR API and the registry's `/v2/` API share.

Tables, per account and region (store scope):
    images   "<repository>@<digest>" → the image: its manifest (text), media types, size, when
             it was pushed and last pulled, its tags, its scan
    tags     "<repository>:<tag>" → the digest the tag names
    layers   "<repository>@<digest>" → a blob the repository holds (size, media type); the
             bytes are a content-addressed file shared by every repository (blobs.py)
    uploads  "<upload id>" → a layer upload in progress (its repository)
"""

from __future__ import annotations

import fnmatch
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.services.ecr import manifests as mf
from overcast.services.ecr.blobs import DIGEST, Blobs, DigestMismatch
from overcast.services.ecr.errors import image_not_found, invalid
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.store import Store

PART_SIZE = 10 * 1024 * 1024
#: How stale lastRecordedPullTime may be before a pull refreshes it.
PULL_RECORD_SECONDS = 60.0
#: How long an unfinished layer upload is kept.
UPLOAD_SECONDS = 86400.0
#: How old a layer no image refers to must be before it is collected.
GARBAGE_GRACE_SECONDS = 3600.0
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def when(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class PushRefused(Exception):
    """A manifest the registry refuses: the registry's error code, the API's, and the message."""

    def __init__(self, registry_code: str, api_code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.registry_code = registry_code
        self.api_code = api_code
        self.message = message
        self.status = status

    def api_error(self) -> ServiceError:
        return ServiceError(self.api_code, self.message, 400)


def valid_tag(tag: str) -> bool:
    return 0 < len(tag) <= 300 and all(char in _TAG_CHARS for char in tag)


def tag_immutable(repository: dict[str, Any], tag: str) -> bool:
    """Whether the repository refuses to move `tag` once it names an image."""
    mutability = repository.get("imageTagMutability", "MUTABLE")
    if mutability in ("MUTABLE", "IMMUTABLE"):
        return mutability == "IMMUTABLE"
    excluded = any(
        fnmatch.fnmatchcase(tag, item["filter"]) for item in repository.get("exclusionFilters") or []
    )
    return excluded if mutability == "MUTABLE_WITH_EXCLUSION" else not excluded


class ImageStore:
    """The images, tags, layers and uploads of every repository, over the store and blobs."""

    def __init__(self, store: Store, blobs: Blobs) -> None:
        self.store = store
        self.blobs = blobs
        self.images = store.table("ecr", "images")
        self.tags = store.table("ecr", "tags")
        self.layers = store.table("ecr", "layers")
        self.uploads = store.table("ecr", "uploads")

    # -- reading ---------------------------------------------------------------------------------

    def image(self, scope: str, repo: str, digest: str) -> dict[str, Any] | None:
        image: dict[str, Any] | None = self.images.get(scope, f"{repo}@{digest}")
        return image

    def tagged(self, scope: str, repo: str, tag: str) -> str | None:
        digest: str | None = self.tags.get(scope, f"{repo}:{tag}")
        return digest

    def resolve(self, scope: str, repo: str, reference: str) -> dict[str, Any] | None:
        """The image a tag or a digest names."""
        digest = reference if reference.startswith("sha256:") else self.tagged(scope, repo, reference)
        return self.image(scope, repo, digest) if digest else None

    def all_images(self, scope: str, repo: str) -> list[dict[str, Any]]:
        return [image for _key, image in self.images.scan(scope, prefix=f"{repo}@")]

    def tag_names(self, scope: str, repo: str, after: str | None = None) -> list[str]:
        start = f"{repo}:{after}" if after is not None else None
        return [
            key[len(repo) + 1 :] for key, _ in self.tags.scan(scope, prefix=f"{repo}:", start_after=start)
        ]

    def layer(self, scope: str, repo: str, digest: str) -> dict[str, Any] | None:
        layer: dict[str, Any] | None = self.layers.get(scope, f"{repo}@{digest}")
        return layer

    def has_images(self, scope: str, repo: str) -> bool:
        return next(iter(self.images.scan(scope, prefix=f"{repo}@", limit=1)), None) is not None

    def lookup(
        self, scope: str, repo: str, image_id: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(image, failure code) for an ImageIdentifier of the API."""
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        if not digest and not tag:
            return None, "MissingDigestAndTag"
        if digest is not None and not DIGEST.fullmatch(digest):
            return None, "InvalidImageDigest"
        if tag is not None and not valid_tag(tag):
            return None, "InvalidImageTag"
        if digest:
            image = self.image(scope, repo, digest)
            if image is not None and tag and tag not in image["tags"]:
                return None, "ImageTagDoesNotMatchDigest"
            return image, None if image is not None else "ImageNotFound"
        image = self.resolve(scope, repo, str(tag))
        return image, None if image is not None else "ImageNotFound"

    # -- layers and uploads ----------------------------------------------------------------------

    def add_layer(self, scope: str, repo: str, digest: str, size: int, media_type: str = "") -> None:
        self.layers.put(
            scope, f"{repo}@{digest}", {"size": size, "mediaType": media_type, "added": time.time()}
        )

    def start_upload(self, scope: str, repo: str) -> str:
        upload_id = str(uuid.uuid4())
        self.blobs.begin(upload_id)
        self.uploads.put(scope, upload_id, {"repository": repo, "started": time.time()})
        return upload_id

    def upload(self, scope: str, repo: str, upload_id: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = self.uploads.get(scope, upload_id) if _safe_id(upload_id) else None
        if record is None or record["repository"] != repo or self.blobs.received(upload_id) < 0:
            return None
        return record

    def finish_upload(self, scope: str, repo: str, upload_id: str, digest: str) -> int:
        """Store a finished upload as a layer of the repository; its size (DigestMismatch)."""
        size = self.blobs.complete(upload_id, digest)
        self.uploads.delete(scope, upload_id)
        self.add_layer(scope, repo, digest, size)
        return size

    def cancel_upload(self, scope: str, upload_id: str) -> None:
        self.uploads.delete(scope, upload_id)
        self.blobs.discard(upload_id)

    # -- writing images --------------------------------------------------------------------------

    def put_manifest(
        self,
        scope: str,
        repository: dict[str, Any],
        body: bytes,
        media_type: str | None,
        tag: str | None,
        expected_digest: str | None = None,
        strict: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Store an image (its manifest, and the tag) in the repository: (image, changed).
        `strict` is PutImage's: an image (and tag) already there is ImageAlreadyExists.
        Raises PushRefused."""
        repo = repository["repositoryName"]
        registry = repository["registryId"]
        try:
            manifest = mf.parse(body, media_type)
        except mf.ManifestInvalid as error:
            raise PushRefused("MANIFEST_INVALID", "InvalidParameterException", f"Invalid parameter at "
                              f"'imageManifest' failed to satisfy constraint: '{error}'") from None  # fmt: skip
        if expected_digest and expected_digest != manifest.digest:
            raise PushRefused(
                "DIGEST_INVALID",
                "ImageDigestDoesNotMatchException",
                f"Invalid parameter at 'imageDigest' failed to satisfy constraint: 'Provided digest "
                f"{expected_digest} does not match the digest {manifest.digest} of the manifest'",
            )
        missing = [d for d, _size, _type in manifest.blobs if self.layer(scope, repo, d) is None]
        if missing and manifest.media_type not in (mf.DOCKER_V1, mf.DOCKER_V1_SIGNED):
            raise PushRefused(
                "MANIFEST_BLOB_UNKNOWN",
                "LayersNotFoundException",
                f"The following layers were not found in the repository: [{', '.join(missing)}]",
            )
        absent = [d for d, _size, _type in manifest.children if self.image(scope, repo, d) is None]
        if absent:
            raise PushRefused(
                "MANIFEST_UNKNOWN",
                "ReferencedImagesNotFoundException",
                f"The following referenced images were not found: [{', '.join(absent)}]",
            )
        existing = self.image(scope, repo, manifest.digest)
        if tag is not None:
            current = self.tagged(scope, repo, tag)
            if current == manifest.digest:
                if strict:
                    raise PushRefused(
                        "TAG_INVALID",
                        "ImageAlreadyExistsException",
                        f"Image with digest '{manifest.digest}' and tag '{tag}' already exists in the "
                        f"repository with name '{repo}' in registry with id '{registry}'",
                    )
                assert existing is not None
                return existing, False
            if current is not None and tag_immutable(repository, tag):
                raise PushRefused(
                    "TAG_INVALID",
                    "ImageTagAlreadyExistsException",
                    f"The image tag '{tag}' already exists in the '{repo}' repository and cannot be "
                    "overwritten because the repository is immutable.",
                )
        elif existing is not None:
            if strict:
                raise PushRefused(
                    "TAG_INVALID",
                    "ImageAlreadyExistsException",
                    f"Image with digest '{manifest.digest}' already exists in the repository with name "
                    f"'{repo}' in registry with id '{registry}'",
                )
            return existing, False
        now = time.time()
        with self.store.transaction():
            if tag is not None:
                self._untag(scope, repo, tag)
            image = existing or {
                "digest": manifest.digest,
                "manifest": body.decode("utf-8"),
                "mediaType": manifest.media_type,
                "artifactType": manifest.artifact_type or manifest.config_media_type,
                "size": manifest.layers_size,
                "pushedAt": now,
                "tags": [],
                "subject": manifest.subject,
                "annotations": manifest.annotations,
                "lastPull": None,
                "scan": None,
                "status": "ACTIVE",
            }
            if tag is not None:
                image["tags"] = [*image["tags"], tag]
                self.tags.put(scope, f"{repo}:{tag}", manifest.digest)
            self.images.put(scope, f"{repo}@{manifest.digest}", image)
        return image, True

    def _untag(self, scope: str, repo: str, tag: str) -> None:
        """Take `tag` off the image it names (that image stays, untagged if it was its last)."""
        digest = self.tagged(scope, repo, tag)
        if digest is None:
            return
        self.tags.delete(scope, f"{repo}:{tag}")
        image = self.image(scope, repo, digest)
        if image is not None:
            image["tags"] = [t for t in image["tags"] if t != tag]
            self.images.put(scope, f"{repo}@{digest}", image)

    def note_pull(self, scope: str, repo: str, image: dict[str, Any], now: float) -> None:
        """Record a pull as lastRecordedPullTime. ECR refreshes it now and then rather than on
        every pull: here at most once a minute, so a hot pull path writes nothing."""
        if image.get("lastPull") is None or now - image["lastPull"] >= PULL_RECORD_SECONDS:
            image["lastPull"] = now
            self.save(scope, repo, image)

    def save(self, scope: str, repo: str, image: dict[str, Any]) -> None:
        self.images.put(scope, f"{repo}@{image['digest']}", image)

    def referenced_by_index(self, scope: str, repo: str, digest: str) -> bool:
        for image in self.all_images(scope, repo):
            if image["mediaType"] in mf.INDEXES and digest in image["manifest"]:
                parsed = mf.parse(image["manifest"].encode(), image["mediaType"])
                if any(child == digest for child, _s, _t in parsed.children):
                    return True
        return False

    def delete_image(self, scope: str, repo: str, image: dict[str, Any]) -> None:
        with self.store.transaction():
            for tag in image["tags"]:
                self.tags.delete(scope, f"{repo}:{tag}")
            self.images.delete(scope, f"{repo}@{image['digest']}")

    def untag_or_delete(self, scope: str, repo: str, image: dict[str, Any], tag: str | None) -> None:
        """BatchDeleteImage of one image id: a tag alone untags (and deletes the image when it
        was its last tag); a digest deletes the image and all its tags."""
        if tag is not None and len(image["tags"]) > 1:
            with self.store.transaction():
                self._untag(scope, repo, tag)
            return
        self.delete_image(scope, repo, image)

    def drop_repository(self, scope: str, repo: str) -> None:
        with self.store.transaction():
            for table, separator in ((self.images, "@"), (self.tags, ":"), (self.layers, "@")):
                for key in [key for key, _ in table.scan(scope, prefix=f"{repo}{separator}")]:
                    table.delete(scope, key)
            for key, upload in list(self.uploads.scan(scope)):
                if upload["repository"] == repo:
                    self.uploads.delete(scope, key)
                    self.blobs.discard(key)

    # -- garbage ---------------------------------------------------------------------------------

    def collect_garbage(self, now: float, grace: float) -> tuple[int, int]:
        """Forget what no image needs any more, as ECR collects it: a repository's layers no
        image of it refers to (once `grace` seconds old: a push uploads its layers before its
        manifest), uploads left unfinished for a day, and blob files no repository holds.
        (layers forgotten, files removed)."""
        held: set[str] = set()
        forgotten = 0
        for scope in self.layers.scopes():
            used: dict[str, set[str]] = {}
            for key, image in self.images.scan(scope):
                repo = key.rsplit("@", 1)[0]
                refs = used.setdefault(repo, set())
                try:
                    manifest = mf.parse(image["manifest"].encode(), image["mediaType"])
                except mf.ManifestInvalid:
                    continue
                refs.update(digest for digest, _size, _type in manifest.blobs)
            for key, layer in list(self.layers.scan(scope)):
                repo, _, digest = key.rpartition("@")
                if digest in used.get(repo, ()) or now - layer.get("added", 0) < grace:
                    held.add(digest)
                    continue
                self.layers.delete(scope, key)
                forgotten += 1
        for scope in self.uploads.scopes():
            for upload_id, upload in list(self.uploads.scan(scope)):
                if now - upload["started"] > UPLOAD_SECONDS:
                    self.cancel_upload(scope, upload_id)
        removed = 0
        for path in self.blobs.root.glob("blobs/sha256/*/*"):
            digest = f"sha256:{path.name}"
            if digest not in held and now - path.stat().st_mtime >= grace:
                self.blobs.remove(digest)
                removed += 1
        return forgotten, removed

    # -- rendering -------------------------------------------------------------------------------

    @staticmethod
    def detail(registry: str, repo: str, image: dict[str, Any]) -> dict[str, Any]:
        """ImageDetail (DescribeImages)."""
        detail: dict[str, Any] = {
            "registryId": registry,
            "repositoryName": repo,
            "imageDigest": image["digest"],
            "imageSizeInBytes": image["size"],
            "imagePushedAt": when(image["pushedAt"]),
            "imageManifestMediaType": image["mediaType"],
            "imageStatus": image.get("status", "ACTIVE"),
        }
        if image["tags"]:
            detail["imageTags"] = list(image["tags"])
        if image.get("artifactType"):
            detail["artifactMediaType"] = image["artifactType"]
        if image.get("lastPull"):
            detail["lastRecordedPullTime"] = when(image["lastPull"])
        if image.get("subject"):
            detail["subjectManifestDigest"] = image["subject"]
        scan = image.get("scan")
        if scan:
            detail["imageScanStatus"] = {"status": scan["status"], "description": scan["description"]}
            detail["imageScanFindingsSummary"] = {
                "imageScanCompletedAt": when(scan["completedAt"]),
                "vulnerabilitySourceUpdatedAt": when(scan["completedAt"]),
                "findingSeverityCounts": {},
            }
        for field, key in (("archivedAt", "lastArchivedAt"), ("activatedAt", "lastActivatedAt")):
            if image.get(field):
                detail[key] = when(image[field])
        return detail


def _safe_id(upload_id: str) -> bool:
    return 0 < len(upload_id) <= 64 and all(c.isalnum() or c == "-" for c in upload_id)


def image_id(image: dict[str, Any], tag: str | None = None) -> dict[str, str]:
    found = {"imageDigest": image["digest"]}
    if tag is not None:
        found["imageTag"] = tag
    return found


def check_digest(digest: str) -> str:
    if not DIGEST.fullmatch(digest):
        raise invalid(
            f"Invalid parameter at 'layerDigest' failed to satisfy constraint: 'Invalid digest {digest}'"
        )
    return digest


def scan_done(now: float) -> dict[str, Any]:
    """A basic scan's record: complete, with no findings (Overcast has no vulnerability data)."""
    return {"status": "COMPLETE", "description": "The scan was completed successfully.", "completedAt": now}


__all__ = [
    "PART_SIZE",
    "DigestMismatch",
    "ImageStore",
    "PushRefused",
    "check_digest",
    "image_id",
    "image_not_found",
    "scan_done",
    "store_scope",
    "tag_immutable",
    "valid_tag",
    "when",
]
