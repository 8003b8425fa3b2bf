"""The events ECR sends to EventBridge (the account's default bus in the repository's region):
"ECR Image Action" when an image is pushed or deleted, "ECR Image Scan" when a scan completes,
in the shapes ECR's documentation gives."""

from __future__ import annotations

import uuid
from typing import Any

from overcast.common.times import iso_seconds


def _envelope(repo: dict[str, Any], detail_type: str, detail: dict[str, Any], resources: list[str]) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.ecr",
        "account": repo["registryId"],
        "time": iso_seconds(),
        "region": repo["region"],
        "resources": resources,
        "detail": detail,
    }


def image_action(repo: dict[str, Any], image: dict[str, Any], action: str, tag: str | None) -> dict:
    detail: dict[str, Any] = {
        "result": "SUCCESS",
        "repository-name": repo["repositoryName"],
        "image-digest": image["digest"],
        "action-type": action,
    }
    if tag:
        detail["image-tag"] = tag
    if action == "PUSH":
        detail["manifest-media-type"] = image["mediaType"]
        if image.get("artifactType"):
            detail["artifact-media-type"] = image["artifactType"]
    return _envelope(repo, "ECR Image Action", detail, [])


def image_scan(repo: dict[str, Any], image: dict[str, Any]) -> dict:
    detail = {
        "scan-status": "COMPLETE",
        "repository-name": repo["repositoryName"],
        "finding-severity-counts": {},
        "image-digest": image["digest"],
        "image-tags": list(image["tags"]),
    }
    return _envelope(repo, "ECR Image Scan", detail, [repo["repositoryArn"]])
