"""The reconciler in the emulator: a lost event is repaired within one period, by the real schedule, function,
hook and watchdog, IAM enforced (issue 21, item 1)."""

import json
from datetime import datetime, timedelta

import pytest
import yaml

from napstack.config import load_config
from napstack.emulator.faults import load_faults
from napstack.emulator.replay import replay
from napstack.settings import UNAVAILABLE_IP
from tests.conftest import ROOT, napstack_cli

CONFIG = load_config(ROOT / "examples" / "minecraft-java.yaml")
LOOKUP = json.loads((ROOT / "events" / "route53-query-lookup.json").read_text())
PERIOD = timedelta(minutes=CONFIG.leaf.watchdog.reconcile_minutes)
LOST_LAUNCH = {"event": "lost", "detail_type": "EC2 Instance Launch Successful"}
LOST_TERMINATE = {"event": "lost", "detail_type": "EC2 Instance-terminate Lifecycle Action"}


def run(tmp_path, faults):
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(faults))
    return replay(CONFIG, LOOKUP, max_hours=6, faults=load_faults(path))


def at(row) -> datetime:
    return datetime.fromisoformat(row.time)


def rows(result, state_machine, state=None):
    return [r for r in result.timeline if r.state_machine == state_machine and state in (None, r.state)]


def watchdog_bound(watchdog) -> timedelta:
    """The watchdog's own worst case from its start (tests/emulator/test_faults.py), when nobody plays."""
    checks = 2 * watchdog.idle_checks + watchdog.max_failed_checks + 2
    return timedelta(seconds=checks * watchdog.interval_seconds + watchdog.startup_grace_minutes * 60 + 120)


def test_the_issues_replay_of_a_lost_launch_ends_at_zero_within_the_period_and_the_watchdogs_bound(tmp_path):
    faults = tmp_path / "lost-launch.yaml"
    faults.write_text('- {event: lost, detail_type: "EC2 Instance Launch Successful"}\n')
    replayed = napstack_cli("replay", "events/route53-query-lookup.json", "--faults", str(faults), "--json")
    assert replayed.returncode == 0, replayed.stderr
    result = json.loads(replayed.stdout)
    assert (result["asg_desired"], result["ecs_desired"], result["dns_value"]) == (0, 0, UNAVAILABLE_IP)
    timeline = result["timeline"]
    (lost,) = [r for r in timeline if r["state_machine"] == "fault"]
    (resent,) = [r for r in timeline if r["state_machine"] == "reconciler"]
    assert resent["state"] == "ResendLaunchEvent" and "its launch event was lost" in resent["detail"]
    stopped = next(r for r in timeline if r["state"] == "ScaleDownToZero")
    moment = lambda row: datetime.fromisoformat(row["time"])  # noqa: E731
    assert moment(resent) - moment(lost) <= PERIOD
    assert moment(stopped) - moment(lost) <= PERIOD + watchdog_bound(CONFIG.leaf.watchdog)
    assert result["notifications"][0] == "minecraft-java: server starting"  # the hook's own start, one alert


def test_a_lost_terminate_event_leaves_dns_and_ecs_reset_by_the_next_run(tmp_path):
    result = run(tmp_path, [LOST_TERMINATE])
    (lost,) = rows(result, "fault")
    repaired = {r.state: r for r in rows(result, "reconciler")}
    assert set(repaired) == {"StopGameTask", "PointDnsAtNothing"}
    assert "no instance runs there, a stop event was lost" in repaired["PointDnsAtNothing"].detail
    assert all(at(r) - at(lost) <= PERIOD for r in repaired.values())
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)
    assert not rows(result, "hook", "PointDnsAtNothing")  # the hook never heard of the stop
    assert result.lifecycle_actions_completed == 0  # left to the hook's heartbeat, whose default is CONTINUE


def test_a_lost_watchdog_end_is_handed_to_the_safety_net_which_restarts_it_once(tmp_path):
    faults = [{"execution": "watchdog", "abort_at_check": 2}, {"event": "lost", "detail_type": "Step Functions Execution Status Change"}]
    result = run(tmp_path, faults)
    (resent,) = rows(result, "reconciler", "ResendWatchdogEnd")
    assert "ended ABORTED and nothing took over" in resent.detail
    assert "ABORTED" in rows(result, "hook", "RestartWatchdog")[0].detail
    assert "minecraft-java: watchdog restarted" in result.notifications
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)
    assert [e.status for e in result.executions if e.state_machine == "watchdog"] == ["ABORTED", "SUCCEEDED"]


def test_a_hook_that_cannot_be_started_means_the_server_is_scaled_down_and_someone_told(tmp_path):
    result = run(tmp_path, [LOST_LAUNCH, {"call": "states:StartExecution", "error": "ThrottlingException", "times": 1}])
    (stopped,) = rows(result, "reconciler", "ScaleDownUnwatched")
    assert "the hook could not be started (ThrottlingException)" in stopped.detail
    assert "minecraft-java: scaled down, could not be watched" in result.notifications
    assert not [e for e in result.executions if e.state_machine == "watchdog"]
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)


def test_a_run_that_fails_is_retried_by_the_next_and_the_replay_says_so(tmp_path):
    result = run(tmp_path, [LOST_LAUNCH, {"call": "lambda:Invoke", "function": "reconciler", "error": "Sandbox.Timedout"}])
    (failed,) = rows(result, "reconciler", "FAILED")
    (resent,) = rows(result, "reconciler", "ResendLaunchEvent")
    assert "Sandbox.Timedout" in failed.detail and at(resent) - at(failed) == PERIOD
    assert result.asg_desired == 0 and not result.function_errors  # the last run succeeded


@pytest.mark.parametrize("faults", [[], [{"event": "duplicate"}]])
def test_a_session_whose_events_all_arrive_has_no_reconciler_row(tmp_path, faults):
    result = run(tmp_path, faults)
    assert not rows(result, "reconciler") and result.succeeded
    assert [e.state_machine for e in result.executions].count("watchdog") == 1
