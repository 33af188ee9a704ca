"""Every fixture in events/ replayed through the real ASL files and handlers, with its asserted outcome."""

import json
import os
import re

import pytest

from napstack.config import load_config
from napstack.emulator.replay import replay
from napstack.emulator.scenario import load_scenario
from napstack.settings import UNAVAILABLE_IP
from tests.conftest import ROOT

EVENTS = ROOT / "events"
CONFIG = ROOT / "examples" / "minecraft-java.yaml"

# file: (asg desired, ecs desired, dns value ("ip" = an instance's address; the record exists, asleep, from the deploy),
# alerts, hook statuses, scaled after check: the game listens from the first check, so no startup grace
# and the 10th idle check scales down; a lookup counts as activity when it falls in a check's window, as the
# burst's last ones do)
EXPECTED = {
    "asg-launch-successful.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 10),
    "asg-launch-unsuccessful.json": (1, 0, UNAVAILABLE_IP, ["a launch failed, retrying"], ["SUCCEEDED"], None),
    "asg-launch-unsuccessful-vcpu-limit.json": (1, 0, UNAVAILABLE_IP, ["a launch failed, retrying"], ["SUCCEEDED"], None),
    "asg-terminate-lifecycle-action.json": (0, 0, UNAVAILABLE_IP, ["server stopped"], ["SUCCEEDED"], None),
    "asg-terminate-successful.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    # AWS's warm-pool examples (with Origin/Destination): no rule takes a launch lifecycle action; an instance returned
    # to the pool leaves the group, so the game stops (tests/emulator/test_warm_pool.py replays them with a pool).
    "asg-warm-pool-launch-into-pool.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "asg-warm-pool-launch-from-pool.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "asg-warm-pool-launch-into-group.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "asg-warm-pool-return-to-pool.json": (0, 0, UNAVAILABLE_IP, ["server stopped"], ["SUCCEEDED"], None),
    "ecs-task-stopped.json": (0, 0, UNAVAILABLE_IP, ["the game crashed, server stopped", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], None),
    # Set up running without a watchdog: the reconciler's first run hands the hook the launch it never saw.
    "ecs-task-stopped-by-scale-in.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 10),
    "route53-query-lookup.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 10),
    "route53-query-burst.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 11),
    "route53-query-other-name.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    # With this config's StartOn (A AAAA): a scanner's A lookups wake it, a client's SRV lookup is filtered out
    # (tests/test_wakes_bots_cannot_pull.py replays both with StartOn: [SRV]).
    "route53-query-a-only-scanner.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 11),
    "route53-query-srv-lookup.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "route53-query-two-leaves.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 10),
    "route53-query-other-type.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "bad-route53-query-malformed.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "bad-unknown-detail-type.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    # The hook refuses the event; the group it left at 1 unwatched is the reconciler's to hand back.
    "bad-missing-detail-keys.json": (0, 0, UNAVAILABLE_IP, ["server starting", "ready", "scaled down", "server stopped"], ["FAILED", "SUCCEEDED", "SUCCEEDED"], 10),
    "bad-other-asg-launch.json": (0, 0, UNAVAILABLE_IP, [], [], None),
    "sfn-watchdog-stopped-without-reason.json": (0, 0, UNAVAILABLE_IP, ["watchdog restarted", "scaled down", "server stopped"], ["SUCCEEDED", "SUCCEEDED"], 10),
}


# Every fixture's timeline, with instance ids, execution ids and addresses masked: a change that should not change
# behaviour (a faster emulator) must replay the same timelines. NAPSTACK_UPDATE_TIMELINES=1 rewrites the file after
# a deliberate change in behaviour.
TIMELINES = ROOT / "tests" / "emulator" / "timelines.json"
RANDOM_IDS = re.compile(r"i-[0-9a-f]{8,17}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+\.\d+\.\d+\.\d+")


