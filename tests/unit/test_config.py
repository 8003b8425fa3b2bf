from pathlib import Path

import pytest

from overcast.config import ConfigError, from_environment, parse_listen, parse_port


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


@pytest.mark.parametrize("value", ["abc", "99999", "-5", "65536", "4566.5"])
def test_a_port_that_cannot_be_used_is_refused_naming_the_setting(value):
    with pytest.raises(ConfigError, match=r"^OVERCAST_PORT must be a port number"):
        from_environment({"OVERCAST_PORT": value})


def test_port_zero_asks_for_any_free_port():
    assert parse_port("0") == 0 and parse_port(" 65535 ") == 65535


def test_overcast_services_names_only_what_overcast_emulates():
    assert from_environment({"OVERCAST_SERVICES": "s3, SQS"}).services == {"s3", "sqs"}
    with pytest.raises(
        ConfigError, match="unknown service bogus, which Overcast does not emulate; it emulates"
    ):
        from_environment({"OVERCAST_SERVICES": "s3,bogus"})
    # LocalStack's SERVICES, written for LocalStack, may name services Overcast lacks.
    assert from_environment({"SERVICES": "s3,cloudformation"}).services == {"s3", "cloudformation"}


def test_the_xray_daemon_address():
    assert from_environment({}).xray_daemon == ("127.0.0.1", 2000)
    assert from_environment({"OVERCAST_XRAY_DAEMON_ADDRESS": "0.0.0.0:2100"}).xray_daemon == ("0.0.0.0", 2100)
    assert from_environment({"OVERCAST_XRAY_DAEMON_ADDRESS": "off"}).xray_daemon is None
    for bad in ("2000", "host:", "127.0.0.1:99999"):
        with pytest.raises(ConfigError, match="OVERCAST_XRAY_DAEMON_ADDRESS"):
            from_environment({"OVERCAST_XRAY_DAEMON_ADDRESS": bad})
