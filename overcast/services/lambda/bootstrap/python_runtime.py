"""Overcast's Lambda runtime for Python: a Runtime API client (GET .../invocation/next, POST
.../response or .../error, POST .../init/error) that loads the handler named by _HANDLER from
LAMBDA_TASK_ROOT and calls it with the event and a context object, the way AWS's Python
runtime does. It runs under the function's interpreter (3.9 - 3.13) and imports only the
standard library's cheapest modules, so an idle environment stays small."""

import json
import os
import socket
import sys
import time

_BASE = "/2018-06-01/runtime"


class _RuntimeApi:
    """A keep-alive HTTP/1.1 client for the one server it talks to."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host or "127.0.0.1", int(port))
        self.sock = None
        self.buffer = b""

    def _connect(self):
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _message(self, method, path, body, headers):
        head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n" % (
            method,
            path,
            self.address[0],
            self.address[1],
            len(body),
        )
        if headers:
            head += "".join("%s: %s\r\n" % item for item in headers.items())
        return head.encode("latin-1") + b"\r\n" + body

    def request(self, method, path, body=b"", headers=None):
        return self.exchange([self._message(method, path, body, headers)])

    def respond_and_next(self, path, body, headers):
        """POST the invocation's outcome and GET the next invocation in one write (HTTP/1.1
        pipelining): one system call and one wake-up per invocation instead of two."""
        return self.exchange(
            [
                self._message("POST", path, body, headers),
                self._message("GET", _BASE + "/invocation/next", b"", None),
            ]
        )

    def exchange(self, messages):
        """Send the requests, read one response each; the last one's answer."""
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            try:
                self.sock.sendall(messages[0] if len(messages) == 1 else b"".join(messages))
                for _ in range(len(messages) - 1):
                    self._read_response()
                return self._read_response()
            except (ConnectionError, OSError):
                self.sock = None
                if attempt:
                    raise

    def _read_response(self):
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("runtime API closed the connection")
            self.buffer += chunk
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = self.sock.recv(max(65536, length - len(rest)))
            if not chunk:
                raise ConnectionError("runtime API closed the connection")
            rest += chunk
        self.buffer = rest[length:]
        return status, headers, rest[:length]


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
            )
        )


class _Obj:
    def __init__(self, data):
        self.__dict__.update(data or {})


_current_request_id = [""]


def _install_logging():
    """AWS's runtime gives the root logger a handler in its own format, so logging.info()
    in a handler lands in the function's log."""
    import logging

    class _Filter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _current_request_id[0]
            return True

    class _Formatter(logging.Formatter):
        # AWS's runtime stamps each line with UTC milliseconds: 2024-01-01T12:00:00.123Z.
        def formatTime(self, record, datefmt=None):
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % record.msecs

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s\n"))
    handler.addFilter(_Filter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _error_body(error, error_type=None, request_id=""):
    import traceback

    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)[1:]),
    }


def _log_error(body):
    trace = "".join(body.get("stackTrace") or ())
    text = "[ERROR] %s: %s" % (body["errorType"], body["errorMessage"])
    if trace:
        text += "\nTraceback (most recent call last):\n" + trace
    sys.stdout.write(text.replace("\n", "\r") + "\n")


def _load_handler(api):
    spec = os.environ.get("_HANDLER", "")
    module_name, _, function_name = spec.rpartition(".")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    body = None
    try:
        if not module_name:
            raise ValueError("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
        import importlib

        module = importlib.import_module(module_name.replace("/", "."))
        handler = getattr(module, function_name, None)
        if handler is None:
            body = {
                "errorMessage": "Handler '%s' missing on module '%s'" % (function_name, module_name),
                "errorType": "Runtime.HandlerNotFound",
                "requestId": "",
                "stackTrace": [],
            }
        else:
            return handler
    except ValueError as error:
        body = {
            "errorMessage": str(error),
            "errorType": "Runtime.MalformedHandlerName",
            "requestId": "",
            "stackTrace": [],
        }
    except ImportError as error:
        body = {
            "errorMessage": "Unable to import module '%s': %s" % (module_name, error),
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        }
    except SyntaxError as error:
        body = {
            "errorMessage": "Syntax error in module '%s': %s" % (module_name, error),
            "errorType": "Runtime.UserCodeSyntaxError",
            "requestId": "",
            "stackTrace": [],
        }
    except Exception as error:
        body = _error_body(error)
    _log_error(body)
    sys.stdout.flush()
    api.request(
        "POST",
        _BASE + "/init/error",
        json.dumps(body).encode(),
        {"Lambda-Runtime-Function-Error-Type": body["errorType"]},
    )
    sys.exit(1)


def _await_environment():
    """A standby runtime: started before any function needs it, with the standard library
    loaded; it takes its environment (variables, directory) from one JSON line on stdin, so a
    cold start costs a write instead of an interpreter start."""
    import importlib  # noqa: F401 - loaded now, used by _load_handler
    import logging  # noqa: F401
    import traceback  # noqa: F401

    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    setup = json.loads(line)
    os.environ.clear()
    os.environ.update(setup["env"])
    if setup.get("sandbox"):
        _enter_sandbox(setup["sandbox"])
    else:
        os.chdir(setup["cwd"])
    if hasattr(time, "tzset"):
        time.tzset()
    extra = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[1:1] = extra
    sys.stdin.close()


def _enter_sandbox(plan):
    """Isolate this environment (sandbox.py) before any of the function's code runs."""
    import sandbox

    try:
        sandbox.enter(plan)
    except (sandbox.SandboxError, OSError) as error:
        sys.stderr.write("Overcast could not isolate the execution environment: %s\n" % error)
        sys.exit(126)
    # Folders looked up before the code and layers were mounted are known now.
    sys.path_importer_cache.clear()


def main():
    if os.environ.get("OVERCAST_LAMBDA_STANDBY") == "1":
        _await_environment()
    elif os.environ.get("_OVERCAST_SANDBOX"):
        _enter_sandbox(json.loads(os.environ.pop("_OVERCAST_SANDBOX")))
    api = _RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    _install_logging()
    handler = _load_handler(api)
    dumps = json.dumps
    loads = json.loads
    _status, headers, body = api.request("GET", _BASE + "/invocation/next")
    while True:
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _current_request_id[0] = request_id
        # As Lambda's runtime client: the X-Ray SDK reads the invocation's trace from here.
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        client_context = headers.get("lambda-runtime-client-context")
        identity = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            _Obj(loads(client_context)) if client_context else None,
            _Obj(loads(identity)) if identity else None,
        )
        try:
            event = loads(body) if body else None
            result = handler(event, context)
            try:
                payload = dumps(result).encode()
            except (TypeError, ValueError) as error:
                raise _MarshalError("Unable to marshal response: %s" % error) from None
            path, extra = "/invocation/%s/response" % request_id, None
        except Exception as error:
            error_type = "Runtime.MarshalError" if isinstance(error, _MarshalError) else None
            report = _error_body(error, error_type, request_id)
            _log_error(report)
            payload = dumps(report).encode()
            path, extra = (
                "/invocation/%s/error" % request_id,
                {"Lambda-Runtime-Function-Error-Type": report["errorType"]},
            )
        # Output written before the response is posted is in the pipe before the response
        # reaches Overcast, which is how the log of an invocation is known to be complete.
        sys.stdout.flush()
        sys.stderr.flush()
        _status, headers, body = api.respond_and_next(_BASE + path, payload, extra)


class _MarshalError(Exception):
    pass


if __name__ == "__main__":
    sys.argv[:] = sys.argv[1:] or [""]
    main()