def assert_same_timeline(name: str, result) -> None:
    timeline = [[row.time, row.state_machine, RANDOM_IDS.sub("<id>", row.state), RANDOM_IDS.sub("<id>", row.detail)]
                for row in result.timeline]
    recorded = json.loads(TIMELINES.read_text()) if TIMELINES.is_file() else {}
    if os.environ.get("NAPSTACK_UPDATE_TIMELINES"):
        recorded[name] = timeline
        TIMELINES.write_text(json.dumps(dict(sorted(recorded.items())), indent=0) + "\n")
    assert timeline == recorded.get(name), f"{name}: the timeline changed (NAPSTACK_UPDATE_TIMELINES=1 records a deliberate change)"


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


def test_every_fixture_has_an_expected_outcome():
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_replays_to_its_outcome(config, name):
    asg, ecs, dns, alerts, hooks, scaled_after = EXPECTED[name]
    result = replay(config, json.loads((EVENTS / name).read_text()))
    dns_value = "ip" if result.dns_value not in (None, UNAVAILABLE_IP) else result.dns_value
    assert (result.asg_desired, result.ecs_desired, dns_value) == (asg, ecs, dns)
    assert [subject.removeprefix("minecraft-java: ") for subject in result.notifications] == alerts
    assert [e.status for e in result.executions if e.state_machine == "hook"] == hooks
    assert result.scaled_down_after_check == scaled_after
    assert_same_timeline(name, result)


def test_a_burst_of_lookups_is_one_start(config):
    result = replay(config, json.loads((EVENTS / "route53-query-burst.json").read_text()))
    assert [e.state_machine for e in result.executions].count("watchdog") == 1
    starts = [row for row in result.timeline if row.state_machine == "start_server"]
    assert [row.state for row in starts] == ["started"] and "50 A/AAAA lookup(s)" in starts[0].detail


def test_lookups_of_other_types_say_why_nothing_started(config):
    result = replay(config, json.loads((EVENTS / "route53-query-other-type.json").read_text()))
    assert result.asg_desired == 0 and not result.executions


def test_malformed_payload_is_a_named_error(config):
    result = replay(config, json.loads((EVENTS / "bad-route53-query-malformed.json").read_text()))
    assert not result.succeeded
    assert result.function_errors[0].startswith("start_server: MalformedLogPayload")


def test_unknown_event_fails_fast_without_side_effects(config):
    result = replay(config, json.loads((EVENTS / "bad-missing-detail-keys.json").read_text()))
    hook = result.executions[0]
    assert (hook.error, hook.states[-1]) == ("UnknownEvent", "UnknownEvent")
    assert not {"StartGameTask", "PointDnsAtServer", "StartWatchdog"} & set(hook.states)


def test_terminate_completes_the_lifecycle_action(config):
    result = replay(config, json.loads((EVENTS / "asg-terminate-lifecycle-action.json").read_text()))
    assert result.lifecycle_actions_completed == 1
    assert "bound instance i-6ba8f473" in " ".join(result.notes)


def test_the_demo_session_scales_down_exactly_after_ten_idle_checks(config):
    scenario = load_scenario(EVENTS / "scenarios" / "evening-session.yaml")
    result = replay(config, json.loads((EVENTS / "route53-query-lookup.json").read_text()), scenario)
    # 3 grace + 5 + 90 active, 4 idle, 30 + 3 active, then idle: the 10th idle check after 135 is 145.
    assert result.scaled_down_after_check == 145 and result.watchdog_checks == 145
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)
    assert result.succeeded
    watchdog = next(e for e in result.executions if e.state_machine == "watchdog")
    assert watchdog.output["Reason"] == (
        "minecraft-java scaled down: idle for 10 checks of 60 s since 22:14 UTC (the game reported no players). "
        "Session: 2 h 25 min since 19:58 UTC, peak 2 players (Alex, Sam), about $0.14 at $0.059/h."
    )
    # Simulated: two and a half hours in seconds, ending with the reconciler's next run, which finds all in step.
    assert result.ended_at.startswith("2026-11-20T22:28")
    assert_same_timeline("evening-session", result)


