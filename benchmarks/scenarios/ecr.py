"""ECR: the API side of a pull — BatchGetImage of a tagged image (a tag lookup and an image
read) — and BatchCheckLayerAvailability of its two blobs, the first call of a push. The setup
pushes the image through the API's layer upload operations and PutImage."""

import hashlib
import json

from scenarios import AwsCall, ClientFactory, Scenario

REPOSITORY = "bench"
CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
LAYER = bytes(range(256)) * 64


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _setup(client: ClientFactory) -> None:
    ecr = client("ecr")
    if ecr.describe_repositories()["repositories"]:
        return  # the other scenario's setup has pushed the image
    ecr.create_repository(repositoryName=REPOSITORY)
    for blob in (CONFIG, LAYER):
        upload = ecr.initiate_layer_upload(repositoryName=REPOSITORY)["uploadId"]
        ecr.upload_layer_part(
            repositoryName=REPOSITORY,
            uploadId=upload,
            partFirstByte=0,
            partLastByte=len(blob) - 1,
            layerPartBlob=blob,
        )
        ecr.complete_layer_upload(repositoryName=REPOSITORY, uploadId=upload, layerDigests=[_digest(blob)])
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(CONFIG),
            "digest": _digest(CONFIG),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(LAYER),
                "digest": _digest(LAYER),
            }
        ],
    }
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="latest")


SCENARIOS = (
    Scenario(
        name="ecr-batch-get-image",
        summary="ECR BatchGetImage of one tagged image (JSON protocol; a tag lookup, an image read and its pull time written)",
        setup=_setup,
        requests=(
            AwsCall(
                "ecr",
                "BatchGetImage",
                {
                    "repositoryName": REPOSITORY,
                    "imageIds": [{"imageTag": "latest"}],
                    "acceptedMediaTypes": ["application/vnd.docker.distribution.manifest.v2+json"],
                },
            ),
        ),
    ),
    Scenario(
        name="ecr-batch-check-layer-availability",
        summary="ECR BatchCheckLayerAvailability of two layers (two row reads)",
        setup=_setup,
        requests=(
            AwsCall(
                "ecr",
                "BatchCheckLayerAvailability",
                {"repositoryName": REPOSITORY, "layerDigests": [_digest(CONFIG), _digest(LAYER)]},
            ),
        ),
    ),
)
