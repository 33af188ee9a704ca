"""The status page's handler under the emulator, through its function URL as Lambda serves it (payload format 2.0,
the public's permission from the template), its AWS calls authorized with its role's policies: what a friend sees in
each state, the wake, a wrong passphrase, the lock-out, a cross-site post, hostile text, the JSON twin."""

import json
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from napstack.config import load_config
from napstack.emulator.faults import FaultPlan, _entry
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.emulator.world import Emulator
from napstack.page_server import set_local_passphrase
from napstack.settings import STATUS_PAGE, WOKEN_TAG, leaf_tags
from tests.conftest import ROOT
from tests.test_config import with_changes, write_configs

PASSPHRASE = "open sesame, friends"
HASH_BUDGET, LOCKOUT = 20, timedelta(minutes=15)  # wrong guesses at one passphrase, from anyone (README)
SESSION = Scenario(checks=[CheckReport(running=False, listening=False, query="timeout"),
                           CheckReport(players=2, names=["Alex", "<script>alert('Steve')</script>"], repeat=30)],
                   then="active")


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "examples" / "minecraft-java.yaml")


class Browser:
    """A friend's browser on the page: keeps its cookie, posts the page's own form."""

    def __init__(self, emulator, source_ip="203.0.113.5"):
        self.emulator, self.source_ip, self.cookies = emulator, source_ip, {}
        self.origin = "https://" + emulator.function_url(STATUS_PAGE).url.split("//", 1)[1].rstrip("/")

    def request(self, method, target="/", body=b"", headers=None):
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.emulator.open_url(STATUS_PAGE, method, target, sent, body, source_ip=self.source_ip)
        for value in [v for k, v in response.headers if k.lower() == "set-cookie"]:
            jar = SimpleCookie(value)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response

    def page(self):
        response = self.request("GET", "/")
        assert response.status == 200
        return response.body.decode()

    def status(self):
        return json.loads(self.request("GET", "/status.json").body)["servers"][0]

    def wake(self, passphrase=PASSPHRASE, server="minecraft-java", origin=None, token=None):
        if not self.cookies:
            self.page()
        form = urlencode({"server": server, "token": token or self.cookies.get("napstack-token", ""),
                          "passphrase": passphrase}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin or self.origin,
                   "Sec-Fetch-Site": "same-origin" if origin is None else "cross-site"}
        return self.request("POST", "/wake", form, headers)


def outcome(response) -> str:
    body = response.body.decode()
    return body.split('<p class="message" data-outcome="', 1)[1].split('"', 1)[0]


def desired(emulator) -> int:
    group = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
    return group["AutoScalingGroups"][0]["DesiredCapacity"]


def tags(emulator) -> dict:
    group = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
    return {t["Key"]: t["Value"] for t in group["AutoScalingGroups"][0]["Tags"]}


def test_asleep_the_page_shows_the_game_and_its_button_with_strict_headers(config):
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        browser = Browser(emulator)
        response = browser.request("GET", "/")
        html = response.body.decode()
        assert response.status == 200 and response.header("Content-Type").startswith("text/html")
        assert '<section class="server" data-server="minecraft-java">' in html
        assert '<span class="state" data-state="asleep">' in html and "mc.example.com:25565" in html
        assert '<form method="post" action="/wake">' in html
        cookie = response.header("Set-Cookie")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
        assert response.header("Content-Security-Policy").startswith("default-src 'none'")
        assert response.header("X-Frame-Options") == "DENY"
        assert browser.status() == {**browser.status(), "name": "minecraft-java", "state": "asleep",
                                    "address": "mc.example.com:25565", "wake": True}
        assert emulator.open_url(STATUS_PAGE, "GET", "/nothing").status == 404


