"""Terraform's AWS provider creating, reading and destroying S3 bucket configuration: a static
site (website, public-read policy, CORS, encryption, ownership, public access block, tags)
served on the website endpoint afterwards. (Lifecycle rules are left out: the provider waits
about a minute for them to "settle" whatever the server does; the CLI tests cover them.)"""

from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform

RESOURCES = """
resource "aws_s3_bucket" "site" {{
  bucket = "{bucket}"
  tags   = {{ team = "web" }}
}}

resource "aws_s3_bucket_ownership_controls" "site" {{
  bucket = aws_s3_bucket.site.id
  rule {{ object_ownership = "BucketOwnerEnforced" }}
}}

resource "aws_s3_bucket_public_access_block" "site" {{
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = false
  restrict_public_buckets = false
}}

resource "aws_s3_bucket_website_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  index_document {{ suffix = "index.html" }}
  error_document {{ key = "404.html" }}
}}

resource "aws_s3_bucket_policy" "site" {{
  bucket     = aws_s3_bucket.site.id
  depends_on = [aws_s3_bucket_public_access_block.site]
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "PublicReadGetObject"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${{aws_s3_bucket.site.arn}}/*"
    }}]
  }})
}}

resource "aws_s3_bucket_cors_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  cors_rule {{
    allowed_methods = ["GET"]
    allowed_origins = ["https://example.com"]
    max_age_seconds = 600
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  rule {{
    apply_server_side_encryption_by_default {{ sse_algorithm = "AES256" }}
  }}
}}

resource "aws_s3_object" "index" {{
  bucket       = aws_s3_bucket.site.id
  key          = "index.html"
  content      = "<h1>terraformed</h1>"
  content_type = "text/html"
}}
"""


def get(endpoint: str, host: str, path: str = "/") -> tuple[int, bytes]:
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.slow  # four terraform runs: most of the time is the provider starting up
def test_static_site_bucket_configuration(endpoint, tmp_path, client):
    bucket = f"tf-site-{uuid.uuid4().hex[:12]}"
    workspace(tmp_path, endpoint, ("s3",), s3_path_style=True, resources=RESOURCES.format(bucket=bucket))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    s3 = client("s3")
    # The new bucket blocked public policies (as on AWS); the configured block relaxed that
    # before the policy went on (depends_on).
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    assert (
        json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"]
        == "PublicReadGetObject"
    )
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "web"}]
    assert get(endpoint, f"{bucket}.s3-website.localhost.localstack.cloud:4566") == (
        200,
        b"<h1>terraformed</h1>",
    )
    # A second plan finds nothing to change: every configuration reads back as written.
    plan = terraform(tmp_path, "plan", "-input=false", "-detailed-exitcode")
    assert "No changes" in plan
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
