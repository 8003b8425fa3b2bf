"""The README a new user reads first: its list of services is the code's, and it points at
nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from overcast.services import implemented
from overcast.services.__main__ import readme_list

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_readme_lists_the_emulated_services():
    block = re.search(
        r"<!-- services: python -m overcast.services -->\n(.*?)<!-- /services -->", README, re.S
    )
    assert block is not None, "the README's list of services is missing its markers"
    listed = set(re.findall(r"^- `([a-z0-9-]+)`", block.group(1), re.M))
    assert listed == set(implemented())
    assert block.group(1) == readme_list(), "run `python -m overcast.services` and paste its list"


def test_the_readme_points_only_at_files_in_the_repository():
    links = re.findall(r"\]\(([^)]+)\)", README)
    paths = re.findall(r"`((?:\.\./|docs/|tests/|overcast/|\.ci/)[^`\s]*)`", README)
    outside = [link for link in links if not link.startswith(("http://", "https://", "#"))]
    outside += paths
    missing = [path for path in outside if ".." in Path(path).parts or not (ROOT / path).exists()]
    assert missing == []
    assert (ROOT / "docs" / "architecture.md").exists() and "docs/architecture.md" in README
