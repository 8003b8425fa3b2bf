"""The ECR API's image and layer operations, over the data the registry shares (images.py)."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

from overcast.common import pagination
from overcast.errors import ServiceError
from overcast.services.ecr import manifests as mf
from overcast.services.ecr.blobs import DIGEST, DigestMismatch
from overcast.services.ecr.errors import image_not_found, invalid
from overcast.services.ecr.images import PART_SIZE, PushRefused, check_digest, image_id, scan_done, when

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.ecr.provider import Provider

_FAILURE_REASONS = {
    "MissingDigestAndTag": "Invalid request parameters: both tag and digest cannot be null",
    "InvalidImageDigest": "Invalid request parameters: image digest should satisfy the regex "
    "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    "InvalidImageTag": "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'",
    "ImageTagDoesNotMatchDigest": "Invalid request parameters: given tag does not map to the given digest",
    "ImageNotFound": "Requested image not found",
    "ImageReferencedByManifestList": "Requested image is referenced by a manifest list",
}


def _failure(identifier: dict[str, Any], code: str) -> dict[str, Any]:
    return {"imageId": identifier, "failureCode": code, "failureReason": _FAILURE_REASONS[code]}


class ImageOperations:
    # -- layers ------------------------------------------------------------------------------------

    def batch_check_layer_availability(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        layers, failures = [], []
        for digest in params["layerDigests"]:
            if not DIGEST.fullmatch(digest):
                failures.append(
                    {
                        "layerDigest": digest,
                        "failureCode": "InvalidLayerDigest",
                        "failureReason": "Invalid layer digest",
                    }
                )
                continue
            layer = self.data.layer(scope, repo["repositoryName"], digest)
            if layer is None:
                failures.append(
                    {
                        "layerDigest": digest,
                        "failureCode": "MissingLayerDigest",
                        "failureReason": "Could not find layer with the digest",
                    }
                )
                continue
            entry = {"layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": layer["size"]}
            entry["mediaType"] = layer.get("mediaType") or "application/vnd.docker.image.rootfs.diff.tar.gzip"
            layers.append(entry)
        return {"layers": layers, "failures": failures}

    def initiate_layer_upload(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        return {"uploadId": self.data.start_upload(scope, repo["repositoryName"]), "partSize": PART_SIZE}

    def _upload(self: Provider, scope: str, repo: dict, upload_id: str) -> None:  # type: ignore[misc]
        if self.data.upload(scope, repo["repositoryName"], upload_id) is None:
            raise ServiceError(
                "UploadNotFoundException",
                f"Upload with id '{upload_id}' is not found in the repository with name "
                f"'{repo['repositoryName']}' in registry with id '{repo['registryId']}'",
            )

    def upload_layer_part(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        upload_id = params["uploadId"]
        self._upload(scope, repo, upload_id)
        data = params["layerPartBlob"]
        if isinstance(data, str):
            data = base64.b64decode(data)
        received = self.data.blobs.received(upload_id)
        first, last = params["partFirstByte"], params["partLastByte"]
        if first != received or last < first or last - first + 1 != len(data):
            raise ServiceError(
                "InvalidLayerPartException",
                f"The part ({first}-{last}) does not follow the bytes received so far"
                f" (0-{received - 1}) or is not the size of the data sent",
                400,
                registryId=repo["registryId"],
                repositoryName=repo["repositoryName"],
                uploadId=upload_id,
                lastValidByteReceived=max(received - 1, 0),
            )
        size = self.data.blobs.append(upload_id, data)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "uploadId": upload_id,
            "lastByteReceived": size - 1,
        }

    def complete_layer_upload(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        name, upload_id = repo["repositoryName"], params["uploadId"]
        self._upload(scope, repo, upload_id)
        digests = params["layerDigests"]
        if len(digests) != 1:
            raise invalid("Invalid parameter at 'layerDigests' failed to satisfy constraint: 'one digest'")
        digest = digests[0]
        if not DIGEST.fullmatch(digest):
            raise ServiceError("InvalidLayerException", f"The layer digest {digest} is not valid", 400)
        if self.data.blobs.received(upload_id) == 0:
            raise ServiceError(
                "EmptyUploadException", f"The upload with id '{upload_id}' has no layer parts", 400
            )
        if self.data.layer(scope, name, digest) is not None:
            self.data.cancel_upload(scope, upload_id)
            raise ServiceError(
                "LayerAlreadyExistsException",
                f"The layer with digest '{digest}' already exists in the repository with name '{name}'"
                f" in registry with id '{repo['registryId']}'",
            )
        try:
            self.data.finish_upload(scope, name, upload_id, digest)
        except DigestMismatch as actual:
            raise ServiceError(
                "InvalidLayerException",
                f"The calculated digest {actual} of the layer does not match the digest {digest} provided",
                400,
            ) from None
        return {
            "registryId": repo["registryId"],
            "repositoryName": name,
            "uploadId": upload_id,
            "layerDigest": digest,
        }

    def get_download_url_for_layer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        digest = check_digest(params["layerDigest"])
        if self.data.layer(scope, repo["repositoryName"], digest) is None:
            raise ServiceError(
                "LayersNotFoundException",
                f"The layer with digest '{digest}' was not found in the repository",
                400,
            )
        account, region = repo["registryId"], repo["region"]
        url = self.signed_blob_url(account, region, repo["repositoryName"], digest)
        return {"downloadUrl": url, "layerDigest": digest}

    # -- images ------------------------------------------------------------------------------------

    def put_image(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        tag = params.get("imageTag")
        media_type = params.get("imageManifestMediaType")
        try:
            image, _changed = self.store_image(
                scope,
                repo,
                params["imageManifest"].encode("utf-8"),
                media_type,
                tag,
                params.get("imageDigest"),
                strict=True,
            )
        except PushRefused as refused:
            raise refused.api_error() from None
        identifier = image_id(image, tag)
        return {
            "image": {
                "registryId": repo["registryId"],
                "repositoryName": repo["repositoryName"],
                "imageId": identifier,
                "imageManifest": image["manifest"],
                "imageManifestMediaType": image["mediaType"],
            }
        }

    def batch_get_image(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        name = repo["repositoryName"]
        images, failures = [], []
        now = time.time()
        for identifier in params["imageIds"]:
            image, failure = self.data.lookup(scope, name, identifier)
            if image is None:
                failures.append(_failure(identifier, failure or "ImageNotFound"))
                continue
            self.data.note_pull(scope, name, image, now)
            found = {"imageDigest": image["digest"]}
            if identifier.get("imageTag"):
                found["imageTag"] = identifier["imageTag"]
            images.append(
                {
                    "registryId": repo["registryId"],
                    "repositoryName": name,
                    "imageId": found,
                    "imageManifest": image["manifest"],
                    "imageManifestMediaType": image["mediaType"],
                }
            )
        return {"images": images, "failures": failures}

    def batch_delete_image(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        name = repo["repositoryName"]
        deleted: list[dict[str, str]] = []
        failures: list[dict[str, Any]] = []
        for identifier in params["imageIds"]:
            image, failure = self.data.lookup(scope, name, identifier)
            if image is None:
                failures.append(_failure(identifier, failure or "ImageNotFound"))
                continue
            tag = identifier.get("imageTag")
            whole = not tag or len(image["tags"]) <= 1
            if whole and self.data.referenced_by_index(scope, name, image["digest"]):
                failures.append(_failure(identifier, "ImageReferencedByManifestList"))
                continue
            self.data.untag_or_delete(scope, name, image, tag if not identifier.get("imageDigest") else None)
            if identifier.get("imageDigest"):
                deleted.extend(image_id(image, t) for t in image["tags"] or [None])
            else:
                deleted.append(image_id(image, tag))
            self.deleted(repo, image, tag if not identifier.get("imageDigest") else None)
        return {"imageIds": deleted, "failures": failures}

    def describe_images(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        name, registry = repo["repositoryName"], repo["registryId"]
        if params.get("imageIds"):
            if params.get("nextToken") or params.get("maxResults"):
                raise invalid("Invalid parameter: nextToken and maxResults cannot be used with imageIds")
            details = []
            for identifier in params["imageIds"]:
                image, _failure = self.data.lookup(scope, name, identifier)
                if image is None:
                    raise image_not_found(name, registry, identifier)
                details.append(self.data.detail(registry, name, image))
            return {"imageDetails": details}
        images = _filtered(self.data.all_images(scope, name), params.get("filter") or {})
        return self.page(
            "DescribeImages", params, images, lambda image: self.data.detail(registry, name, image), bind=name
        )

    def list_images(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        name = repo["repositoryName"]
        images = _filtered(self.data.all_images(scope, name), params.get("filter") or {})
        ids: list[dict[str, str]] = []
        wanted = (params.get("filter") or {}).get("tagStatus", "ANY")
        for image in images:
            if image["tags"] and wanted != "UNTAGGED":
                ids.extend(image_id(image, tag) for tag in image["tags"])
            elif not image["tags"]:
                ids.append(image_id(image))
        return self.page("ListImages", params, ids, bind=name)

    def list_image_referrers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        subject = params["subjectId"]["imageDigest"]
        if not DIGEST.fullmatch(subject):
            raise invalid("Invalid parameter at 'subjectId.imageDigest' failed to satisfy constraint")
        types = set((params.get("filter") or {}).get("artifactTypes") or [])
        referrers = [
            self.referrer(image)
            for image in self.data.all_images(scope, repo["repositoryName"])
            if image.get("subject") == subject and (not types or image.get("artifactType") in types)
        ]
        return self.page("ListImageReferrers", params, referrers, bind=subject)

    @staticmethod
    def referrer(image: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "digest": image["digest"],
            "mediaType": image["mediaType"],
            "size": len(image["manifest"].encode()),
            "artifactStatus": image.get("status", "ACTIVE"),
        }
        if image.get("artifactType"):
            entry["artifactType"] = image["artifactType"]
        if image.get("annotations"):
            entry["annotations"] = image["annotations"]
        return entry

    # -- scans, storage class, replication and signing status --------------------------------------

    def _image(self: Provider, context: RequestContext, params: dict) -> tuple[str, dict, dict]:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        identifier = params["imageId"]
        image, _failure = self.data.lookup(scope, repo["repositoryName"], identifier)
        if image is None:
            raise image_not_found(repo["repositoryName"], repo["registryId"], identifier)
        return scope, repo, image

    def start_image_scan(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo, image = self._image(context, params)
        if image["mediaType"] in mf.INDEXES or image.get("artifactType") not in (
            None,
            mf.DOCKER_CONFIG,
            mf.OCI_CONFIG,
        ):
            raise ServiceError(
                "UnsupportedImageTypeException",
                "The image is not a container image (an image index or an artifact cannot be scanned)",
                400,
            )
        if image.get("status") == "ARCHIVED":
            raise ServiceError("ImageArchivedException", "The image is archived and cannot be scanned", 400)
        image["scan"] = scan_done(time.time())
        self.data.save(scope, repo["repositoryName"], image)
        from overcast.services.ecr import events

        self.announce(events.image_scan(repo, image))
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "imageId": params["imageId"],
            "imageScanStatus": {"status": "IN_PROGRESS"},
        }

    def describe_image_scan_findings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo, image = self._image(context, params)
        scan = image.get("scan")
        if not scan:
            raise ServiceError(
                "ScanNotFoundException",
                f"Image scan does not exist for the image with '{params['imageId']}' in the repository with "
                f"name '{repo['repositoryName']}' in the registry with id '{repo['registryId']}'",
                400,
            )
        completed = when(scan["completedAt"])
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "imageId": {
                "imageDigest": image["digest"],
                **({"imageTag": t} if (t := params["imageId"].get("imageTag")) else {}),
            },
            "imageScanStatus": {"status": scan["status"], "description": scan["description"]},
            "imageScanFindings": {
                "imageScanCompletedAt": completed,
                "vulnerabilitySourceUpdatedAt": completed,
                "findingSeverityCounts": {},
                "findings": [],
            },
        }

    def update_image_storage_class(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo, image = self._image(context, params)
        target = params["targetStorageClass"]
        now = time.time()
        if target == "ARCHIVE" and image.get("status", "ACTIVE") != "ARCHIVED":
            image["status"], image["archivedAt"] = "ARCHIVED", now
        elif target == "STANDARD" and image.get("status") == "ARCHIVED":
            image["status"], image["activatedAt"] = "ACTIVE", now
        self.data.save(scope, repo["repositoryName"], image)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "imageId": {"imageDigest": image["digest"]},
            "imageStatus": image["status"],
        }

    def describe_image_replication_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo, image = self._image(context, params)
        statuses = [dict(entry) for entry in image.get("replicated") or []]
        return {
            "repositoryName": repo["repositoryName"],
            "imageId": {
                "imageDigest": image["digest"],
                **({"imageTag": t} if (t := params["imageId"].get("imageTag")) else {}),
            },
            "replicationStatuses": statuses,
        }

    def describe_image_signing_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo, image = self._image(context, params)
        # Each signing rule that applies to the repository would have AWS Signer sign the image;
        # Overcast has no Signer, so each such signing fails, and says why.
        statuses = [
            {
                "signingProfileArn": rule["signingProfileArn"],
                "status": "FAILED",
                "failureCode": "SIGNING_PROFILE_NOT_FOUND",
                "failureReason": "AWS Signer is not emulated by Overcast: no signing profile can sign images",
            }
            for rule in self.signing_rules(repo["registryId"], repo["region"], repo["repositoryName"])
        ]
        return {
            "repositoryName": repo["repositoryName"],
            "imageId": {"imageDigest": image["digest"]},
            "registryId": repo["registryId"],
            "signingStatuses": statuses,
        }


def _filtered(images: list[dict[str, Any]], given: dict[str, Any]) -> list[dict[str, Any]]:
    tag_status = given.get("tagStatus", "ANY")
    status = given.get("imageStatus", "ANY")
    chosen = []
    for image in images:
        if tag_status == "TAGGED" and not image["tags"]:
            continue
        if tag_status == "UNTAGGED" and image["tags"]:
            continue
        if status != "ANY" and image.get("status", "ACTIVE") != status:
            continue
        chosen.append(image)
    return chosen


__all__ = ["ImageOperations", "pagination"]