def test_a_replayed_scale_in_shows_ecss_own_hook_event_left_to_ecs(config):
    result = replay(config, json.loads((EVENTS / "asg-launch-successful.json").read_text()))
    (left,) = [row for row in result.timeline if row.state == "LeftToItsHook"]
    assert "ecs-managed-draining-termination-hook" in left.detail
    assert result.lifecycle_actions_completed == 1 and result.notifications.count("minecraft-java: server stopped") == 1


@pytest.mark.parametrize("name,reason", [
    ("asg-launch-unsuccessful.json", "We currently do not have sufficient t3.medium capacity in the Availability Zone"),
    ("asg-launch-unsuccessful-vcpu-limit.json", "more vCPU capacity than your current vCPU limit of 0 allows"),
])
def test_a_failed_launch_is_alerted_with_awss_reason_and_left_to_auto_scalings_retries(config, name, reason):
    result = replay(config, json.loads((EVENTS / name).read_text()))
    (counted,) = [row.detail for row in result.timeline if row.state == "AlertLaunchRetrying"]
    assert "a launch failed (1 of 3 within 60 min before napstack gives up)" in counted and reason in counted
    assert result.asg_desired == 1 and "ResetDesiredCapacity" not in [row.state for row in result.timeline]


def test_a_zone_without_capacity_is_retried_then_given_up_at_the_third_failed_launch(config):
    scenario = load_scenario(EVENTS / "scenarios" / "no-capacity.yaml")
    result = replay(config, json.loads((EVENTS / "route53-query-lookup.json").read_text()), scenario)
    assert [s.removeprefix("minecraft-java: ") for s in result.notifications] == [
        "a launch failed, retrying", "a launch failed, retrying", "server could not start"]
    alerts = [row.detail for row in result.timeline if row.state in ("AlertLaunchRetrying", "AlertLaunchFailed")]
    # Auto Scaling's own retries, one and two minutes apart, in the next zone each time; each alert has AWS's reason.
    assert [row.time[-8:] for row in result.timeline if row.state in ("AlertLaunchRetrying", "AlertLaunchFailed")] == [
        "19:58:02", "19:59:03", "20:01:03"]
    assert all("sufficient t3.medium capacity in the Availability Zone you requested (us-east-1" in a for a in alerts)
    assert "(us-east-1b)" in alerts[1] and "3 launches failed within 60 min" in alerts[2]
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)
    assert result.succeeded and not [e for e in result.executions if e.state_machine == "watchdog"]
    assert_same_timeline("no-capacity", result)


def test_a_launch_that_succeeds_on_auto_scalings_third_attempt_starts_the_server_as_usual(config):
    scenario = load_scenario(EVENTS / "scenarios" / "short-of-capacity.yaml")
    result = replay(config, json.loads((EVENTS / "route53-query-lookup.json").read_text()), scenario)
    assert [s.removeprefix("minecraft-java: ") for s in result.notifications] == [
        "a launch failed, retrying", "a launch failed, retrying", "server starting", "ready", "scaled down", "server stopped"]
    assert result.scaled_down_after_check == 15 and result.succeeded  # 5 checks with a player, then 10 idle


def test_a_watchdog_stopped_without_a_reason_is_restarted_and_the_alert_says_no_reason_was_given(config):
    """Step Functions sends error and cause as null for a stop without them; States.Format would write "null null"."""
    result = replay(config, json.loads((EVENTS / "sfn-watchdog-stopped-without-reason.json").read_text()))
    (restart,) = [row.detail for row in result.timeline if row.state == "RestartWatchdog"]
    assert restart.endswith("ABORTED, no error or cause given") and "null" not in restart
    (watchdog,) = [e for e in result.executions if e.state_machine == "watchdog"]
    assert "-restart-" in watchdog.name and "bound instance i-0a1b2c3d4e5f60718" in " ".join(result.notes)
