"""S3 bucket configuration on the request path: a bucket policy deciding unsigned reads, the
website endpoint, CORS preflights, and a configuration read."""

import json

from scenarios import AwsCall, HttpRequest, Scenario

BUCKET = "bench-config-site"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadGetObject",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
)


def _setup(make_client) -> None:
    s3 = make_client("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:  # the scenarios share one bucket
        pass
    # New buckets block public policies (as AWS's have since 2023): lift that, as a user must.
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=POLICY)
    s3.put_bucket_website(Bucket=BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_cors(
        Bucket=BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["https://app.example.com"],
                    "AllowedMethods": ["GET", "PUT"],
                    "AllowedHeaders": ["*"],
                }
            ]
        },
    )
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"<h1>hello</h1>" * 64, ContentType="text/html")


SCENARIOS = (
    Scenario(
        name="s3-anonymous-get",
        summary="S3 unsigned GetObject (1 KiB) let through by a public-read bucket policy",
        requests=(HttpRequest("GET", f"/{BUCKET}/index.html"),),
        setup=_setup,
    ),
    Scenario(
        name="s3-website-get",
        summary="S3 website endpoint: GET / served as the index document",
        requests=(
            HttpRequest("GET", "/", (("Host", f"{BUCKET}.s3-website.localhost.localstack.cloud:4566"),)),
        ),
        setup=_setup,
    ),
    Scenario(
        name="s3-cors-preflight",
        summary="S3 CORS preflight (OPTIONS) matched against the bucket's rules",
        requests=(
            HttpRequest(
                "OPTIONS",
                f"/{BUCKET}/index.html",
                (
                    ("Origin", "https://app.example.com"),
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "content-type"),
                ),
            ),
        ),
        setup=_setup,
    ),
    Scenario(
        name="s3-get-bucket-policy",
        summary="S3 GetBucketPolicy: a configuration read",
        requests=(AwsCall("s3", "GetBucketPolicy", {"Bucket": BUCKET}),),
        setup=_setup,
    ),
)
