"""Terraform's real AWS provider creates a static site's CloudFront pieces — an origin access
control, a cache policy, a function and a distribution with an S3 origin — reads them back
without drift, serves through the distribution, and destroys them (skipped where terraform or
its provider is missing). The distribution itself is deleted through the API: the provider
waits a minute before it first looks at a deletion."""

from __future__ import annotations

import http.client
import uuid

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform


def _resources(name: str, comment: str, enabled: bool = True) -> str:
    return f"""
resource "aws_s3_bucket" "site" {{
  bucket        = "{name}"
  force_destroy = true
}}
resource "aws_s3_object" "index" {{
  bucket       = aws_s3_bucket.site.id
  key          = "index.html"
  content      = "<h1>terraformed</h1>"
  content_type = "text/html"
}}
resource "aws_cloudfront_origin_access_control" "oac" {{
  name                              = "{name}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}}
resource "aws_cloudfront_cache_policy" "cache" {{
  name        = "{name}"
  min_ttl     = 0
  default_ttl = 60
  max_ttl     = 3600
  parameters_in_cache_key_and_forwarded_to_origin {{
    cookies_config {{
      cookie_behavior = "none"
    }}
    headers_config {{
      header_behavior = "none"
    }}
    query_strings_config {{
      query_string_behavior = "none"
    }}
  }}
}}
resource "aws_cloudfront_function" "rewrite" {{
  name    = "{name}"
  runtime = "cloudfront-js-2.0"
  publish = true
  code    = "function handler(event) {{ var r = event.request; if (r.uri.endsWith('/')) {{ r.uri += 'index.html'; }} return r; }}"
}}
resource "aws_cloudfront_distribution" "site" {{
  enabled             = {"true" if enabled else "false"}
  comment             = "{comment}"
  default_root_object = "index.html"
  # The provider waits a minute before its first look at a deployment, however fast it is.
  wait_for_deployment = false
  origin {{
    origin_id                = "site"
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.oac.id
  }}
  default_cache_behavior {{
    target_origin_id       = "site"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = aws_cloudfront_cache_policy.cache.id
    function_association {{
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.rewrite.arn
    }}
  }}
  restrictions {{
    geo_restriction {{
      restriction_type = "none"
    }}
  }}
  viewer_certificate {{
    cloudfront_default_certificate = true
  }}
}}
resource "aws_s3_bucket_policy" "site" {{
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "cloudfront.amazonaws.com" }}
      Action    = "s3:GetObject"
      Resource  = "${{aws_s3_bucket.site.arn}}/*"
      Condition = {{ StringEquals = {{ "AWS:SourceArn" = aws_cloudfront_distribution.site.arn }} }}
    }}]
  }})
}}
output "id" {{
  value = aws_cloudfront_distribution.site.id
}}
output "domain" {{
  value = aws_cloudfront_distribution.site.domain_name
}}
"""


def test_terraform_static_site(endpoint, tmp_path, client):
    name = f"tf-cf-{uuid.uuid4().hex[:8]}"
    workspace(tmp_path, endpoint, ("s3", "cloudfront"), resources=_resources(name, "v1"), s3_path_style=True)
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    dist_id = terraform(tmp_path, "output", "-raw", "id").strip()
    domain = terraform(tmp_path, "output", "-raw", "domain").strip()
    assert domain == f"{dist_id.lower()}.cloudfront.net"
    plan = terraform(tmp_path, "plan", "-detailed-exitcode", "-input=false")
    assert "No changes" in plan

    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/", headers={"Host": domain, "X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"<h1>terraformed</h1>")
    connection.request("GET", "/", headers={"Host": domain})
    response = connection.getresponse()
    response.read()
    assert response.status == 301 and response.getheader("Location") == f"https://{domain}/"
    connection.close()

    resources = _resources(name, "v2", enabled=False)
    workspace(tmp_path, endpoint, ("s3", "cloudfront"), resources=resources, s3_path_style=True)
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    cloudfront = client("cloudfront")
    config = cloudfront.get_distribution_config(Id=dist_id)
    assert (
        config["DistributionConfig"]["Comment"] == "v2" and config["DistributionConfig"]["Enabled"] is False
    )
    # The distribution goes first (disabled above), by the API: the provider's own deletion
    # waits a minute before its first look, however fast the deployment.
    cloudfront.get_waiter("distribution_deployed").wait(Id=dist_id, WaiterConfig={"Delay": 1})
    cloudfront.delete_distribution(Id=dist_id, IfMatch=cloudfront.get_distribution(Id=dist_id)["ETag"])
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    custom = cloudfront.list_cache_policies(Type="custom")["CachePolicyList"].get("Items", [])
    assert name not in [item["CachePolicy"]["CachePolicyConfig"]["Name"] for item in custom]
