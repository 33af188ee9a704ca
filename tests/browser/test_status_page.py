"""The status page as a friend uses it, in headless Chromium: asleep, a wrong passphrase refused, the right one
wakes the game, starting, then ready with its two players. Each step's screenshot is kept (see conftest.py)."""

import secrets
from pathlib import Path

import pytest
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import browser_or_skip, serve_page
from tests.conftest import ROOT

HERE = Path(__file__).parent
SERVER = "minecraft-java"
PASSPHRASE = secrets.token_urlsafe(12)
# `napstack page` promises `starting` at once after a wake and `ready` within about 20 s; twice that, on a busy
# 2-core machine, before the test says the page never got there.
READY_SECONDS, STEP_SECONDS = 60, 15
# A page reloading itself while a server starts replaces the elements a wait is reading.
RELOADING = (NoSuchElementException, StaleElementReferenceException)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    yield from serve_page(tmp_path_factory.mktemp("page"), "--config", str(ROOT / "examples" / "minecraft-java.yaml"),
                          "--passphrase", PASSPHRASE, "--scenario", str(HERE / "two-friends.yaml"))


def server(driver):
    return driver.find_element(By.CSS_SELECTOR, f'section.server[data-server="{SERVER}"]')


def state(driver) -> str:
    return on_this_page(lambda: server(driver).find_element(By.CSS_SELECTOR, ".state").get_attribute("data-state"))


def on_this_page(read):
    """`read()`; a node of a page being replaced reads as stale, however Chromium words it (under load it may answer
    "Node with given id does not belong to the document" instead of a stale-element error)."""
    try:
        return read()
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            raise StaleElementReferenceException(error.msg) from error
        raise


def replaced(element):
    """Like staleness_of: true once `element`'s page has been replaced by the next one."""
    def check(_):
        try:
            on_this_page(element.is_enabled)
        except StaleElementReferenceException:
            return True
        return False
    return check


def wait_for_state(driver, wanted: str, seconds: float) -> None:
    seen = []

    def reached(d):
        seen.append(state(d))
        return seen[-1] == wanted

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.2, ignored_exceptions=RELOADING).until(reached)
    except TimeoutException as error:
        raise AssertionError(f"{SERVER} never showed {wanted!r} within {seconds} s (it showed "
                             f"{sorted(set(seen)) or 'no state'})") from error


def wake(driver, passphrase: str) -> tuple[str, str]:
    """Types the passphrase into the game's form and presses Wake, as a friend does; the outcome and the sentence the
    answer shows."""
    form = server(driver).find_element(By.CSS_SELECTOR, 'form[action$="/wake"]')
    form.find_element(By.CSS_SELECTOR, 'input[name="passphrase"]').send_keys(passphrase)
    before = driver.find_element(By.TAG_NAME, "html")
    form.find_element(By.XPATH, './/*[(self::button or self::input[@type="submit"]) and '
                                '(normalize-space(.)="Wake" or @value="Wake")]').click()
    WebDriverWait(driver, STEP_SECONDS).until(replaced(before))  # the answer to the POST is a new page
    message = WebDriverWait(driver, STEP_SECONDS, ignored_exceptions=RELOADING).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "p.message"))
    return message.get_attribute("data-outcome"), message.text


def test_a_friend_sees_it_asleep_wakes_it_with_the_passphrase_and_sees_it_ready_with_two_players(
        browser, page, artifacts):
    def shoot(step: str) -> None:
        assert browser.save_screenshot(str(artifacts / f"{step}.png")), f"no screenshot of {step}"

    # Without JavaScript the page is still the whole answer: server-rendered, the state and the form there.
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(page)
    assert state(browser) == "asleep"
    assert server(browser).find_elements(By.CSS_SELECTOR, 'form input[name="passphrase"]')
    shoot("01-asleep-without-javascript")
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})

    browser.get(page)
    assert state(browser) == "asleep"
    shoot("02-asleep")

    outcome, said = wake(browser, "not-" + PASSPHRASE)
    assert outcome == "refused", said
    shoot("03-wrong-passphrase-refused")
    browser.get(page)
    assert state(browser) == "asleep", "a wrong passphrase woke the server"

    outcome, said = wake(browser, PASSPHRASE)
    assert outcome == "woken", said
    shoot("04-woken")
    browser.get(page)
    assert state(browser) == "starting"
    shoot("05-starting")

    # No reload by the test from here on: the page reloads itself while the server starts.
    wait_for_state(browser, "ready", READY_SECONDS)
    players = server(browser).find_element(By.CSS_SELECTOR, ".players").text.strip()
    names = [n.text.strip() for n in server(browser).find_elements(By.CSS_SELECTOR, ".name")]
    shoot("06-ready")
    assert players.split("/")[0] == "2", f"players shown: {players!r}"
    assert {"Alex", "Steve"} <= set(names), f"names shown: {names}"


def test_without_chromium_only_the_browser_tests_skip_saying_how_to_install_it(tmp_path):
    with pytest.raises(pytest.skip.Exception, match="install it with `sudo apt-get install chromium chromium-driver`"):
        browser_or_skip(tmp_path / "chromium", tmp_path / "chromedriver")
