"""In-transit encryption: the certificate authority Overcast makes for its cache nodes (one per
data dir, kept in the store) and the certificate every TLS node presents, for 127.0.0.1 and
localhost. Clients trust the authority's certificate, served at /_overcast/elasticache/ca.pem."""

from __future__ import annotations

import ipaddress
import ssl

from cryptography import x509

from overcast.common import localca

_YEARS = 10


def new_authority() -> dict[str, str]:
    """A CA and the one server certificate cache nodes present, as PEM text."""
    ca, ca_key = localca.authority("Overcast ElastiCache local CA", 365 * _YEARS)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    node, node_key = localca.server_certificate(
        ca, ca_key, "localhost", names, 365 * _YEARS, client_auth=True
    )
    return {
        "ca": localca.pem(ca).decode(),
        "cert": localca.pem(node).decode(),
        "key": localca.key_pem(node_key).decode(),
    }


def client_context(ca_pem: str) -> ssl.SSLContext:
    """How Overcast (and a test) connects to a TLS node: trusting the authority."""
    context = ssl.create_default_context(cadata=ca_pem)
    return context
