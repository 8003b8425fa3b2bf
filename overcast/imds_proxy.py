"""`overcast imds --instance i-...`: the instance metadata service of one instance on a port of
its own, for programs that expect IMDS at the root of an address (`http://127.0.0.1:1338/latest/
...`). Every request is forwarded to the running Overcast's /_aws/imds/<instance-id>/ path, which
answers it (services/ec2/imds.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Request headers IMDS reads; the rest stay with the proxy.
FORWARDED = (
    "x-aws-ec2-metadata-token",
    "x-aws-ec2-metadata-token-ttl-seconds",
    "x-forwarded-for",
    "user-agent",
)


def handler_for(target: str) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        server_version = "EC2ws"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED}
            request = urllib.request.Request(
                target + self.path, data=body, method=self.command, headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, answer, content = response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                status, answer, content = error.code, error.headers, error.read()
            except urllib.error.URLError:
                status, answer, content = 502, None, b"Overcast is not answering"
            self.send_response(status)
            for name in ("Content-Type", "X-aws-ec2-metadata-token-ttl-seconds"):
                if answer is not None and answer.get(name):
                    self.send_header(name, answer[name])
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Forward


def serve(endpoint: str, instance_id: str, host: str, port: int) -> None:
    target = f"{endpoint.rstrip('/')}/_aws/imds/{instance_id}"
    server = ThreadingHTTPServer((host, port), handler_for(target))
    bound = server.server_address[1]
    print(f"IMDS of {instance_id} on http://{host}:{bound}/", flush=True)
    print(f"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://{host}:{bound}/", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
