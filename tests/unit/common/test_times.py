from datetime import UTC, datetime, timedelta, timezone

from overcast.common import times

MOMENT = 1714564800.123  # 2024-05-01T12:00:00.123Z, a Wednesday


def test_iso_millis():
    assert times.iso_millis(MOMENT) == "2024-05-01T12:00:00.123Z"
    assert times.iso_millis(MOMENT, zone="+0000") == "2024-05-01T12:00:00.123+0000"


def test_iso_millis_cache_never_mixes_seconds():
    assert times.iso_millis(MOMENT) == "2024-05-01T12:00:00.123Z"
    assert times.iso_millis(MOMENT + 1) == "2024-05-01T12:00:01.123Z"
    assert times.iso_millis(MOMENT) == "2024-05-01T12:00:00.123Z"


def test_iso_seconds():
    assert times.iso_seconds(MOMENT) == "2024-05-01T12:00:00Z"


def test_datetimes_aware_in_any_zone_and_naive_as_utc():
    aware = datetime(2024, 5, 1, 14, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
    assert times.iso_millis(aware) == "2024-05-01T12:00:00.123Z"
    assert times.iso_seconds(datetime(2024, 5, 1, 12, 0, 0)) == "2024-05-01T12:00:00Z"
    assert times.epoch_seconds(datetime(2024, 5, 1, 12, tzinfo=UTC)) == 1714564800


def test_epochs():
    assert times.epoch_seconds(MOMENT) == 1714564800
    assert times.epoch_millis(MOMENT) == 1714564800123


def test_rfc1123():
    assert times.rfc1123(MOMENT) == "Wed, 01 May 2024 12:00:00 GMT"
    assert times.rfc1123(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_now_is_the_default():
    before = times.epoch_seconds()
    assert times.iso_seconds().startswith(str(datetime.now(UTC).year))
    assert times.epoch_seconds() - before in (0, 1)


def test_whole_milliseconds_stay_whole():
    for millis in range(1714564800000, 1714564800000 + 2000, 7):
        assert times.epoch_millis(millis / 1000) == millis
        assert times.epoch_millis(datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=millis)) == millis