def test_the_right_passphrase_wakes_it_and_the_page_follows_to_ready_with_escaped_names(config):
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        browser = Browser(emulator)
        woken = browser.wake()
        assert woken.status == 200 and outcome(woken) == "woken" and desired(emulator) == 1
        assert tags(emulator)[WOKEN_TAG].endswith(" by the status page")
        assert 'data-state="starting"' in woken.body.decode()
        emulator.run_until_settled(timedelta(minutes=4), stop_at_limit=False)
        html = browser.page()
        assert '<span class="state" data-state="ready">' in html and '<span class="players">2/20</span>' in html
        assert '<span class="name">Alex</span>' in html and "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;Steve&#x27;)&lt;/script&gt;" in html
        status = browser.status()
        assert (status["state"], status["players"], status["max_players"]) == ("ready", 2, 20)
        assert status["names"] == ["Alex", "<script>alert('Steve')</script>"]  # JSON carries the text as it is
        again = browser.wake()
        assert outcome(again) == "already-up" and desired(emulator) == 1


def test_a_wrong_passphrase_is_refused_counted_and_locks_its_source_out(config):
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        guesser, friend = Browser(emulator), Browser(emulator, source_ip="198.51.100.20")
        before = emulator.clock.now()
        refused = guesser.wake("password123")
        assert (refused.status, outcome(refused)) == (403, "refused") and desired(emulator) == 0
        assert emulator.clock.now() - before >= timedelta(seconds=0.25)  # the short wait
        assert 'data-state="asleep"' in refused.body.decode()
        for _ in range(4):
            guesser.wake("password123")
        locked = guesser.wake(PASSPHRASE)  # even the right one, from that source, for a while
        assert (locked.status, outcome(locked)) == (429, "locked-out") and desired(emulator) == 0
        recorded = [v for k, v in tags(emulator).items() if k.startswith("napstack:wake-failure-")]
        assert len(recorded) == 5 and not [v for v in recorded if "203.0.113.5" in v]
        assert outcome(friend.wake()) == "woken"  # another source is not locked out


def test_guessers_get_no_more_tries_from_an_ipv6_network_other_addresses_or_other_games(config):
    """Every address of an IPv6 /64 is one source; a locked source stays locked however many others guess; the
    base's passphrase has one budget for all its games, and past it nobody may try until the oldest guess is old."""
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        second = {**tags(emulator), "napstack:leaf": "second-game", "napstack:dns-name": "second.example.com"}
        _add_game(emulator, "Napstack-SecondGame", {k: v for k, v in second.items() if not k.startswith("aws:")})
        for n in range(5):
            assert outcome(Browser(emulator, f"2001:db8:0:1::{n + 1:x}").wake("wrong guess")) == "refused"
        assert outcome(Browser(emulator, "2001:db8:0:1:ffff::9").wake()) == "locked-out"  # the same /64
        for n in range(HASH_BUDGET - 6):  # one guess each from many other addresses
            assert outcome(Browser(emulator, f"198.51.100.{n}").wake("wrong guess", server="second-game")) == "refused"
        assert outcome(Browser(emulator, "2001:db8:0:1::1").wake()) == "locked-out"  # not freed by the others
        assert outcome(Browser(emulator, "192.0.2.50").wake("wrong guess")) == "refused"  # the budget's last
        everyone = Browser(emulator, "192.0.2.60").wake()  # the right passphrase, a fresh address, another game
        assert (everyone.status, outcome(everyone)) == (429, "locked-out") and "from anyone" in everyone.body.decode()
        assert desired(emulator) == 0
        emulator.clock.set(emulator.clock.now() + LOCKOUT)
        assert outcome(Browser(emulator, "192.0.2.61").wake("wrong guess")) == "refused"
        assert len([k for k in tags(emulator) if k.startswith("napstack:wake-failure-")]) == 1  # the old ones deleted
        assert outcome(Browser(emulator, "2001:db8:0:1::1").wake()) == "woken"


def test_a_cross_site_post_changes_nothing(config):
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        browser = Browser(emulator)
        assert outcome(browser.wake(origin="https://evil.example")) == "cross-site"
        assert outcome(browser.wake(token="x" * 32)) == "cross-site"  # a token that is not the cookie's
        assert desired(emulator) == 0


