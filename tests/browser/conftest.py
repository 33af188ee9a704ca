"""A real browser for the status page: Debian's headless Chromium driven by Selenium, and `napstack page` serving
the page on 127.0.0.1. One browser session per module (Chromium's start is the cost); each step's screenshot is
kept under $NAPSTACK_ARTIFACTS/browser (default .venv/artifacts/browser), never committed."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Debian's packages (`chromium`, `chromium-driver`): the paths are given, so Selenium Manager never looks for, or
# downloads, a browser or a driver of its own.
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
INSTALL = "sudo apt-get install chromium chromium-driver"
# Chromium's start, then any page load, answer within seconds here; the bounds only stop a hung browser.
PAGE_LOAD_SECONDS, SCRIPT_SECONDS = 30, 10
# `napstack page` synthesizes the config's assembly on its first run (seconds; minutes on a loaded 2-core machine).
PAGE_START_SECONDS = 180


def browser_or_skip(chromium: Path = CHROMIUM, chromedriver: Path = CHROMEDRIVER) -> None:
    """Skip (only the tests that need a browser) when Debian's Chromium or its driver is not installed."""
    missing = [str(p) for p in (chromium, chromedriver) if not os.access(p, os.X_OK)]
    if missing:
        pytest.skip(f"no headless browser: {', '.join(missing)} not found; install it with `{INSTALL}` "
                    "(.ci/run does) to test the status page in a real browser")


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator["webdriver.Chrome"]:  # noqa: F821 (imported when a browser exists)
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--no-proxy-server", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=800,600",  # an 800x457 view: the page's tallest step fits
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
        driver.set_script_timeout(SCRIPT_SECONDS)
        driver.implicitly_wait(0)  # every wait is an explicit, bounded WebDriverWait
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """The folder this run's screenshots go to, emptied of an earlier run's."""
    folder = Path(os.environ.get("NAPSTACK_ARTIFACTS", ROOT / ".venv" / "artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def serve_page(tmp_path: Path, *args: str) -> Iterator[str]:
    """`napstack page ARGS --port 0` in its own process group: yields the URL it prints first, stops it (SIGTERM,
    then SIGKILL) after."""
    out, err = tmp_path / "page.out", tmp_path / "page.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "napstack", "page", *args, "--port", "0"], cwd=ROOT,
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + PAGE_START_SECONDS
        while not out.read_text().endswith("\n"):
            assert process.poll() is None, f"napstack page exited {process.returncode}: {err.read_text()}"
            assert time.monotonic() < deadline, f"napstack page printed no URL in {PAGE_START_SECONDS} s"
            time.sleep(0.1)
        url = out.read_text().splitlines()[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), f"not a local URL: {url!r}"
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
