"""The time formats AWS puts in bodies and headers that its models do not type as timestamps
(event payloads, messages, ARNs, headers), so a service formats them by hand. A `moment` is
epoch seconds (float), an aware datetime, or None for now; naive datetimes are read as UTC.

    iso_millis()    2024-05-01T12:00:00.123Z      (SNS/S3 event times, Lambda's LastModified
                                                    with zone="+0000")
    iso_seconds()   2024-05-01T12:00:00Z          (CloudTrail, S3 event records)
    epoch_seconds() 1714564800                     (SQS attributes, Logs' creationTime / 1000)
    epoch_millis()  1714564800123
    rfc1123()       Wed, 01 May 2024 12:00:00 GMT  (HTTP dates: Last-Modified, Expires)
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

Moment = float | datetime | None

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The text of the last second formatted: publishing and sending format the same second
# thousands of times, and strftime costs more than the rest of the call. One tuple, replaced
# whole, so a thread never sees one second's number with another's text.
_last_second: tuple[int, str] = (-1, "")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _millis(moment: Moment) -> int:
    if moment is None:
        return time.time_ns() // 1_000_000
    if isinstance(moment, datetime):
        # Exact integer arithmetic: .timestamp() * 1000 can land a hair below the millisecond.
        return ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - _EPOCH) // _MILLISECOND
    # Epoch floats carry binary noise (1714564800.123 * 1000 = 1714564800122.9998): a
    # microsecond's nudge keeps a whole millisecond whole.
    return math.floor(moment * 1000 + 1e-3)


def _second_text(second: int) -> str:
    global _last_second
    cached = _last_second
    if cached[0] == second:
        return cached[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    _last_second = (second, text)
    return text


def iso_millis(moment: Moment = None, zone: str = "Z") -> str:
    """ISO 8601 in UTC with milliseconds: "2024-05-01T12:00:00.123Z" (`zone` "+0000" gives
    Lambda's "2024-05-01T12:00:00.123+0000")."""
    millis = _millis(moment)
    return f"{_second_text(millis // 1000)}.{millis % 1000:03d}{zone}"


def iso_seconds(moment: Moment = None) -> str:
    """ISO 8601 in UTC to the second: "2024-05-01T12:00:00Z"."""
    return _second_text(_millis(moment) // 1000) + "Z"


def epoch_seconds(moment: Moment = None) -> int:
    return _millis(moment) // 1000


def epoch_millis(moment: Moment = None) -> int:
    return _millis(moment)


def rfc1123(moment: Moment = None) -> str:
    """The HTTP date (RFC 1123, always GMT, whole seconds): "Wed, 01 May 2024 12:00:00 GMT"."""
    t = time.gmtime(_millis(moment) // 1000)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
