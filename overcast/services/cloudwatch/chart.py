"""GetMetricWidgetImage: a metric widget's series drawn as a PNG line chart (white ground,
grid, one coloured line per series), written with zlib alone."""

from __future__ import annotations

import re
import struct
import time
import zlib
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch.errors import invalid
from overcast.services.cloudwatch.mathexpr import Series
from overcast.services.cloudwatch.querydata import Evaluation, check_queries

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.cloudwatch.provider import Provider

#: The palette CloudWatch's graphs use, in order.
PALETTE = [
    (0x1F, 0x77, 0xB4),
    (0xFF, 0x7F, 0x0E),
    (0x2C, 0xA0, 0x2C),
    (0xD6, 0x27, 0x28),
    (0x94, 0x67, 0xBD),
    (0x8C, 0x56, 0x4B),
    (0xE3, 0x77, 0xC2),
    (0x7F, 0x7F, 0x7F),
    (0xBC, 0xBD, 0x22),
    (0x17, 0xBE, 0xCF),
]
_DURATION = re.compile(r"^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def relative(text: str | None, now: float, default: float) -> float:
    """A widget's start/end: an ISO 8601 duration back from now (-PT3H), or a timestamp."""
    if not text:
        return default
    match = _DURATION.match(text)
    if match:
        weeks, days, hours, minutes, secs = (int(g or 0) for g in match.groups())
        return now - (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 - secs
    try:
        from datetime import datetime

        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(f"The value {text} for start or end is not a valid time.") from None


def widget_queries(widget: dict[str, Any]) -> list[dict[str, Any]]:
    """The GetMetricData queries of a widget's "metrics" array (with its "." repeats)."""
    period = int(widget.get("period", 300))
    stat = widget.get("stat", "Average")
    queries: list[dict[str, Any]] = []
    previous: list[str] = []
    for index, entry in enumerate(widget.get("metrics") or []):
        if not isinstance(entry, list) or not entry:
            raise invalid("Each entry of metrics must be a non-empty array.")
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        names = [str(item) for item in entry if not isinstance(item, dict)]
        ident = options.get("id") or f"m{index + 1}"
        if "expression" in options:
            query = {
                "Id": ident,
                "Expression": options["expression"],
                "ReturnData": options.get("visible", True),
            }
        else:
            names = [
                previous[i] if name == "." and i < len(previous) else name for i, name in enumerate(names)
            ]
            previous = names
            if len(names) < 2 or len(names) % 2:
                raise invalid("A metric must name a namespace, a metric name and dimension name/value pairs.")
            dims = [{"Name": names[i], "Value": names[i + 1]} for i in range(2, len(names), 2)]
            query = {
                "Id": ident,
                "MetricStat": {
                    "Metric": {"Namespace": names[0], "MetricName": names[1], "Dimensions": dims},
                    "Period": int(options.get("period", period)),
                    "Stat": options.get("stat", stat),
                },
                "ReturnData": options.get("visible", True),
            }
        if options.get("label"):
            query["Label"] = options["label"]
        queries.append(query)
    return queries


def render_png(series: list[Series], start: float, end: float, width: int, height: int) -> bytes:
    pixels = bytearray(b"\xff" * (width * height * 3))

    def put(x: int, y: int, color: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            offset = (y * width + x) * 3
            pixels[offset : offset + 3] = bytes(color)

    left, right, top, bottom = 50, width - 20, 20, height - 30
    grid = (0xE0, 0xE0, 0xE0)
    axis = (0x55, 0x55, 0x55)
    for step in range(5):
        y = top + (bottom - top) * step // 4
        for x in range(left, right + 1):
            put(x, y, grid)
    for y in range(top, bottom + 1):
        put(left, y, axis)
    for x in range(left, right + 1):
        put(x, bottom, axis)
    values = [v for s in series for v in s.points.values()]
    if values:
        low, high = min(values), max(values)
        if high == low:
            low, high = low - 1, high + 1
        span = max(end - start, 1)
        for index, s in enumerate(series):
            color = PALETTE[index % len(PALETTE)]
            points = [
                (
                    left + int((ts - start) / span * (right - left)),
                    bottom - int((value - low) / (high - low) * (bottom - top)),
                )
                for ts, value in s.ordered()
            ]
            for (x0, y0), (x1, y1) in pairwise(points):
                _line(put, x0, y0, x1, y1, color)
            for x, y in points:
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        put(x + dx, y + dy, color)
    return encode_png(width, height, bytes(pixels))


def _line(put: Any, x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int]) -> None:
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error = dx + dy
    while True:
        put(x0, y0, color)
        put(x0, y0 + 1, color)
        if x0 == x1 and y0 == y1:
            return
        double = 2 * error
        if double >= dy:
            error += dy
            x0 += sx
        if double <= dx:
            error += dx
            y0 += sy


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    stride = width * 3
    raw = b"".join(b"\x00" + rgb[row * stride : (row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class ChartMixin:
    def get_metric_widget_image(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        import json

        fmt = params.get("OutputFormat") or "png"
        if fmt not in ("png", "raw"):
            raise invalid(f"The value {fmt} for parameter OutputFormat is invalid.")
        try:
            widget = json.loads(params["MetricWidget"])
        except ValueError:
            raise invalid("The parameter MetricWidget must be a valid JSON object.") from None
        if not isinstance(widget, dict):
            raise invalid("The parameter MetricWidget must be a valid JSON object.")
        width, height = int(widget.get("width", 600)), int(widget.get("height", 395))
        if not (1 <= width <= 2000 and 1 <= height <= 2000):
            raise invalid("The widget's width and height must be between 1 and 2000.")
        now = time.time()
        start = relative(widget.get("start"), now, now - 3 * 3600)
        end = relative(widget.get("end"), now, now)
        if start >= end:
            raise invalid("The widget's start must be before its end.")
        queries = widget_queries(widget)
        series: list[Series] = []
        if queries:
            check_queries(queries)
            evaluation = Evaluation(self.data, self.scope_of(context), queries, start, end)
            for query in queries:
                if not query.get("ReturnData", True):
                    continue
                value = evaluation.value(query["Id"])
                series.extend(
                    value if isinstance(value, list) else [value] if isinstance(value, Series) else []
                )
        return {"MetricWidgetImage": render_png(series, start, end, width, height)}