def test_without_a_passphrase_the_page_only_shows(config):
    with Emulator(config, SESSION) as emulator:
        browser = Browser(emulator)
        assert "<form" not in browser.page()
        assert outcome(browser.wake()) == "no-passphrase" and desired(emulator) == 0


def test_a_wake_aws_refuses_after_retries_says_so_and_leaves_the_server_asleep(config):
    faults = FaultPlan([_entry({"call": "autoscaling:SetDesiredCapacity", "error": "Throttling", "times": 5})])
    with Emulator(config, SESSION, faults=faults) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        failed = Browser(emulator).wake()
        assert (failed.status, outcome(failed)) == (503, "failed") and desired(emulator) == 0
        assert WOKEN_TAG not in tags(emulator)  # no wake record for a wake that did not happen


def _add_game(emulator, name: str, game_tags: dict) -> str:
    """Another game's group beside this one (the same launch template), tagged as its leaf would tag it."""
    autoscaling = emulator.client("autoscaling")
    with emulator.emulators_own_calls():
        (ours,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])["AutoScalingGroups"]
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=1, DesiredCapacity=0,
            LaunchTemplate={k: ours["LaunchTemplate"][k] for k in ("LaunchTemplateId", "Version")},
            VPCZoneIdentifier=ours["VPCZoneIdentifier"],
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in game_tags.items()])
    return name


def test_a_base_lists_and_wakes_only_its_own_games_and_its_role_cannot_touch_another_bases(config, tmp_path):
    """Two bases in one account and region (README: a second zone deploys beside the first): this base's page, and its
    passphrase, must not show or start the other base's game, and its role may not change that group."""
    other = load_config(write_configs(tmp_path, with_changes(), {"DomainName": "example.org", "HostedZoneId": "Z1234567890"}))
    assert other.base.base_stack_name != config.base.base_stack_name
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        foreign = _add_game(emulator, other.leaf.stack_name, leaf_tags(other))  # a game of the other base
        browser = Browser(emulator)
        html = browser.page()
        assert "game.example.org" not in html and f'data-server="{other.leaf.name}"' not in html
        assert [s["name"] for s in json.loads(browser.request("GET", "/status.json").body)["servers"]] == ["minecraft-java"]
        refused = browser.wake(server=other.leaf.name)  # this base's passphrase, the other base's game
        assert (refused.status, outcome(refused)) == (404, "unknown-server")
        autoscaling = emulator.client("autoscaling")
        with emulator.emulators_own_calls():
            (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[foreign])["AutoScalingGroups"]
        assert group["DesiredCapacity"] == 0 and WOKEN_TAG not in {t["Key"] for t in group["Tags"]}
        page = emulator.deployment.functions[emulator.function_url(STATUS_PAGE).function_name]

        def as_page(operation, **params):
            emulator.authorizer.check(page.role_arn, "status_page", autoscaling, operation, params)

        def tag(group_name, key):
            return {"Tags": [{"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": key, "Value": "x",
                              "PropagateAtLaunch": False}]}

        as_page("SetDesiredCapacity", AutoScalingGroupName=emulator.stack.asg_name, DesiredCapacity=1)
        as_page("CreateOrUpdateTags", **tag(emulator.stack.asg_name, WOKEN_TAG))
        for operation, params in [("SetDesiredCapacity", {"AutoScalingGroupName": foreign, "DesiredCapacity": 1}),
                                  ("CreateOrUpdateTags", tag(foreign, WOKEN_TAG)),
                                  # its own games: only the tags the page writes, never a passphrase hash
                                  ("CreateOrUpdateTags", tag(emulator.stack.asg_name, "napstack:wake-passphrase"))]:
            with pytest.raises(ClientError) as denied:
                as_page(operation, **params)
            assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_the_url_serves_nothing_without_the_public_permission(config):
    with Emulator(config, SESSION) as emulator:
        emulator.deployment.permissions[:] = [p for p in emulator.deployment.permissions
                                              if p.get("Action") != "lambda:InvokeFunctionUrl"]
        response = emulator.open_url(STATUS_PAGE, "GET", "/")
        assert response.status == 403 and b"InvokeFunctionUrl" in response.body




