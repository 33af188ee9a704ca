"""When the hook gives up on a server that cannot launch: N failures within the window, AWS's reason in each alert."""

from datetime import datetime, timedelta, timezone

import pytest

from failure_count import IDLE_STOP_TAG, LAUNCH_FAILURES_TAG, MAX_REASON, count_failure, reason

NOW = datetime(2026, 11, 26, 20, 30, tzinfo=timezone.utc)


def ago(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def decide(failures=(), idle_stop=None, give_up_after=3, within=60):
    tags = {LAUNCH_FAILURES_TAG: " ".join(ago(m) for m in failures)}
    if idle_stop is not None:
        tags[IDLE_STOP_TAG] = ago(idle_stop)
    return count_failure("mc", tags, NOW, give_up_after, within, "no capacity")


@pytest.mark.parametrize(
    "failures,idle_stop,counted,give_up",
    [
        ((), None, 1, False),
        ((5,), None, 2, False),
        ((5, 2), None, 3, True),
        ((61, 70), None, 1, False),  # older than the window
        ((59, 30), None, 3, True),
        ((20, 10), 15, 2, False),  # the failure before the idle stop is forgotten
    ],
)
def test_failures_count_within_the_window_and_since_the_last_idle_stop(failures, idle_stop, counted, give_up):
    decision = decide(failures, idle_stop)
    assert (decision.failures, decision.give_up) == (counted, give_up)


def test_the_tag_keeps_the_recent_failures_until_it_gives_up_then_starts_afresh():
    kept = decide((70, 5))
    assert kept.tag_value == f"{ago(5)} {ago(0)}"
    assert decide((5, 2)).tag_value == ""


def test_the_alerts_name_the_count_the_window_and_awss_reason():
    assert decide().message == ("mc: a launch failed (1 of 3 within 60 min before napstack gives up): no capacity "
                                "Auto Scaling tries again, in another subnet or zone where it can.")
    assert decide((5, 2)).message.startswith("mc could not start and was set back to zero: 3 launches failed within 60 min")
    assert decide((), give_up_after=1).give_up


def test_a_hand_edited_tag_is_read_as_far_as_it_can_be():
    tags = {LAUNCH_FAILURES_TAG: f"yesterday {ago(3)} 2026-13-01T00:00:00Z 2026-11-26T20:00:00"}  # no zone: ignored
    assert count_failure("mc", tags, NOW, 3, 60, "x").failures == 2


def test_awss_reason_is_the_status_message_else_the_cause_bounded():
    assert reason("We currently do not have\n  sufficient capacity.", "At ... a user request") == \
        "We currently do not have sufficient capacity."
    assert reason("", "At 20:00 a user request changed the desired capacity") == "At 20:00 a user request changed the desired capacity"
    assert reason(None, None) == "AWS gave no reason"
    assert len(reason("x" * 5000, None)) == MAX_REASON
