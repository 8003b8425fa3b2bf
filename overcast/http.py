"""The HTTP request and response as the protocol layer sees them: plain data, no server types."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qs, unquote


@dataclass
class Request:
    method: str
    #: The path as received, still percent-encoded (S3 keys need the exact bytes).
    raw_path: str
    #: The query string as received, without the leading "?".
    query_string: str
    #: Header names lower-cased; repeated headers joined with ", ".
    headers: dict[str, str]
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    scheme: str = "http"

    @cached_property
    def path(self) -> str:
        """The decoded path."""
        return unquote(self.raw_path)

    @cached_property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, every value a list (blank values kept: `?acl` is {'acl': ['']})."""
        if not self.query_string:
            return {}
        return parse_qs(self.query_string, keep_blank_values=True)

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The url-encoded form body (query/ec2 protocols), merged over the query string."""
        merged = dict(self.query)
        if self.body and "x-www-form-urlencoded" in self.headers.get("content-type", ""):
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                return merged
            merged.update(parse_qs(text, keep_blank_values=True))
        return merged

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
