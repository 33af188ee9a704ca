"""wake_rule (functions/shared/): one rule for a lookup and the page's button; query types, the cool-down after an
idle stop, and a wake while up."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from napstack.settings import COOLDOWN_TAG, START_ON_TAG
from wake_rule import COOLDOWN_COUNT_TAG, IDLE_STOP_TAG, LAST_LOOKUP_TAG, LOOKUPS_OFF, SRV_TAG, WOKEN_TAG, Wake, plan

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc)
COOLING = {COOLDOWN_TAG: "10/3", IDLE_STOP_TAG: (NOW - timedelta(minutes=4)).isoformat()}


def group(desired=0, **tags):
    return {"AutoScalingGroupName": "Napstack-Mc", "DesiredCapacity": desired, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def lookup(types, *, desired=0, now=NOW, asked="mc.example.com", **tags):
    return plan("mc.example.com", group(desired, **tags), Wake.lookup([(asked, t) for t in types]), now)


def test_an_a_lookup_starts_a_sleeping_leaf():
    step = lookup(["A"])
    assert (step.decision.action, step.desired_capacity) == ("started", 1)


def test_other_query_types_do_not_start_it_and_say_why():
    step = lookup(["TXT", "HTTPS"])
    assert step.decision.action == "ignored" and step.desired_capacity is None
    assert "only A AAAA start it" in step.decision.reason


def test_configured_query_types_are_honoured():
    assert lookup(["AAAA"], **{START_ON_TAG: "A"}).decision.action == "ignored"


def test_a_lookup_while_running_is_activity_not_a_start():
    step = lookup(["A"], desired=1)
    assert step.decision.action == "activity" and step.desired_capacity is None
    assert step.tags == {LAST_LOOKUP_TAG: NOW.isoformat()}


def test_cool_down_needs_repeated_lookups_after_an_idle_stop():
    first = lookup(["A"], **COOLING)
    assert first.decision.action == "cooling down" and first.tags == {COOLDOWN_COUNT_TAG: "1"}
    third = lookup(["A"], **COOLING, **{COOLDOWN_COUNT_TAG: "2"})
    assert third.decision.action == "started" and third.tags[COOLDOWN_COUNT_TAG] == "0"
    later = lookup(["A"], now=NOW + timedelta(minutes=7), **COOLING)
    assert later.decision.action == "started"


def test_the_page_wakes_a_sleeping_leaf_whatever_query_types_start_it():
    step = plan("mc.example.com", group(**{START_ON_TAG: "SRV"}), Wake.page(), NOW)
    assert (step.decision.action, step.desired_capacity) == ("started", 1)
    assert "status page" in step.decision.reason


def test_a_page_wake_while_starting_or_up_says_so_and_changes_nothing():
    step = plan("mc.example.com", group(desired=1), Wake.page(), NOW)
    assert step.decision.action == "already up" and step.desired_capacity is None and not step.tags


def test_page_wakes_and_lookups_share_one_cool_down_count():
    pressed = plan("mc.example.com", group(**COOLING, **{COOLDOWN_COUNT_TAG: "1"}), Wake.page(), NOW)
    assert pressed.decision.action == "cooling down" and pressed.tags == {COOLDOWN_COUNT_TAG: "2"}
    assert "wake 2 of 3 within 10 min" in pressed.decision.reason
    assert lookup(["A"], **COOLING, **pressed.tags).decision.action == "started"  # the third ask, by another way in


def test_a_start_writes_who_woke_it_for_the_hook_and_only_a_start_does():
    assert lookup(["A", "A", "AAAA"]).tags[WOKEN_TAG] == "2026-11-26T20:00:00Z by a lookup of mc.example.com (A/AAAA)"
    paris = NOW.astimezone(timezone(timedelta(hours=1)))  # the record is in UTC whatever clock said it
    assert plan("mc.example.com", group(), Wake.page(), paris).tags[WOKEN_TAG] == "2026-11-26T20:00:00Z by the status page"
    assert WOKEN_TAG not in lookup(["A"], desired=1).tags and WOKEN_TAG not in lookup(["A"], **COOLING).tags
    asked = Wake.lookup([("mc.example.com", "A")], at=NOW - timedelta(seconds=30))  # the player waits from the first ask
    assert plan("mc.example.com", group(), asked, NOW).tags[WOKEN_TAG].startswith("2026-11-26T19:59:30Z by ")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=253))
def test_the_wake_record_always_fits_a_tag_and_keeps_its_time(name):
    asked = f"_minecraft._tcp.{name}"
    tags = {START_ON_TAG: "SRV", SRV_TAG: "_minecraft._tcp"}
    record = plan(name, group(**tags), Wake.lookup([(asked, "SRV")]), NOW).tags[WOKEN_TAG]
    assert len(record) <= 256 and record.startswith(f"2026-11-26T20:00:00Z by a lookup of {asked}"[:256])


SRV_GAME = {START_ON_TAG: "SRV", SRV_TAG: "_minecraft._tcp"}


def test_with_srv_only_the_clients_lookup_of_its_srv_name_wakes_it():
    step = lookup(["SRV"], asked="_minecraft._tcp.mc.example.com", **SRV_GAME)
    assert step.decision.action == "started"
    assert step.tags[WOKEN_TAG].endswith(" by a lookup of _minecraft._tcp.mc.example.com (SRV)")
    assert lookup(["SRV"], asked="_other-client._tcp.mc.example.com", **SRV_GAME).decision.action == "started"


@pytest.mark.parametrize("asked,types", [
    ("mc.example.com", ["A", "AAAA"]),  # a scanner asking for addresses
    ("mc.example.com", ["SRV"]),  # SRV of the bare name: not what a client asks
    ("_minecraft._udp.mc.example.com", ["SRV"]),  # the game's port is TCP
    ("_minecraft._tcp.mc.example.com", ["A"]),
    ("_x_y._tcp.mc.example.com", ["SRV"]),  # not a service label (RFC 6335)
])
def test_with_srv_a_scanners_lookups_are_ignored_and_say_what_would_wake_it(asked, types):
    step = lookup(types, asked=asked, **SRV_GAME)
    assert step.decision.action == "ignored" and step.desired_capacity is None and not step.tags
    assert step.decision.reason.endswith("; only SRV of _<service>._tcp.mc.example.com start it")


def test_with_lookups_off_no_lookup_wakes_it_and_the_page_still_does():
    step = lookup(["A"], **{START_ON_TAG: LOOKUPS_OFF})
    assert step.decision.action == "ignored"
    assert step.decision.reason == "1 A lookup(s); lookups never wake it (StartOnLookup: false); the status page does"
    assert plan("mc.example.com", group(**{START_ON_TAG: LOOKUPS_OFF}), Wake.page(), NOW).decision.action == "started"
