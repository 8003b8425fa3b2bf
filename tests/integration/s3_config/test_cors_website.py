"""CORS configuration, preflight and response headers; static website configuration and the
website endpoint."""

from __future__ import annotations

import json

from tests.integration.s3_config.conftest import error_code, raw

RULES = {
    "CORSRules": [
        {
            "AllowedOrigins": ["https://app.example.com"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["content-type", "x-amz-*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        },
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]
}


def test_cors_configuration_round_trip(s3, bucket):
    assert error_code(s3.get_bucket_cors, Bucket=bucket)[:2] == ("NoSuchCORSConfiguration", 404)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]
    bad = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]}
    assert error_code(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration=bad) == (
        "InvalidRequest",
        400,
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
    )
    s3.delete_bucket_cors(Bucket=bucket)
    assert error_code(s3.get_bucket_cors, Bucket=bucket)[:2] == ("NoSuchCORSConfiguration", 404)


def test_preflight(s3, bucket, endpoint):
    asks = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date",
    }
    status, _, body = raw(endpoint, "OPTIONS", f"/{bucket}/file.txt", asks)
    assert status == 403 and b"CORS is not enabled for this bucket" in body
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    status, headers, _ = raw(endpoint, "OPTIONS", f"/{bucket}/file.txt", asks)
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-date"
    assert headers["access-control-max-age"] == "300"
    assert headers["access-control-allow-credentials"] == "true"
    refused = {**asks, "Origin": "https://evil.example.net"}
    status, _, body = raw(endpoint, "OPTIONS", f"/{bucket}/file.txt", refused)
    assert status == 403
    assert b"<Code>AccessForbidden</Code>" in body and b"This CORS request is not allowed" in body
    assert b"<Method>PUT</Method><ResourceType>OBJECT</ResourceType>" in body
    anyone = {"Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"}
    status, headers, _ = raw(endpoint, "OPTIONS", f"/{bucket}/file.txt", anyone)
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    status, _, body = raw(
        endpoint, "OPTIONS", f"/{bucket}/file.txt", {"Access-Control-Request-Method": "GET"}
    )
    assert status == 400 and b"Origin request header needed" in body
    # Without a requested method the OPTIONS request itself is refused; without the bucket too.
    status, _, body = raw(endpoint, "OPTIONS", f"/{bucket}/file.txt", {"Origin": "https://x.example"})
    assert status == 403 and b"<Method>OPTIONS</Method>" in body
    status, _, body = raw(endpoint, "OPTIONS", "/no-such-bucket-here/k", {"Origin": "https://x.example"})
    assert status == 403 and b"CORSResponse: Bucket not found" in body


def test_cors_headers_on_actual_responses(s3, bucket, endpoint):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as on AWS
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ]
            }
        ),
    )
    status, headers, body = raw(endpoint, "GET", f"/{bucket}/k", {"Origin": "https://app.example.com"})
    assert (status, body) == (200, b"v")
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-expose-headers"] == "ETag"
    status, headers, _ = raw(endpoint, "GET", f"/{bucket}/k")
    assert "access-control-allow-origin" not in headers


def site_host(bucket: str, style: str = "localstack") -> dict:
    hosts = {
        "localstack": f"{bucket}.s3-website.localhost.localstack.cloud:4566",
        "dash": f"{bucket}.s3-website-us-east-1.amazonaws.com",
        "dot": f"{bucket}.s3-website.us-east-1.amazonaws.com",
    }
    return {"Host": hosts[style]}


def make_site(s3, aws, bucket, tmp_path):
    aws("s3", "website", f"s3://{bucket}", "--index-document", "index.html", "--error-document", "404.html")
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as on AWS
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicReadGetObject",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    },
                    # Without ListBucket, S3 answers 403 for a missing key rather than 404.
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:ListBucket",
                        "Resource": f"arn:aws:s3:::{bucket}",
                    },
                ],
            }
        ),
    )
    for key, body in (
        ("index.html", b"<h1>home</h1>"),
        ("docs/index.html", b"<h1>docs</h1>"),
        ("404.html", b"<h1>missing</h1>"),
    ):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/html")


def test_website_configuration(s3, bucket, aws, tmp_path):
    assert error_code(s3.get_bucket_website, Bucket=bucket)[:2] == ("NoSuchWebsiteConfiguration", 404)
    aws("s3", "website", f"s3://{bucket}", "--index-document", "index.html", "--error-document", "404.html")
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"} and got["ErrorDocument"] == {"Key": "404.html"}
    assert error_code(
        s3.put_bucket_website, Bucket=bucket, WebsiteConfiguration={"ErrorDocument": {"Key": "e"}}
    )[:2] == ("InvalidArgument", 400)
    s3.delete_bucket_website(Bucket=bucket)
    assert error_code(s3.get_bucket_website, Bucket=bucket)[:2] == ("NoSuchWebsiteConfiguration", 404)


