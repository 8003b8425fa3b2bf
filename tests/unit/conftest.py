"""What the unit tests share: an in-memory Runtime whose providers are called directly."""

from __future__ import annotations

import pytest

from overcast.config import Config
from overcast.runtime import Runtime


@pytest.fixture
def runtime():
    """A Runtime with everything in memory; its providers load on first use, as in a server."""
    instance = Runtime(Config(data_dir=None))
    yield instance
    instance.close()
