"""Browser fixtures: Debian's Chromium driven by Playwright, never a downloaded browser. Each test
works in an account of its own, which the page selects before it loads, and leaves a screenshot
of each page it saw under tests/artifacts/dashboard/ (kept by CI as test artifacts)."""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import boto3
import pytest

CHROMIUM = os.environ.get("OVERCAST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is in the test extras")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def account() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


@pytest.fixture
def aws_as(endpoint, account):
    """`aws_as("s3")`: a boto3 client acting as the test's account."""

    def make(service: str):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            aws_access_key_id=account,
            aws_secret_access_key="test",
            region_name="us-east-1",
        )

    return make


class Dashboard:
    """The page, with the test's account selected, and what went wrong in its console."""

    def __init__(self, page, endpoint: str, name: str) -> None:
        self.page = page
        self.endpoint = endpoint
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        self.problems: list[str] = []
        self.shots = 0
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        # The machine's network changing under Chromium (containers starting) aborts requests
        # in flight; the page asks again for reads. That is the machine's doing, not the page's.
        if message.type == "error" and "ERR_NETWORK_CHANGED" not in message.text:
            self.problems.append(f"console: {message.text}")

    def settled(self, timeout: float = 30) -> None:
        """Wait until nothing on the page says it is loading."""
        self.page.wait_for_function(
            "() => !document.querySelector('main').textContent.includes('Loading…')", timeout=timeout * 1000
        )

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.endpoint}/_overcast/#/{route}")
        self.page.wait_for_selector("main .page")

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(
            path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True
        )


@pytest.fixture
def dashboard(browser, endpoint, account, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_init_script(
        f"localStorage.setItem('overcast.account', '{account}');"
        "localStorage.setItem('overcast.region', 'us-east-1');"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    board = Dashboard(page, endpoint, request.node.name)
    yield board
    board.shot("end")
    context.close()
    assert not board.problems, board.problems
