"""Queue URLs: which queue a URL names, and the URL to give a client for a queue.

The URL Overcast hands out follows the host the client addressed, so the client can use it as
it is:

* a client that addressed `sqs.REGION.localhost.localstack.cloud[:PORT]` (or
  `REGION.queue.localhost.localstack.cloud`) gets
  `http://sqs.QUEUE-REGION.localhost.localstack.cloud:PORT/ACCOUNT/NAME`, LocalStack's form;
* a client that addressed any other host (`localhost:4566`, `127.0.0.1:PORT`, a container
  name) gets `SCHEME://HOST/ACCOUNT/NAME` with that host and port as it sent them;
* a call with no HTTP request behind it (another service's) gets `http://localhost:PORT/...`
  with the port Overcast listens on.

Any of these, AWS's own forms (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`,
`https://REGION.queue.amazonaws.com/...`) and LocalStack's path form
(`/queue/REGION/ACCOUNT/NAME`) name the same queue: the account and name come from the path,
the region from the host when it carries one, else from the request's signature.
"""

from __future__ import annotations

import re

_PATH = re.compile(
    r"^/(?:queue/(?P<region>[a-z0-9-]+)/)?(?P<account>\d{12})/(?P<name>[A-Za-z0-9_-]{1,80}(?:\.fifo)?)/?$"
)
_HOST_REGION = re.compile(
    r"^(?:sqs[.-](?P<a>[a-z]{2}(?:-[a-z]+)+-\d)|(?P<b>[a-z]{2}(?:-[a-z]+)+-\d)\.queue)\."
)
_LOCALSTACK_HOST = re.compile(
    r"^(?:sqs\.[a-z0-9-]+|[a-z0-9-]+\.queue)\.localhost\.localstack\.cloud(?P<port>:\d+)?$"
)


def parse(url: str) -> tuple[str, str, str] | None:
    """(account, name, region or "") of a queue URL, or None if it is not one."""
    if "://" in url:
        scheme_end = url.index("://") + 3
        slash = url.find("/", scheme_end)
        if slash < 0:
            return None
        host, path = url[scheme_end:slash], url[slash:]
    else:
        host, path = "", url
    match = _PATH.match(path)
    if match is None:
        return None
    region = match.group("region") or ""
    if not region and host:
        found = _HOST_REGION.match(host)
        if found:
            region = found.group("a") or found.group("b")
    return match.group("account"), match.group("name"), region


def build(host: str, scheme: str, default_port: int, account: str, name: str, region: str) -> str:
    if not host:
        return f"http://localhost:{default_port}/{account}/{name}"
    match = _LOCALSTACK_HOST.match(host)
    if match:
        return (
            f"{scheme}://sqs.{region}.localhost.localstack.cloud{match.group('port') or ''}/{account}/{name}"
        )
    return f"{scheme}://{host}/{account}/{name}"
