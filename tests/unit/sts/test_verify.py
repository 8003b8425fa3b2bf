"""Fetching an OIDC issuer's documents when no trusted CA vouches for its certificate."""

from __future__ import annotations

import contextlib
import socket
import ssl
import urllib.error
import urllib.request

import pytest

from overcast.errors import ServiceError
from overcast.services.sts import verify


class _Peer:
    """A TLS connection whose server showed no certificate."""

    def getpeercert(self, binary_form: bool = False) -> None:
        return None


class _Context:
    check_hostname = True
    verify_mode = ssl.CERT_REQUIRED

    def wrap_socket(self, raw, server_hostname: str):
        return contextlib.nullcontext(_Peer())


def test_a_server_showing_no_certificate_matches_no_thumbprint(monkeypatch):
    def untrusted(url, timeout, context=None):
        raise urllib.error.URLError(ssl.SSLError("certificate verify failed"))

    monkeypatch.setattr(urllib.request, "urlopen", untrusted)
    monkeypatch.setattr(socket, "create_connection", lambda address, timeout: contextlib.nullcontext())
    monkeypatch.setattr(ssl, "create_default_context", _Context)
    with pytest.raises(ServiceError) as raised:
        verify._fetch_json("https://issuer.example/.well-known/openid-configuration", ["ab" * 20])
    assert raised.value.code == "InvalidIdentityToken"
    assert "doesn't match configured thumbprint" in raised.value.message
