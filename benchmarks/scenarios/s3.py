"""S3 objects on the request path: small puts and gets, a 1 MiB get (throughput), and a
1,000-key ListObjectsV2 page from a bucket of 100,000 keys (an index seek, not a scan).
The `-kms` scenarios do the same with SSE-KMS objects: the data key generated (put) or
decrypted (get) by KMS, the body sealed or opened with it (see services/s3/sealing.py)."""

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from scenarios import AwsCall, Scenario

BUCKET = "bench-objects"
NOTIFY_BUCKET = "bench-objects-notify"
LIST_BUCKET = "bench-objects-100k"
LIST_KEYS = 100_000
SMALL = b"s" * 1024
LARGE = b"L" * (1024 * 1024)


def _bucket(s3, name: str) -> bool:
    """Create the bucket; False if it was there already (set up by an earlier scenario)."""
    try:
        s3.create_bucket(Bucket=name)
    except ClientError as error:
        if error.response["Error"]["Code"] == "BucketAlreadyOwnedByYou":
            return False
        raise
    return True


def _setup_objects(make_client) -> None:
    s3 = make_client("s3")
    _bucket(s3, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="small.bin", Body=SMALL)
    s3.put_object(Bucket=BUCKET, Key="large.bin", Body=LARGE)


def _setup_kms_objects(make_client) -> None:
    s3 = make_client("s3")
    _bucket(s3, BUCKET)
    for key, body in (("small-kms.bin", SMALL), ("large-kms.bin", LARGE)):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, ServerSideEncryption="aws:kms")


def _put(key: str, body: bytes, **encryption: str) -> AwsCall:
    return AwsCall("s3", "PutObject", {"Bucket": BUCKET, "Key": key, "Body": body, **encryption})


KMS = {"ServerSideEncryption": "aws:kms"}


def _setup_notifying(make_client) -> None:
    """A bucket whose every new object is announced to an SQS queue."""
    s3, sqs = make_client("s3"), make_client("sqs")
    if not _bucket(s3, NOTIFY_BUCKET):
        return
    url = sqs.create_queue(QueueName="bench-objects-notify")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=NOTIFY_BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )


def _setup_listing(make_client) -> None:
    s3 = make_client("s3")
    if not _bucket(s3, LIST_BUCKET):
        return

    def fill(worker: int) -> None:
        client = make_client("s3")
        for n in range(worker, LIST_KEYS, 16):
            client.put_object(Bucket=LIST_BUCKET, Key=f"data/{n // 1000:03d}/{n:06d}.json", Body=b"{}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(fill, range(16)))


SCENARIOS = (
    Scenario(
        name="s3-put-object-1k",
        summary="S3 PutObject of 1 KiB (overwriting one key; body and row written)",
        requests=(AwsCall("s3", "PutObject", {"Bucket": BUCKET, "Key": "put.bin", "Body": SMALL}),),
        setup=_setup_objects,
    ),
    Scenario(
        name="s3-put-object-notify-sqs",
        summary="S3 PutObject of 1 KiB to a bucket that notifies an SQS queue (row, outbox, enqueue)",
        requests=(AwsCall("s3", "PutObject", {"Bucket": NOTIFY_BUCKET, "Key": "put.bin", "Body": SMALL}),),
        setup=_setup_notifying,
    ),
    Scenario(
        name="s3-get-object-1k",
        summary="S3 GetObject of 1 KiB",
        requests=(AwsCall("s3", "GetObject", {"Bucket": BUCKET, "Key": "small.bin"}),),
        setup=_setup_objects,
    ),
    Scenario(
        name="s3-get-object-1m",
        summary="S3 GetObject of 1 MiB streamed from its file (GB/s = req/s / 1024)",
        requests=(AwsCall("s3", "GetObject", {"Bucket": BUCKET, "Key": "large.bin"}),),
        setup=_setup_objects,
    ),
    Scenario(
        name="s3-put-object-1m",
        summary="S3 PutObject of 1 MiB (overwriting one key; body streamed to its file)",
        requests=(_put("put-large.bin", LARGE),),
        setup=_setup_objects,
    ),
    Scenario(
        name="s3-put-object-1k-kms",
        summary="S3 PutObject of 1 KiB with SSE-KMS (a KMS data key per object, the body sealed)",
        requests=(_put("put-kms.bin", SMALL, **KMS),),
        setup=_setup_kms_objects,
    ),
    Scenario(
        name="s3-put-object-1m-kms",
        summary="S3 PutObject of 1 MiB with SSE-KMS (sealed in 64 KiB AES-GCM chunks as it streams)",
        requests=(_put("put-large-kms.bin", LARGE, **KMS),),
        setup=_setup_kms_objects,
    ),
    Scenario(
        name="s3-get-object-1k-kms",
        summary="S3 GetObject of 1 KiB with SSE-KMS (the data key decrypted by KMS, the body opened)",
        requests=(AwsCall("s3", "GetObject", {"Bucket": BUCKET, "Key": "small-kms.bin"}),),
        setup=_setup_kms_objects,
    ),
    Scenario(
        name="s3-get-object-1m-kms",
        summary="S3 GetObject of 1 MiB with SSE-KMS (opened chunk by chunk as it streams)",
        requests=(AwsCall("s3", "GetObject", {"Bucket": BUCKET, "Key": "large-kms.bin"}),),
        setup=_setup_kms_objects,
    ),
    Scenario(
        name="s3-list-objects-v2-1000",
        summary="S3 ListObjectsV2, a 1,000-key page from the middle of a 100,000-key bucket",
        requests=(
            AwsCall(
                "s3",
                "ListObjectsV2",
                {
                    "Bucket": LIST_BUCKET,
                    "Prefix": "data/05",
                    "StartAfter": "data/050/050000.json",
                    "MaxKeys": 1000,
                },
            ),
        ),
        setup=_setup_listing,
    ),
)
