"""The status page's own logic without AWS: what it says per state, that hostile text is escaped, the passphrase
hash, the cross-site check and the count of wrong guesses."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

import page_html
import wake_guard
import wake_passphrase
from page_view import server_view

NOW = datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
TAGS = {"napstack:dns-name": "mc.example.com", "napstack:leaf": "mc", "napstack:address": "mc.example.com:25565",
        "napstack:query": "minecraft-java 25565 2"}


def group(desired=0, instances=(), **tags):
    return {"AutoScalingGroupName": "Napstack-Mc", "DesiredCapacity": desired,
            "Instances": [{"InstanceId": f"i-{n}", "LifecycleState": state} for n, state in enumerate(instances)],
            "Tags": [{"Key": k, "Value": v} for k, v in {**TAGS, **tags}.items()]}


def answer(players=2, names=("Alex", "Steve"), motd="A server", version="Paper 1.21"):
    return SimpleNamespace(players=players, max_players=20, names=list(names), motd=motd, version=version)


def view(g, ask=lambda *a: answer(), estimate=lambda name: None, base_hash=None):
    described = {"PublicIpAddress": "203.0.113.9", "LaunchTime": NOW - timedelta(minutes=2)}
    return server_view(g, base_hash, lambda instance: described, ask, estimate)


def silent(*args):
    raise TimeoutError("no answer")


def test_each_state_from_the_group_and_the_game():
    assert view(group(0, **{"napstack:idle-stop-at": "2026-01-01T18:00:00Z"})).state == "asleep"
    assert view(group(0, ["Terminating:Wait"])).state == "stopping"
    starting = view(group(1, ["Pending"], **{"napstack:woken": "2026-01-01T19:58:00Z by the status page"}),
                    estimate=lambda name: 95)
    assert (starting.state, starting.since, starting.woken_by, starting.estimate_seconds) == (
        "starting", "2026-01-01T19:58:00Z", "the status page", 95)
    assert view(group(1, ["InService"]), ask=silent).state == "starting"  # up, the game not answering yet
    assert view(group(1, ["Pending"])).since == "2026-01-01T19:58:00Z"  # started from the console: since its launch
    ready = view(group(1, ["InService"]))
    assert (ready.state, ready.players, ready.max_players, ready.names) == ("ready", 2, 20, ["Alex", "Steve"])


def test_a_game_without_a_query_is_ready_once_in_service_and_says_why_no_figures():
    g = group(1, ["InService"])
    g["Tags"] = [t for t in g["Tags"] if t["Key"] != "napstack:query"]
    shown = view(g, ask=silent)
    assert shown.state == "ready" and shown.players is None and "Watchdog.Query" in shown.query


def test_the_wake_button_needs_a_passphrase_of_the_base_or_the_game():
    assert not view(group(0)).wake
    assert view(group(0), base_hash="scrypt$...").wake
    assert view(group(0, **{"napstack:wake-passphrase": "scrypt$..."})).wake


def test_the_page_escapes_everything_a_game_or_a_player_sends():
    hostile = answer(names=['<script>alert(1)</script>', 'Bob"><img src=x>'], motd="<b>MOTD</b>&", version="<1.21>")
    html = page_html.page([view(group(1, ["InService"]), ask=lambda *a: hostile)], "t" * 32)
    assert "<script>" not in html and "<img" not in html and "<b>MOTD" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;1.21&gt;" in html
    assert '<span class="players">2/20</span>' in html and html.count('class="name"') == 2


def test_the_contract_markup_per_state():
    asleep = page_html.page([view(group(0), base_hash="h")], "tok")
    assert '<section class="server" data-server="mc">' in asleep
    assert '<span class="state" data-state="asleep">' in asleep
    assert '<form method="post" action="/wake">' in asleep and 'type="password" name="passphrase"' in asleep
    assert '<input type="hidden" name="server" value="mc">' in asleep and ">Wake</button>" in asleep
    assert 'http-equiv="refresh"' not in asleep  # nothing changes by itself: no reload under a friend's typing
    starting = page_html.page([view(group(1, ["Pending"]), base_hash="h")], "tok", ("woken", "mc is waking up"))
    assert '<p class="message" data-outcome="woken">mc is waking up</p>' in starting
    assert 'http-equiv="refresh"' in starting and "<form" not in starting


def test_the_policy_allows_the_one_inline_style_and_nothing_else():
    policy = page_html.HEADERS["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-") and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    # Under no-referrer a browser posts the page's own form with `Origin: null`, which must be refused as cross-site.
    assert page_html.HEADERS["Referrer-Policy"] == "same-origin"


def test_the_hash_matches_only_its_passphrase_and_names_its_cost():
    stored = wake_passphrase.make_hash("correct horse")
    assert stored.startswith("scrypt$17$8$1$") and "correct horse" not in stored
    assert wake_passphrase.matches("correct horse", stored)
    assert not wake_passphrase.matches("correct hors", stored)
    assert not wake_passphrase.matches("x" * 2000, stored)
    with pytest.raises(wake_passphrase.BadPassphraseHash):
        wake_passphrase.matches("x", "scrypt$30$8$1$AAAA$AAAA")  # a hash asking for 128 GiB is not one napstack made


def test_the_config_pattern_accepts_exactly_what_make_hash_writes():
    import re

    from napstack.config import PASSPHRASE_HASH

    for _ in range(3):  # random salts; base64 of fixed lengths (each hash costs half a second)
        assert re.fullmatch(PASSPHRASE_HASH, wake_passphrase.make_hash("a passphrase"))


HOST = "abc.lambda-url.us-east-1.on.aws"


@pytest.mark.parametrize("headers, token, cookies, refused", [
    ({"sec-fetch-site": "same-origin", "origin": f"https://{HOST}"}, "T" * 32, ["napstack-token=" + "T" * 32], False),
    ({}, "T" * 32, ["napstack-token=" + "T" * 32], False),  # an old browser: the token alone
    ({"sec-fetch-site": "cross-site"}, "T" * 32, ["napstack-token=" + "T" * 32], True),
    ({"origin": "https://evil.example"}, "T" * 32, ["napstack-token=" + "T" * 32], True),
    ({"origin": "null"}, "T" * 32, ["napstack-token=" + "T" * 32], True),
    ({"sec-fetch-site": "same-origin"}, "T" * 32, [], True),  # no cookie: the page was never loaded
    ({"sec-fetch-site": "same-origin"}, "U" * 32, ["napstack-token=" + "T" * 32], True),
])
def test_a_post_from_another_site_is_refused(headers, token, cookies, refused):
    assert (wake_guard.cross_site_problem(headers, HOST, token, cookies) is not None) == refused


def _guesses(*sources, at=NOW):
    """The failure tags of wrong guesses from `sources`, as the page writes them."""
    return dict(wake_guard.failure_tag(wake_guard.source_of(source), at) for source in sources)


def test_wrong_guesses_lock_one_source_out_for_a_sliding_while():
    tags = _guesses(*["203.0.113.5"] * 4)
    assert wake_guard.lock(wake_guard.failures_in(tags), wake_guard.source_of("203.0.113.5"), NOW) is None
    tags |= _guesses("203.0.113.5", at=NOW + timedelta(minutes=5))
    held = wake_guard.lock(wake_guard.failures_in(tags), wake_guard.source_of("203.0.113.5"), NOW + timedelta(minutes=5))
    assert (held.whose, held.until) == ("source", NOW + wake_guard.LOCKOUT)  # when the oldest four stop counting
    assert wake_guard.lock(wake_guard.failures_in(tags), wake_guard.source_of("198.51.100.1"), NOW) is None
    later = NOW + wake_guard.LOCKOUT
    assert wake_guard.lock(wake_guard.failures_in(tags), wake_guard.source_of("203.0.113.5"), later) is None
    assert len(wake_guard.expired(wake_guard.failures_in(tags), later)) == 4


def test_an_ipv6_host_is_one_source_for_its_whole_64():
    same = {wake_guard.source_of(f"2001:db8:1:2:{n:x}::1") for n in range(100)}
    assert len(same) == 1 and wake_guard.source_of("2001:db8:1:3::1") not in same
    assert wake_guard.source_of("::ffff:203.0.113.5") == wake_guard.source_of("203.0.113.5")
    assert wake_guard.source_of("not an address") != wake_guard.source_of("")  # never from Lambda; never a crash


def test_guesses_at_the_same_moment_each_count():
    """A tag cannot be written conditionally: two guesses that read the same tags each write their own key."""
    first, second = _guesses("203.0.113.5"), _guesses("203.0.113.5")
    assert len(wake_guard.failures_in({**first, **second})) == 2


def test_a_passphrase_refuses_everyone_after_its_budget_and_nothing_is_forgotten_early():
    locked = _guesses(*["203.0.113.5"] * 5)
    others = _guesses(*[f"10.0.{n}.1" for n in range(wake_guard.HASH_FAILURES_ALLOWED - 6)])
    failures = wake_guard.failures_in({**locked, **others})
    assert wake_guard.lock(failures, wake_guard.source_of("203.0.113.5"), NOW).whose == "source"  # many others later
    assert wake_guard.lock(failures, wake_guard.source_of("192.0.2.1"), NOW) is None
    failures += wake_guard.failures_in(_guesses("192.0.2.1"))
    held = wake_guard.lock(failures, wake_guard.source_of("198.51.100.99"), NOW)
    assert (held.whose, held.until) == ("everyone", NOW + wake_guard.LOCKOUT)
    assert wake_guard.failures_in({"napstack:wake-failure-x": "junk", "other": "1"})[0].at == 0  # deleted, not counted
