"""The watchdog in the emulator, replaying the real ASL and handler: exactly which check scales down, and why."""

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from napstack.config import load_config
from napstack.emulator.replay import collect
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.emulator.world import Emulator
from napstack.settings import watchdog_settings
from tests.conftest import ROOT

CONFIG = load_config(ROOT / "examples" / "minecraft-java.yaml")
# Connections counted: no game query, unless a test asks for one (QUERY).
QUICK = {"IdleChecks": 3, "MaxFailedChecks": 3, "StartupGraceMinutes": 0, "MaxUptimeHours": 1000, "Query": None}
QUERY = {"Query": {"Protocol": "minecraft-java", "Port": 25565, "Transport": "tcp", "TimeoutSeconds": 2}}


def watch(checks, then="idle", gone=False, max_hours=24, faults=None, **overrides):
    """Start a watchdog for the instance (as the hook does) and run it to its end (no reconciler: no hook ran)."""
    with Emulator(CONFIG, Scenario(checks=checks, then=then), faults=faults, schedules=False) as emulator:
        emulator.set_desired_capacity(1, quietly=True)
        emulator.client("ecs").update_service(cluster=emulator.stack.cluster_arn, service=emulator.stack.service_name,
                                              desiredCount=1)  # as the hook leaves it
        instance = "i-0123456789abcdef0" if gone else emulator.instance_ids()[0]
        execution_input = {
            "InstanceId": instance,
            "AutoScalingGroupName": emulator.stack.asg_name,
            "Settings": {**watchdog_settings(CONFIG), **QUICK, **overrides},
            "Watch": {"LaunchedAt": emulator.clock.now().isoformat(), "Checks": 0, "ChecksThisExecution": 0, "FailedCount": 0},
        }
        emulator.client("stepfunctions").start_execution(
            stateMachineArn=emulator.stack.watchdog_arn, name=instance, input=json.dumps(execution_input)
        )
        emulator.run_until_settled(timedelta(hours=max_hours))
        result = collect(emulator, [], emulator.clock.now(), True)
        result.history_events = {e["name"]: len(emulator.history(e["executionArn"])) for e in emulator.executions()}
        return result


def watchdogs(result):
    return [e for e in result.executions if e.state_machine == "watchdog"]


def reason(result):
    return next(e.output["Reason"] for e in watchdogs(result) if e.output and e.output.get("Outcome") == "ScaledDown")


def c(**report):
    return CheckReport(**report)


@pytest.mark.parametrize(
    "name,checks,overrides,scaled_after,reason_has",
    [
        ("players then idle", [c(tcp=2, repeat=4)], {}, 7, "idle for 3 checks of 60 s"),
        ("an ssh session keeps it up", [c(ssh=1, repeat=5)], {}, 8, "idle for 3 checks"),
        ("ssh not counted when turned off", [c(ssh=1, repeat=5)], {"CountSsh": False}, 3, "idle for 3 checks"),
        ("udp above the threshold", [c(udp_packets=500, repeat=4), c(udp_packets=5, repeat=9)], {"Protocol": "udp", "UdpPacketThreshold": 10}, 7, "idle"),
        ("udp pings below the threshold", [c(udp_packets=8, repeat=9)], {"Protocol": "udp", "UdpPacketThreshold": 10}, 3, "idle"),
        ("startup grace", [c(running=False, listening=False, repeat=9)], {"StartupGraceMinutes": 5}, 7, "idle for 3 checks"),
        ("players at once then gone", [c(tcp=2, repeat=2)], {"StartupGraceMinutes": 10}, 5, "idle for 3 checks"),
        ("a slow start", [c(listening=False, repeat=8)], {"StartupGraceMinutes": 10}, 11, "idle for 3 checks"),
        ("failed checks", [c(error="InvocationDoesNotExist", repeat=9)], {}, 3, "the last 3 checks failed (last error: CommandNotSuccessful: Failed InvocationDoesNotExist)"),
        ("failures do not count as idle", [c(tcp=0), c(tcp=0), c(error="x"), c(tcp=1)], {}, 7, "idle for 3 checks"),
        ("max uptime stop", [], {"MaxUptimeHours": 0.1, "MaxUptimeAction": "stop"}, 6, "up for 0.1 h (Watchdog.MaxUptime), players or not"),
        # Watchdog.Query: the game's own player count decides when it answers.
        ("players by query", [c(players=2, names=["Alex", "Sam"], repeat=4)], QUERY, 7, "peak 2 players (Alex, Sam)"),
        ("open sockets but no players", [c(tcp=4, players=0, repeat=9)], QUERY, 3, "(the game reported no players)"),
        ("a player on UDP, few packets", [c(udp_packets=2, players=1, repeat=4)], {**QUERY, "Protocol": "udp"}, 7, "peak 1 player, about"),
        ("query unanswered: connections count", [c(tcp=2, query="timeout", repeat=4)], QUERY, 7, "idle for 3 checks"),
        ("the host check fails, the game answers", [c(error="boom", players=1, repeat=5)], QUERY, 8, "peak 1 player"),
        ("an ssh session with nobody in the game", [c(ssh=1, players=0, repeat=5)], QUERY, 8, "reported no players"),
    ],
)
def test_which_check_scales_down(name, checks, overrides, scaled_after, reason_has):
    result = watch(checks, then="active" if "uptime" in name else "idle", **overrides)
    assert result.scaled_down_after_check == scaled_after
    assert reason_has in reason(result)
    assert result.asg_desired == 0 and "minecraft-java: scaled down" in result.notifications


