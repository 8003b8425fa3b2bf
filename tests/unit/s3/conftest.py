import pytest

from overcast.config import Config
from overcast.runtime import Runtime


@pytest.fixture
def provider():
    """The S3 provider of a fresh in-memory runtime, for tests that reach below the API."""
    runtime = Runtime(Config(data_dir=None))
    try:
        yield runtime.provider("s3")
    finally:
        runtime.close()
