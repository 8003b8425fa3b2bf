"""The predefined security policies of HTTPS and TLS listeners (DescribeSSLPolicies)."""

from __future__ import annotations

from typing import Any

DEFAULT_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

_TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
_ECDHE_GCM = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
]
_ECDHE_12 = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
]
_ECDHE_SHA1 = [
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
]
_RSA_12 = ["AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"]
_RSA_SHA1 = ["AES128-SHA", "AES256-SHA"]
_LEGACY = (
    _ECDHE_12[:4]
    + _ECDHE_SHA1[:2]
    + _ECDHE_12[4:]
    + _ECDHE_SHA1[2:]
    + _RSA_12[:2]
    + _RSA_SHA1[:1]
    + _RSA_12[2:]
    + _RSA_SHA1[1:]
)
_ALL = ["TLSv1", "TLSv1.1", "TLSv1.2"]

#: name → (protocols, ciphers in priority order)
_TABLE: dict[str, tuple[list[str], list[str]]] = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06": (["TLSv1.2", "TLSv1.3"], _TLS13 + _ECDHE_12),
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": (["TLSv1.2", "TLSv1.3"], _TLS13 + _ECDHE_GCM),
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": (["TLSv1.2", "TLSv1.3"], _TLS13 + _ECDHE_12 + _RSA_12),
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": (
        ["TLSv1.2", "TLSv1.3"],
        _TLS13 + _ECDHE_12 + _ECDHE_SHA1 + _RSA_12 + _RSA_SHA1,
    ),
    "ELBSecurityPolicy-TLS13-1-1-2021-06": (["TLSv1.1", "TLSv1.2", "TLSv1.3"], _TLS13 + _LEGACY),
    "ELBSecurityPolicy-TLS13-1-0-2021-06": (["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"], _TLS13 + _LEGACY),
    "ELBSecurityPolicy-TLS13-1-3-2021-06": (["TLSv1.3"], list(_TLS13)),
    "ELBSecurityPolicy-2016-08": (list(_ALL), _LEGACY),
    "ELBSecurityPolicy-2015-05": (list(_ALL), _LEGACY),
    "ELBSecurityPolicy-TLS-1-0-2015-04": (list(_ALL), [*_LEGACY, "DES-CBC3-SHA"]),
    "ELBSecurityPolicy-TLS-1-1-2017-01": (["TLSv1.1", "TLSv1.2"], _LEGACY),
    "ELBSecurityPolicy-TLS-1-2-2017-01": (["TLSv1.2"], _ECDHE_12 + _RSA_12),
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06": (
        ["TLSv1.2"],
        _ECDHE_12[:4] + _ECDHE_SHA1[:2] + _ECDHE_12[4:] + _ECDHE_SHA1[2:] + _RSA_12 + _RSA_SHA1,
    ),
    "ELBSecurityPolicy-FS-2018-06": (
        list(_ALL),
        _ECDHE_12[:4] + _ECDHE_SHA1[:2] + _ECDHE_12[4:] + _ECDHE_SHA1[2:],
    ),
    "ELBSecurityPolicy-FS-1-1-2019-08": (
        ["TLSv1.1", "TLSv1.2"],
        _ECDHE_12[:4] + _ECDHE_SHA1[:2] + _ECDHE_12[4:] + _ECDHE_SHA1[2:],
    ),
    "ELBSecurityPolicy-FS-1-2-2019-08": (
        ["TLSv1.2"],
        _ECDHE_12[:4] + _ECDHE_SHA1[:2] + _ECDHE_12[4:] + _ECDHE_SHA1[2:],
    ),
    "ELBSecurityPolicy-FS-1-2-Res-2019-08": (["TLSv1.2"], _ECDHE_12),
    "ELBSecurityPolicy-FS-1-2-Res-2020-10": (["TLSv1.2"], list(_ECDHE_GCM)),
}


def _shape(name: str) -> dict[str, Any]:
    protocols, ciphers = _TABLE[name]
    return {
        "SslProtocols": protocols,
        "Ciphers": [{"Name": cipher, "Priority": i} for i, cipher in enumerate(ciphers, start=1)],
        "Name": name,
        "SupportedLoadBalancerTypes": ["application", "network"],
    }


POLICIES: dict[str, dict[str, Any]] = {name: _shape(name) for name in _TABLE}
