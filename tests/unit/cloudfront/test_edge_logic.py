"""The edge's intricate rules, alone: TTLs from the origin's headers within the behaviour's
bounds, invalidation paths, path pattern matching, signed URL policies, and a template's
lists turned into the API's {Quantity, Items}."""

from __future__ import annotations

import base64
import json
import time
from email.utils import formatdate

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from overcast.services.cloudfront import signed
from overcast.services.cloudfront.cache import EdgeCache, Entry, ttl_for
from overcast.services.cloudfront.dataplane import _pattern
from overcast.services.cloudfront.resources import to_api


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 86400),  # nothing said: DefaultTTL
        ({"cache-control": "max-age=30"}, 30),
        ({"cache-control": "max-age=0"}, 1),  # raised to MinTTL
        ({"cache-control": "public, max-age=99999999"}, 31536000),  # cut to MaxTTL
        ({"cache-control": "max-age=30, s-maxage=600"}, 600),  # s-maxage wins
        ({"cache-control": "no-store"}, 1),  # kept for MinTTL only
        ({"cache-control": "private, max-age=600"}, 1),
    ],
)
def test_ttl_rules(headers, expected):
    assert ttl_for(headers, 1, 86400, 31536000) == expected


def test_no_store_with_zero_min_ttl_is_not_cached():
    assert ttl_for({"cache-control": "no-cache"}, 0, 86400, 31536000) == 0


def test_expires_header():
    later = formatdate(time.time() + 120, usegmt=True)
    assert 110 <= ttl_for({"expires": later}, 0, 86400, 31536000) <= 120
    assert ttl_for({"expires": "not a date"}, 5, 86400, 31536000) == 5


def test_caching_disabled_policy():
    assert ttl_for({"cache-control": "max-age=600"}, 0, 0, 0) == 0


def _entry(path: str) -> Entry:
    return Entry(200, {}, b"x", time.monotonic(), time.monotonic() + 60, path)


def test_invalidation_paths():
    cache = EdgeCache()
    for path in ("/index.html", "/img/a.png", "/img/b.png", "/imgs.html"):
        cache.put(("D1", path), _entry(path))
    cache.put(("D2", "/index.html"), _entry("/index.html"))
    assert cache.invalidate("D1", ["/img/*"]) == 2
    assert cache.invalidate("D1", ["/index.html"]) == 1
    assert cache.get(("D1", "/imgs.html")) is not None
    assert cache.get(("D2", "/index.html")) is not None  # another distribution's
    assert cache.invalidate("D1", ["/*"]) == 1


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("images/*.jpg", "/images/a/b.jpg", True),
        ("/images/*.jpg", "/images/a.png", False),
        ("*.gif", "/x/y.gif", True),
        ("/a?c", "/abc", True),
        ("/a?c", "/abbc", False),
        ("/API/*", "/api/x", False),  # case-sensitive
    ],
)
def test_path_patterns(pattern, path, matches):
    assert bool(_pattern(pattern).match(path)) is matches


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", "-").replace("=", "_").replace("/", "~")


@pytest.fixture(scope="module")
def keypair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, {"K1": pem}


def _sign(private, policy: bytes) -> str:
    return _b64(private.sign(policy, padding.PKCS1v15(), hashes.SHA1()))


def test_canned_policy(keypair):
    private, keys = keypair
    url = "https://d1.cloudfront.net/a.txt"
    expires = int(time.time()) + 60
    parts = {
        "Expires": str(expires),
        "Key-Pair-Id": "K1",
        "Signature": _sign(private, signed.canned_policy(url, expires).encode()),
    }
    signed.verify(parts, [url], keys, "127.0.0.1")
    with pytest.raises(signed.Refused):
        signed.verify(parts, ["https://d1.cloudfront.net/b.txt"], keys, "127.0.0.1")
    with pytest.raises(signed.Refused):  # expired
        signed.verify(parts, [url], keys, "127.0.0.1", moment=expires + 1)
    with pytest.raises(signed.Refused) as unknown:
        signed.verify(dict(parts, **{"Key-Pair-Id": "K2"}), [url], keys, "127.0.0.1")
    assert unknown.value.code == "InvalidKey"
    with pytest.raises(signed.Refused) as missing:
        signed.verify({}, [url], keys, "127.0.0.1")
    assert missing.value.code == "MissingKey"


def test_custom_policy_conditions(keypair):
    private, keys = keypair
    now = int(time.time())
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Resource": "https://d1.cloudfront.net/private/*",
                    "Condition": {
                        "DateLessThan": {"AWS:EpochTime": now + 60},
                        "DateGreaterThan": {"AWS:EpochTime": now - 60},
                        "IpAddress": {"AWS:SourceIp": "10.0.0.0/8"},
                    },
                }
            ]
        }
    ).encode()
    parts = {"Policy": _b64(policy), "Key-Pair-Id": "K1", "Signature": _sign(private, policy)}
    signed.verify(parts, ["https://d1.cloudfront.net/private/x"], keys, "10.1.2.3")
    with pytest.raises(signed.Refused):
        signed.verify(parts, ["https://d1.cloudfront.net/private/x"], keys, "192.168.0.1")
    with pytest.raises(signed.Refused):
        signed.verify(parts, ["https://d1.cloudfront.net/public/x"], keys, "10.1.2.3")
    with pytest.raises(signed.Refused):
        signed.verify(parts, ["https://d1.cloudfront.net/private/x"], keys, "10.1.2.3", moment=now - 120)


def test_cookies_carry_the_signature():
    parts = signed.credentials(
        {}, "CloudFront-Expires=5; CloudFront-Signature=abc; CloudFront-Key-Pair-Id=K1"
    )
    assert parts == {"Expires": "5", "Signature": "abc", "Key-Pair-Id": "K1"}


def test_template_lists_become_quantities():
    config = to_api(
        {
            "Aliases": ["a.example.com"],
            "Enabled": "true",
            "Origins": [
                {
                    "Id": "o",
                    "DomainName": "o.example.com",
                    "CustomOriginConfig": {
                        "OriginProtocolPolicy": "http-only",
                        "OriginSSLProtocols": ["TLSv1.2"],
                    },
                    "OriginCustomHeaders": [{"HeaderName": "h", "HeaderValue": "v"}],
                }
            ],
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
                "CachedMethods": ["GET", "HEAD"],
                "ForwardedValues": {"QueryString": "false", "Cookies": {"Forward": "none"}},
            },
            "Restrictions": {"GeoRestriction": {"RestrictionType": "whitelist", "Locations": ["US", "CA"]}},
            "ViewerCertificate": {"AcmCertificateArn": "arn", "SslSupportMethod": "sni-only"},
        }
    )
    assert config["Aliases"] == {"Quantity": 1, "Items": ["a.example.com"]}
    assert config["Enabled"] is True
    origin = config["Origins"]["Items"][0]
    assert origin["CustomHeaders"] == {"Quantity": 1, "Items": [{"HeaderName": "h", "HeaderValue": "v"}]}
    assert origin["CustomOriginConfig"]["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1.2"]}
    assert origin["CustomOriginConfig"]["HTTPPort"] == 80
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["AllowedMethods"]["CachedMethods"] == {"Quantity": 2, "Items": ["GET", "HEAD"]}
    assert behaviour["ForwardedValues"]["QueryString"] is False
    assert config["Restrictions"]["GeoRestriction"] == {
        "RestrictionType": "whitelist",
        "Quantity": 2,
        "Items": ["US", "CA"],
    }
    assert config["ViewerCertificate"] == {"ACMCertificateArn": "arn", "SSLSupportMethod": "sni-only"}
