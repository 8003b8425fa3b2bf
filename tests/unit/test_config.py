from pathlib import Path

import pytest

from overcast.config import from_environment, parse_listen


def test_defaults():
    config = from_environment({})
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 4566, Path(".overcast"))
    assert not config.ephemeral and not config.debug and config.log_requests
    assert config.service_enabled("anything")


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0.0.0.0:4566", ("0.0.0.0", 4566)),
        (":4567", (None, 4567)),
        ("4568", (None, 4568)),
        ("127.0.0.1:4510,0.0.0.0:443", ("127.0.0.1", 4510)),
    ],
)
def test_gateway_listen(value, expected):
    assert parse_listen(value) == expected


def test_localstack_names_are_honoured():
    config = from_environment(
        {"GATEWAY_LISTEN": "0.0.0.0:5000", "SERVICES": "s3, SQS", "DEBUG": "1", "PERSISTENCE": "0"}
    )
    assert (config.host, config.port) == ("0.0.0.0", 5000)
    assert (
        config.services == {"s3", "sqs"}
        and config.service_enabled("sqs")
        and not config.service_enabled("sns")
    )
    assert config.debug and config.ephemeral


def test_overcast_names_win():
    config = from_environment(
        {
            "GATEWAY_LISTEN": ":5000",
            "OVERCAST_PORT": "6000",
            "OVERCAST_DATA_DIR": "/tmp/x",
            "PERSISTENCE": "1",
        }
    )
    assert config.port == 6000 and config.data_dir == Path("/tmp/x")
    assert from_environment({"OVERCAST_EPHEMERAL": "true"}).ephemeral
    assert not from_environment({"OVERCAST_LOG_REQUESTS": "0"}).log_requests
