import re
import uuid

from overcast.common.ids import fast_uuid

UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_ids_are_uuid_shaped_and_parse_as_uuids():
    value = fast_uuid()
    assert UUID_SHAPE.fullmatch(value)
    assert str(uuid.UUID(value)) == value


def test_ids_do_not_repeat():
    values = [fast_uuid() for _ in range(10_000)]
    assert len(set(values)) == len(values)


def test_ids_differ_between_processes():
    import subprocess
    import sys

    code = "from overcast.common.ids import fast_uuid; print(fast_uuid())"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert len(runs) == 2
