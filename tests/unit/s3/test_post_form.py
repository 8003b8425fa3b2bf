"""The multipart/form-data reader behind POST Object."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.s3.post import parse_form


def test_fields_file_and_what_follows_it():
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nuploads/${filename}\r\n'
        b'--XyZ\r\ncontent-disposition: form-data; name="x-amz-meta-note"\r\n\r\ncaf\xc3\xa9\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a b.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\r\n\r\nbinary\r\n\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="late"\r\n\r\nignored\r\n--XyZ--\r\n'
    )
    fields, content, filename = parse_form('multipart/form-data; boundary="XyZ"', body)
    assert fields == [("key", "uploads/${filename}"), ("x-amz-meta-note", "café")]
    assert content == b"\x00\r\n\r\nbinary\r\n" and filename == "a b.bin"


def test_a_form_without_a_file():
    body = b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--b--\r\n'
    assert parse_form("multipart/form-data; boundary=b", body) == ([("key", "k")], None, None)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"--b\r\n\r\n--b--"),
        ("multipart/form-data; boundary=b", b"no delimiter at all"),
        ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="key"--b--'),
    ],
)
def test_malformed_bodies(content_type, body):
    with pytest.raises(ServiceError) as caught:
        parse_form(content_type, body)
    assert caught.value.code == "MalformedPOSTRequest"
