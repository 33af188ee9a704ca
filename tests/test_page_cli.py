"""`napstack passphrase` and `napstack page` as a user runs them: the hash the config takes, the local page's first
line and its stop, bad input in one line with exit 2."""

import io
import os
import re
import select
import signal
import subprocess
import sys
import urllib.request

import pytest

from napstack.config import PASSPHRASE_HASH
from tests.conftest import ROOT, napstack_cli


def passphrase(stdin: str, monkeypatch) -> subprocess.CompletedProcess:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return napstack_cli("passphrase")


def test_passphrase_prints_a_hash_the_config_takes_and_the_page_checks(monkeypatch):
    from napstack.passphrase import _module

    made = passphrase("open sesame, friends\n", monkeypatch)
    assert made.returncode == 0 and made.stderr == ""
    stored = made.stdout.strip()
    assert re.fullmatch(PASSPHRASE_HASH, stored) and "sesame" not in stored
    assert _module().matches("open sesame, friends", stored)


@pytest.mark.parametrize("stdin, why", [("short\n", "at least 8 characters"), ("", "at least 8 characters"),
                                        ("\udcff\udcfe\udcfd\udcfc\udcfb\udcfa\udcf9\udcf8\n", "not UTF-8 text"),
                                        ("x" * 201 + "\n", "at most 200 characters")])
def test_passphrase_refuses_what_it_cannot_use_in_one_line(monkeypatch, stdin, why):
    refused = passphrase(stdin, monkeypatch)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and why in refused.stderr


def test_page_refuses_a_bad_port_or_scenario_in_one_line(tmp_path):
    bad_port = napstack_cli("page", "--config", "examples/minecraft-java.yaml", "--port", "70000")
    assert bad_port.returncode == 2 and "--port" in bad_port.stderr and "Traceback" not in bad_port.stderr
    scenario = tmp_path / "s.yaml"
    scenario.write_text("checks: [{players: many}]\n")
    bad = napstack_cli("page", "--config", "examples/minecraft-java.yaml", "--scenario", str(scenario))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and str(scenario) in bad.stderr


def test_page_serves_on_127_0_0_1_says_where_first_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "napstack", "page", "--config", "examples/minecraft-java.yaml", "--port", "0",
               "--passphrase", "open sesame"]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as page:
        try:
            assert select.select([page.stdout], [], [], 120)[0], "no first line within 120 s"
            first = page.stdout.readline()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\n", first)
            with urllib.request.urlopen(first.strip(), timeout=30) as response:
                html = response.read().decode()
            assert 'data-server="minecraft-java"' in html and 'data-state="asleep"' in html and "<form" in html
            page.send_signal(signal.SIGTERM)
            assert page.wait(timeout=60) == 143
            stderr = page.stderr.read()
            assert stderr.count("\n") == 1 and "terminated (SIGTERM)" in stderr
        finally:
            if page.poll() is None:
                page.kill()


def test_page_refuses_an_empty_passphrase_and_a_base_without_the_page(tmp_path):
    from tests.test_config import with_changes, write_configs

    empty = napstack_cli("page", "--config", "examples/minecraft-java.yaml", "--passphrase", "")
    assert empty.returncode == 2 and "--passphrase" in empty.stderr
    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"Enabled": False}}
    off = napstack_cli("page", "--config", str(write_configs(tmp_path, with_changes(), base)))
    assert off.returncode == 2 and off.stderr.strip() == (
        "napstack: the base turns the status page off (StatusPage.Enabled: false in its base.yaml)")