def test_status_names_the_page_from_the_base_stacks_output(config):
    """`napstack status --config` reads the URL where a deploy put it: the base stack's StatusPageUrl output."""
    from tests.conftest import napstack_cli

    with Emulator(config, SESSION) as emulator:
        shown = napstack_cli("status", "--config", "examples/minecraft-java.yaml")
        assert shown.returncode == 0 and f"  status page {emulator.function_url(STATUS_PAGE).url}" in shown.stdout
        by_name = napstack_cli("status", "--stack", emulator.stack.asg_name, "--region", "us-east-1")
        assert "status page" not in by_name.stdout  # a leaf named by hand: its base is not known


@pytest.mark.parametrize("body, content_type, expected", [
    ("&".join(f"f{n}=x" for n in range(50)).encode(), "application/x-www-form-urlencoded", (400, "bad-form")),
    (b"server=\xff\xfe&passphrase=\x80", "application/x-www-form-urlencoded", (400, "bad-form")),  # not UTF-8
    (b"passphrase=" + b"x" * 10_000, "application/x-www-form-urlencoded", (400, "bad-form")),  # longer than any form
    (b"\x00\x01binary", "application/octet-stream", (403, "cross-site")),  # no token: not the page's form
])
def test_a_hostile_form_is_refused_in_a_sentence_never_a_crash(config, body, content_type, expected):
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        browser = Browser(emulator)
        browser.page()
        refused = browser.request("POST", "/wake", body, {"Content-Type": content_type})
        assert (refused.status, outcome(refused)) == expected and desired(emulator) == 0
        assert b'data-server="minecraft-java"' in refused.body  # the games still shown, not "no game is deployed"


def test_aws_not_answering_the_page_says_so(config):
    faults = FaultPlan([_entry({"call": "autoscaling:DescribeAutoScalingGroups", "error": "Throttling", "times": 3})])
    with Emulator(config, SESSION, faults=faults) as emulator:
        response = emulator.open_url(STATUS_PAGE, "GET", "/")
        assert response.status == 503 and b"cannot be read just now" in response.body


def test_a_second_session_starts_as_starting_not_as_the_last_ones_ready(config):
    short = Scenario(checks=[CheckReport(running=False, listening=False, query="timeout"),
                             CheckReport(players=1, names=["Alex"])], then="idle")
    with Emulator(config, short) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        browser = Browser(emulator)
        assert outcome(browser.wake()) == "woken"
        emulator.run_until_settled(timedelta(hours=1))  # ready, then idle: scaled down
        assert browser.status()["state"] == "asleep" and desired(emulator) == 0
        assert outcome(browser.wake()) == "woken"  # the example has no cool-down
        assert browser.status()["state"] == "starting"


def test_the_pages_role_is_enforced_a_wake_it_may_not_make_changes_nothing(config):
    """IAM from the template: without its SetDesiredCapacity statement the page's wake is refused as AWS refuses it."""
    with Emulator(config, SESSION) as emulator:
        set_local_passphrase(emulator, PASSPHRASE)
        function = emulator.deployment.functions[emulator.function_url(STATUS_PAGE).function_name]
        documents = emulator.deployment.policies[function.role_arn]
        documents[:] = [{**d, "Statement": [s for s in d["Statement"] if "autoscaling:SetDesiredCapacity" not in s["Action"]]}
                        for d in documents]
        failed = Browser(emulator).wake()
        assert (failed.status, outcome(failed)) == (503, "failed") and "AWS said AccessDenied): tell the owner" in failed.body.decode()
        assert desired(emulator) == 0