def test_max_uptime_alert_warns_once_and_lets_players_play():
    result = watch([c(tcp=3, repeat=10)], MaxUptimeHours=0.05)
    assert result.notifications.count("minecraft-java: up for a long time") == 1
    assert result.scaled_down_after_check == 13


def test_an_instance_that_is_gone_ends_the_watch_quietly():
    result = watch([], gone=True)
    (watchdog,) = watchdogs(result)
    assert watchdog.status == "SUCCEEDED" and watchdog.output["Outcome"] == "InstanceGone"
    assert result.notifications == [] and result.asg_desired == 1


def test_a_long_session_continues_as_new_executions_carrying_its_state():
    result = watch([c(tcp=1, repeat=7)], ChecksPerExecution=3)
    chain = watchdogs(result)
    base = chain[0].name
    assert [e.name for e in chain] == [base, f"{base}-2", f"{base}-3", f"{base}-4"]
    assert all(e.status == "SUCCEEDED" for e in chain)
    assert chain[-1].states[-1] == "ScaledDown" and result.scaled_down_after_check == 10
    assert [e.states[-1] for e in chain[:-1]] == ["ContinueAsNewExecution"] * 3


def test_three_transitions_per_check():
    result = watch([], IdleChecks=20)
    (watchdog,) = watchdogs(result)
    # Wait, Task, Choice per check; the ready alert once (the game listens); then scale down, tag the idle stop,
    # alert and the final Pass.
    assert watchdog.transitions == 3 * 20 + 1 + 4


def reference_scale_check(outcomes, idle_needed=3, failures_allowed=3):
    """The rule in plain words: N idle checks in a row, or M failed checks in a row; failures are not idle."""
    idle = failed = 0
    for number, outcome in enumerate(outcomes + ["idle"] * (idle_needed + failures_allowed), start=1):
        if outcome == "fail":
            failed += 1
            if failed >= failures_allowed:
                return number
            continue
        failed = 0
        idle = 0 if outcome in ("tcp", "ssh") else idle + 1
        if idle >= idle_needed:
            return number


REPORTS = {"tcp": c(tcp=1), "ssh": c(ssh=1), "idle": c(), "fail": c(error="boom")}


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(sorted(REPORTS)), max_size=10))
def test_scales_down_exactly_when_the_rule_says_for_random_sessions(outcomes):
    result = watch([REPORTS[o] for o in outcomes])
    assert result.scaled_down_after_check == reference_scale_check(outcomes)


def test_a_query_that_never_answers_while_connections_exist_is_a_config_hint_sent_once():
    result = watch([c(tcp=1, query="timeout", repeat=5)], **QUERY)
    assert result.notifications.count("minecraft-java: check the game's query") == 1
    (hint,) = [row.detail for row in result.timeline if row.state == "AlertAndKeepWatching" and " is ready: " not in row.detail]
    assert "does not answer its minecraft-java query on 25565/tcp" in hint and "1 TCP connections" in hint
    assert "query unanswered: no answer from" in next(row.detail for row in result.timeline if row.state == "CountConnections")
    assert result.scaled_down_after_check == 8  # connections were counted meanwhile


