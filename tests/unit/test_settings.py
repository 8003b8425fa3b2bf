"""Every setting is read in config.py and documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from overcast import config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "overcast"
#: Names that are not settings: variables Overcast sets for the processes it starts.
INTERNAL = {"OVERCAST_LAMBDA_STANDBY"}
NAME = re.compile(r"\b(?<!_)OVERCAST_[A-Z0-9_]+\b")


def product_sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "bootstrap" not in p.parts]


def test_only_config_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for path in product_sources()
        if path.name != "config.py" and re.search(r"os\.environ\b|os\.getenv\(", path.read_text())
    ]
    assert readers == []


def test_every_setting_is_declared_in_config_and_documented():
    declared = set(NAME.findall((PACKAGE / "config.py").read_text()))
    used = set()
    for path in product_sources():
        used.update(NAME.findall(path.read_text()))
    readme = (ROOT / "README.md").read_text()
    assert used - INTERNAL <= declared
    assert sorted(name for name in declared if name not in readme) == []


def test_tunings_default_and_refuse_what_is_not_a_number(monkeypatch):
    monkeypatch.delenv("OVERCAST_SNS_RETRY_DELAY_SCALE", raising=False)
    assert config.tuning("OVERCAST_SNS_RETRY_DELAY_SCALE") == 1
    monkeypatch.setenv("OVERCAST_SNS_RETRY_DELAY_SCALE", "0.01")
    assert config.tuning("OVERCAST_SNS_RETRY_DELAY_SCALE") == pytest.approx(0.01)
    assert config.check_tunings({"OVERCAST_S3_RESTORE_SECONDS": "soon"}) == [
        "OVERCAST_S3_RESTORE_SECONDS must be a number of seconds (or a factor), not 'soon'"
    ]
    assert config.check_tunings({"OVERCAST_S3_RESTORE_SECONDS": "2.5"}) == []
