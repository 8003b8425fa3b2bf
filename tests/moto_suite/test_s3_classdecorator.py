# Copied unchanged but for its moto import from moto (https://github.com/getmoto/moto),
# tests/test_s3/test_s3_classdecorator.py at commit 0af643a5dbfc98797f08ee64f5be3ef8002d56ff. Copyright the moto contributors; licensed under
# the Apache License 2.0 (tests/moto_suite/LICENSE). Changed: `from moto import mock_aws` is
# `from overcast import mock_aws`.
import unittest

import boto3

from overcast import mock_aws


@mock_aws
class ClassDecoratorTest(unittest.TestCase):
    """
    https://github.com/getmoto/moto/issues/3535
    An update to the mock-package introduced a failure during teardown.
    This test is in place to catch any similar failures with our
    mocking approach.
    """

    def test_instantiation_succeeds(self):
        assert boto3.client("s3", region_name="us-east-1") is not None