def test_website_endpoint_serves_index_and_error_documents(s3, bucket, aws, endpoint, tmp_path):
    make_site(s3, aws, bucket, tmp_path)
    for style in ("localstack", "dash", "dot"):
        status, headers, body = raw(endpoint, "GET", "/", site_host(bucket, style))
        assert (status, body) == (200, b"<h1>home</h1>"), style
        assert headers["content-type"] == "text/html"
    assert raw(endpoint, "GET", "/docs/", site_host(bucket))[2] == b"<h1>docs</h1>"
    status, headers, _ = raw(endpoint, "GET", "/docs", site_host(bucket))
    assert (status, headers["location"]) == (302, "/docs/")
    status, _, body = raw(endpoint, "GET", "/nope.html", site_host(bucket))
    assert (status, body) == (404, b"<h1>missing</h1>")
    status, _, body = raw(endpoint, "HEAD", "/", site_host(bucket))
    assert (status, body) == (200, b"")


def test_website_without_error_document_and_private_bucket(s3, bucket, endpoint):
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"home")
    status, headers, body = raw(endpoint, "GET", "/", site_host(bucket))
    assert (
        status == 403
        and b"<li>Code: AccessDenied</li>" in body
        and headers["content-type"].startswith("text/html")
    )
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as on AWS
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ]
            }
        ),
    )
    # Who may not list the bucket is not told whether a key exists.
    status, _, body = raw(endpoint, "GET", "/missing", site_host(bucket))
    assert status == 403 and b"<li>Code: AccessDenied</li>" in body
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"],
                    }
                ]
            }
        ),
    )
    status, _, body = raw(endpoint, "GET", "/missing", site_host(bucket))
    assert status == 404 and b"<li>Code: NoSuchKey</li>" in body and b"<h1>404 Not Found</h1>" in body
    status, _, body = raw(endpoint, "GET", "/", site_host("no-such-site-bucket"))
    assert status == 404 and b"NoSuchBucket" in body
    assert raw(endpoint, "POST", "/", site_host(bucket))[0] == 405


def test_website_redirects(s3, bucket, endpoint):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}},
                {
                    "Condition": {"HttpErrorCodeReturnedEquals": "404"},
                    "Redirect": {
                        "HostName": "example.com",
                        "ReplaceKeyWith": "oops.html",
                        "HttpRedirectCode": "307",
                    },
                },
            ],
        },
    )
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as on AWS
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"],
                    }
                ]
            }
        ),
    )
    s3.put_object(Bucket=bucket, Key="moved", Body=b"", WebsiteRedirectLocation="/elsewhere")
    host = site_host(bucket)
    status, headers, _ = raw(endpoint, "GET", "/old/page.html", host)
    assert (status, headers["location"]) == (301, f"http://{host['Host']}/new/page.html")
    status, headers, _ = raw(endpoint, "GET", "/missing", host)
    assert (status, headers["location"]) == (307, "http://example.com/oops.html")
    status, headers, _ = raw(endpoint, "GET", "/moved", host)
    assert (status, headers["location"]) == (301, "/elsewhere")
    other = f"{bucket}-all"
    s3.create_bucket(Bucket=other)
    s3.put_bucket_website(
        Bucket=other,
        WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}},
    )
    status, headers, _ = raw(endpoint, "GET", "/a/b?c=d", site_host(other))
    assert (status, headers["location"]) == (301, "https://www.example.com/a/b")


def test_website_revalidation_error_pages_and_rule_conditions(s3, bucket, endpoint):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
        },
    )
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"],
                    }
                ]
            }
        ),
    )
    etag = s3.put_object(Bucket=bucket, Key="page.html", Body=b"page", ContentType="text/html")["ETag"]
    host = site_host(bucket)
    assert raw(endpoint, "GET", "/page.html", {**host, "If-None-Match": etag})[0] == 304
    status, _, body = raw(endpoint, "GET", "/missing.html", host)
    assert status == 404 and b"<li>HostId: " in body
    assert b"An Error Occurred While Attempting to Retrieve a Custom Error Document" in body
    assert b"<li>Key: error.html</li>" in body
    code, _ = error_code(
        s3.put_bucket_website,
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Condition": {}, "Redirect": {"ReplaceKeyPrefixWith": "p"}}],
        },
    )[:2]
    assert code == "InvalidRequest"


def test_routing_rule_protocol_must_be_http_or_https(s3, bucket):
    code, _ = error_code(
        s3.put_bucket_website,
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Redirect": {"Protocol": "protocol"}}],
        },
    )[:2]
    assert code == "InvalidRequest"