def test_ready_is_said_once_at_the_first_answered_query_with_the_address_and_the_time_since_the_launch_from_the_console():
    result = watch([c(tcp=1, query="timeout", repeat=2), c(players=1, repeat=3), c(tcp=1, query="timeout"), c(players=2)],
                   **QUERY)
    assert result.notifications.count("minecraft-java: ready") == 1
    (ready,) = [row for row in result.timeline if " is ready: " in row.detail]
    assert ready.detail.startswith("minecraft-java is ready: mc.example.com:25565, 1/") and ready.detail.endswith(
        "s after the launch (started from the console).")
    checks = [row for row in result.timeline if row.state == "CountConnections"]
    assert "check 3:" in next(row.detail for row in checks if row.detail.endswith("-> AlertReady"))


def test_a_query_that_answered_once_sends_no_hint_when_it_later_fails():
    result = watch([c(tcp=1, players=1), c(tcp=1, query="timeout", repeat=4)], **QUERY)
    assert "minecraft-java: check the game's query" not in result.notifications
    assert result.scaled_down_after_check == 8


def test_the_scaled_down_alert_summarizes_the_session():
    result = watch([c(players=3, names=["Alex", "Sam", "Kim"], repeat=60)], HourlyUsd=0.06, **QUERY)
    (text,) = [row.detail for row in result.timeline if row.state == "AlertScaledDown"]
    assert text.endswith("Session: 1 h 03 min since 20:00 UTC, peak 3 players (Alex, Sam, Kim), about $0.06 at $0.060/h.")


def failed_checks(*numbers, error="Lambda.ServiceException"):
    """Checks that fail as the state machine sees them (the function errs), each with all its retries."""
    from napstack.emulator.faults import CallFault, FaultPlan

    return FaultPlan([CallFault(call="lambda:Invoke", function="count_connections", error=error, times=4, at_check=n)
                      for n in numbers])


def test_failed_checks_count_toward_continue_as_new_so_no_execution_outgrows_its_history_budget():
    """Checks that fail through the Catch path write more history than a check that works (its retries, three
    more states): they count three toward ChecksPerExecution, so an execution hands over before its history
    outgrows what ChecksPerExecution checks would write (and so stays under the 25,000-event limit)."""
    per_execution = 6
    result = watch([c(tcp=1, repeat=40)], faults=failed_checks(*range(2, 40, 2)), ChecksPerExecution=per_execution)
    chain = watchdogs(result)
    assert len(chain) > 2 and all(e.status == "SUCCEEDED" for e in chain)
    # A check that works writes 9 events (Wait, Task scheduled/started/succeeded, Choice, entered and exited); one
    # that fails with every retry 22, fewer than 3 x 9. The hand-over comes at the first working check at or past the
    # budget, at most 3 over it; starting and continuing write 7 more. At the default 2,000: 18,034 of 25,000.
    bound = (per_execution + 3) * 9 + 7
    assert max(result.history_events[e.name] for e in chain) <= bound, result.history_events


def test_a_failed_host_check_shows_in_the_timeline_when_the_game_answered():
    result = watch([c(error="InvocationDoesNotExist", players=0, repeat=2), c(players=0)], **QUERY)
    rows = [row.detail for row in result.timeline if row.state == "CountConnections"]
    failed = "players=0; host check failed: CommandNotSuccessful: Failed InvocationDoesNotExist"
    assert [failed in row for row in rows[:3]] == [True, True, False]
    assert result.scaled_down_after_check == 3  # the game's answer decided: nobody played


def test_player_names_reach_the_alert_without_their_escapes():
    hostile = ["\x1b]0;owned\x07\x1b[31mAlex\x1b[0m", "Sam\r\n\u202e", "x" * 500] + [f"p{i}" for i in range(40)]
    result = watch([c(players=3, names=hostile, repeat=2)], **QUERY)
    (text,) = [row.detail for row in result.timeline if row.state == "AlertScaledDown"]
    assert f"peak 3 players (Alex, Sam, {'x' * 63}…, p0, p1," in text and "p16)" in text  # 20 names in all
    assert not any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch == "\u202e" for ch in text)
