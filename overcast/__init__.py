"""Overcast: a local AWS cloud in one process on one port."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `from overcast import mock_aws` loads the in-process server's module on first use only:
    # a started server never imports it.
    if name == "mock_aws":
        from overcast.testing import mock_aws

        return mock_aws
    raise AttributeError(f"module 'overcast' has no attribute {name!r}")
