"""Never unwatched: faults injected into the emulated AWS, and a server that always ends watched or stopped.

The invariants, checked on the final state and the timeline of a whole session (launch, players, idle, stop):
- never unwatched, bounded idle cost: after the last player leaves, the group is back at zero within
  (2 x IdleChecks + MaxFailedChecks + 2) check intervals (+ the startup grace and 2 minutes of retry
  back-offs), whatever single or double fault happened;
- DNS is never left pointing at a terminated instance, ECS is back at 0, nothing is left running;
- an event EventBridge loses is repaired by the reconciler's next run: the bound grows by its period;
- the lifecycle action is completed (or, when every attempt to complete it failed or its event was lost, left to
  the hook's heartbeat, whose default result is CONTINUE);
- no alert is sent twice.
"""

import json
import os
from datetime import datetime

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from napstack.config import load_config
from napstack.emulator.faults import FaultError, load_faults
from napstack.emulator.replay import collect, replay
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.settings import UNAVAILABLE_IP
from tests.conftest import ROOT, napstack_cli
from tests.test_config import GOOD, write_configs

LAUNCH = json.loads((ROOT / "events" / "asg-launch-successful.json").read_text())
TERMINATE = "EC2 Instance-terminate Lifecycle Action"
# What the reconciler calls: a run failing on one of these is retried by the next run (the emulator runs no botocore
# retries in a handler).
RECONCILER_CALLS = {"autoscaling:DescribeAutoScalingGroups", "states:ListExecutions", "states:DescribeExecution",
                    "ec2:DescribeInstances", "states:StartExecution", "ecs:DescribeServices", "ecs:UpdateService",
                    "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"}
IDLE_CHECKS, MAX_FAILED, INTERVAL = 3, 3, 60
PLAYED_CHECKS = 2
# A small session: two checks with a player, then nobody.
SESSION = Scenario(checks=[CheckReport(tcp=1, repeat=PLAYED_CHECKS)], then="idle")


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    leaf = {
        **GOOD,
        "Watchdog": {"IdleChecks": IDLE_CHECKS, "MaxFailedChecks": MAX_FAILED, "IntervalSeconds": INTERVAL,
                     "StartupGraceMinutes": 0, "Query": {"Protocol": "minecraft-java", "Port": 8080}},
    }
    return load_config(write_configs(tmp_path_factory.mktemp("faults"), leaf))


def write_faults(tmp_path, faults) -> str:
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(faults))
    return str(path)


def run(config, tmp_path, faults):
    result = replay(config, LAUNCH, SESSION, max_hours=6, faults=load_faults(write_faults(tmp_path, faults)))
    result.config = config
    return result


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=None)


def assert_invariants(result, faults):
    assert result.asg_desired == 0, "the server still runs: unwatched"
    assert result.ecs_desired == 0
    assert result.dns_value == UNAVAILABLE_IP, f"DNS left at {result.dns_value}"
    assert all(e.status != "RUNNING" for e in result.executions)
    lifecycle_calls_failed = sum(f.get("times", 1) for f in faults if f.get("call") == "autoscaling:CompleteLifecycleAction")
    terminate_lost = any(r.detail == f"EventBridge loses: {TERMINATE}" for r in result.timeline if r.state_machine == "fault")
    # A lost terminate event leaves the lifecycle action to the hook's heartbeat too.
    assert result.lifecycle_actions_completed == 1 or lifecycle_calls_failed >= 4 or terminate_lost
    assert len(result.notifications) == len(set(result.notifications)), result.notifications
    start = moment(result.started_at[:19])
    stopped = [moment(r.time) for r in result.timeline if r.state in ("ScaleDownToZero", "ScaleDownUnwatched", "ScaleDownAfterCrash")]
    assert stopped, "nothing scaled the server down"
    watchdog = result.config.leaf.watchdog
    checks = 2 * watchdog.idle_checks + watchdog.max_failed_checks + 2
    bound = checks * watchdog.interval_seconds + watchdog.startup_grace_minutes * 60 + 120  # + retry back-offs
    if any(f.get("event") == "lost" for f in faults):  # + the reconciler's period, whose next run repairs it,
        failed_runs = sum(f.get("times", 1) for f in faults if f.get("call") in RECONCILER_CALLS)  # or a later one
        bound += (1 + failed_runs) * watchdog.reconcile_minutes * 60
    idle_for = (min(stopped) - start).total_seconds() - PLAYED_CHECKS * watchdog.interval_seconds
    assert idle_for <= bound, f"idle for {idle_for} s before the scale-down (bound {bound} s)"


def test_the_issue_examples_fire_and_the_server_still_ends_stopped(tmp_path):
    faults = yaml.safe_load((ROOT / "events" / "faults" / "issue-examples.yaml").read_text())
    result = run(load_config(ROOT / "examples" / "minecraft-java.yaml"), tmp_path, faults)
    assert result.faults_injected >= len(faults)
    injected = [r.detail for r in result.timeline if r.state_machine == "fault"]
    assert any("PriorRequestNotComplete" in d for d in injected) and any("stopped by hand" in d for d in injected)
    assert any(s.endswith("watchdog restarted") for s in result.notifications)
    assert_invariants(result, faults)


def test_a_check_that_cannot_read_the_games_address_counts_connections_and_the_server_still_stops(config, tmp_path):
    faults = [{"call": "ec2:DescribeInstances", "error": "UnauthorizedOperation", "times": 1000}]
    result = run(config, tmp_path, faults)
    checks = [r.detail for r in result.timeline if r.state == "CountConnections"]
    assert checks and all("query unanswered: the instance's address is unknown" in c for c in checks)
    assert any(c.startswith("check 1: active (tcp=1") for c in checks)  # the player still counted, by connection
    assert_invariants(result, faults)


def test_dns_busy_is_retried_and_the_start_is_clean(config, tmp_path):
    result = run(config, tmp_path, [{"call": "route53:ChangeResourceRecordSets", "error": "PriorRequestNotComplete", "times": 2}])
    assert result.faults_injected == 2
    assert [s.split(": ", 1)[1] for s in result.notifications][0] == "server starting"
    assert_invariants(result, [])


def test_a_watchdog_that_cannot_start_scales_the_server_down_and_says_why(config, tmp_path):
    faults = [{"call": "states:StartExecution", "error": "ThrottlingException", "times": 4}]
    result = run(config, tmp_path, faults)
    subjects = [s.split(": ", 1)[1] for s in result.notifications]
    assert "scaled down, could not be watched" in subjects and "server starting" not in subjects
    assert not [e for e in result.executions if e.state_machine == "watchdog"]
    assert_invariants(result, faults)


def test_a_server_neither_watched_nor_stopped_says_so_and_how_to_stop_it(config, tmp_path):
    faults = [{"call": "states:StartExecution", "error": "ThrottlingException", "times": 4},
              {"call": "autoscaling:SetDesiredCapacity", "error": "ResourceContention", "times": 4}]
    result = run(config, tmp_path, faults)
    (alert,) = [s for s in result.notifications if "NOT WATCHED" in s]
    assert alert.endswith("NOT WATCHED, stop it by hand")  # a double persistent fault
    # The reconciler's next run finds the server unwatched and hands it to the hook again, which now succeeds.
    (resent,) = [r for r in result.timeline if r.state_machine == "reconciler"]
    assert resent.state == "ResendLaunchEvent" and result.asg_desired == 0


def test_dns_that_cannot_be_updated_still_starts_the_watchdog_and_alerts(config, tmp_path):
    faults = [{"call": "route53:ChangeResourceRecordSets", "error": "PriorRequestNotComplete", "times": 4}]
    result = run(config, tmp_path, faults)
    assert any(s.endswith("server starting, with problems") for s in result.notifications)
    assert [e.state_machine for e in result.executions].count("watchdog") == 1
    # As the Step Functions console names the error: the service in PascalCase, in the name and in the cause.
    (failed,) = [r for r in result.timeline if r.state == "PointDnsAtServer" and "failed" in r.detail]
    assert "failed: Route53.PriorRequestNotCompleteException: " in failed.detail and "(Service: Route53," in failed.detail
    assert_invariants(result, faults)


def test_a_check_that_times_out_counts_as_a_failed_check(config, tmp_path):
    faults = [{"call": "lambda:Invoke", "function": "count_connections", "error": "Sandbox.Timedout", "at_check": 2}]
    result = run(config, tmp_path, faults)
    (failed,) = [r for r in result.timeline if r.state == "RecordFailedCheck"]
    assert "check 2: failed (Sandbox.Timedout); failed 1/3" in failed.detail
    (watchdog,) = [e for e in result.executions if e.state_machine == "watchdog"]
    assert watchdog.status == "SUCCEEDED"  # the failed check did not end it
    assert_invariants(result, faults)


def test_a_watchdog_stopped_twice_by_hand_scales_the_server_down(config, tmp_path):
    faults = [{"execution": "watchdog", "abort_at_check": 1}, {"execution": "watchdog", "abort_at_check": 2}]
    result = run(config, tmp_path, faults)
    assert [e.status for e in result.executions if e.state_machine == "watchdog"] == ["ABORTED", "ABORTED"]
    assert any(s.endswith("scaled down, could not be watched") for s in result.notifications)
    assert_invariants(result, faults)


def test_a_fault_that_never_fired_is_said_in_the_output_and_in_json(tmp_path):
    faults = [{"call": "route53:ChangeResourceRecordSets", "error": "PriorRequestNotComplete", "times": 2},
              {"call": "lambda:Invoke", "function": "count_connections", "error": "Sandbox.Timedout", "at_check": 500},
              {"call": "ecs:DescribeClusters", "error": "ServerException"},
              {"call": "autoscaling:DescribeAutoScalingGroups", "error": "Throttling", "times": 100_000},
              {"deploy": "service", "at_check": 500}]
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", write_faults(tmp_path, faults), "--json")
    missed = json.loads(result.stdout)["faults_not_fired"]
    assert [line.split(" (")[0] for line in missed] == ["fault 2", "fault 3", "fault 4", "fault 5"], missed
    assert "(a deploy of the game's ECS service after check 500) never fired: the watchdog never made that check" in missed[3]
    assert "at check 500 fails with Sandbox.Timedout) never fired: the watchdog never made that check" in missed[0]
    assert "ecs:DescribeClusters fails with ServerException) never fired" in missed[1]
    assert " of 100000 times" in missed[2] and "fired 0" not in missed[2]
    text = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", write_faults(tmp_path, faults)).stdout
    assert sum(line.lstrip().startswith("fault not fired") for line in text.splitlines()) == 4


def test_a_file_of_thousands_of_faults_loads_each_service_model_once(tmp_path):
    from napstack.emulator import faults as module

    module._operations.cache_clear()
    calls = ["ssm:SendCommand", "route53:ChangeResourceRecordSets", "sns:Publish", "ec2:DescribeInstances"]
    path = write_faults(tmp_path, [{"call": calls[i % 4], "error": "Throttling"} for i in range(5000)])
    plan = load_faults(path)
    assert len(plan.faults) == 5000 and module._operations.cache_info().misses == 4
    text = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", path).stdout  # the rest in --json
    assert sum("fault not fired" in line for line in text.splitlines()) == 10 and " more (all of them in --json)" in text


def test_a_deploy_during_a_session_stops_the_game_for_one_check_at_most(config, tmp_path):
    """CloudFormation sends the template's DesiredCount 0 on every update of the service: the next check sees it
    and the watchdog sets it back to 1 (the timeline says so); the session then ends as it would have."""
    result = run(config, tmp_path, [{"deploy": "service", "at_check": 1}])
    rows = [(r.state, r.detail) for r in result.timeline if r.state_machine in ("watchdog", "fault")]
    assert ("Injected", "a deploy updates the game's ECS service after check 1") in rows
    (restarted,) = [i for i, (state, _) in enumerate(rows) if state == "StartGameTaskAgain"]  # once back at 1, left alone
    assert rows[restarted - 1][0] == "CountConnections" and rows[restarted - 1][1].startswith("check 2:")
    assert "ECS service was set to 0 while the instance runs" in rows[restarted][1]
    assert_invariants(result, [])


def test_a_service_that_cannot_be_read_is_a_check_like_any_other(config, tmp_path):
    faults = [{"call": "ecs:DescribeServices", "error": "AccessDeniedException", "times": 1000}]
    result = run(config, tmp_path, faults)
    assert "StartGameTaskAgain" not in [r.state for r in result.timeline]
    assert any(r.detail.startswith("check 1: active") for r in result.timeline if r.state == "CountConnections")
    assert_invariants(result, faults)


def test_alerts_that_fail_all_session_still_say_the_group_scaled_down_and_exit_0(tmp_path):
    faults = [{"call": "sns:Publish", "error": "Throttled", "times": 100_000}]
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", write_faults(tmp_path, faults))
    assert result.returncode == 0 and not result.stderr, result.stderr  # alerts are left (AlertNotSent); the rest was done
    assert "  scaled down after      check 10" in result.stdout and "None" not in result.stdout
    stopped = [line for line in result.stdout.splitlines() if "ABORTED" in line]
    assert all("stopped by hook " in line and "Instance terminating" in line for line in stopped), stopped


def test_a_check_failing_from_the_first_scales_down_and_the_watchdog_ends_cleanly(config, tmp_path):
    faults = [{"call": "lambda:Invoke", "function": "count_connections", "error": "Sandbox.Timedout", "times": 50}]
    result = run(config, tmp_path, faults)
    (watchdog,) = [e for e in result.executions if e.state_machine == "watchdog"]
    assert watchdog.status == "SUCCEEDED" and watchdog.output["Outcome"] == "ScaledDown", watchdog.cause
    assert result.scaled_down_after_check == MAX_FAILED
    assert_invariants(result, faults)


def test_failure_rows_show_the_error_not_a_stack_trace_with_local_paths(config, tmp_path):
    faults = [{"call": "autoscaling:DescribeAutoScalingGroups", "error": "Throttling", "times": 2}]
    result = run(config, tmp_path, faults)
    failures = [r.detail for r in result.timeline if r.detail.startswith("failed: ")]
    assert "failed: ClientError: An error occurred (Throttling) when calling the DescribeAutoScalingGroups operation: " \
        "Throttling (injected fault)" in failures
    assert not [f for f in failures if "stackTrace" in f or str(ROOT) in f or "File " in f], failures


def test_the_issue_examples_end_as_the_events_readme_says():
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", "events/faults/issue-examples.yaml")
    assert result.returncode == 1  # events/README.md: the watchdog a person stopped ends ABORTED
    assert result.stderr.splitlines() == [line for line in result.stderr.splitlines() if "stopped in the console" in line]
    assert "exit 1" in (ROOT / "events" / "README.md").read_text().split("issue-examples.yaml")[1][:400]


# Every task of both state machines and both watchdog-side handlers, by the AWS call it makes.
CALLS = {
    "ecs:UpdateService": "ServerException",  # StartGameTask, StopGameTask, StartGameTaskAgain
    "ec2:DescribeInstances": "RequestLimitExceeded",  # FindPublicIp; count_connections (the game's address)
    "route53:ChangeResourceRecordSets": "PriorRequestNotComplete",  # PointDnsAtServer, PointDnsAtNothing
    "states:StartExecution": "ThrottlingException",  # StartWatchdog, RestartWatchdog, ContinueAsNewExecution
    "states:ListExecutions": "ThrottlingException",  # FindRunningWatchdogs
    "states:StopExecution": "ThrottlingException",  # StopOneWatchdog
    "sns:Publish": "Throttled",  # every alert
    "autoscaling:DescribeAutoScalingGroups": "Throttling",  # IsReplacementComing; count_connections
    "ecs:DescribeServices": "ThrottlingException",  # count_connections (is the game's service still at 1?)
    "autoscaling:DescribeAutoScalingInstances": "Throttling",  # IsItsInstanceStillInService
    "autoscaling:SetDesiredCapacity": "ResourceContention",  # ScaleDownToZero, ScaleDownUnwatched
    "autoscaling:CreateOrUpdateTags": "ResourceContention",  # RememberIdleStop
    "autoscaling:CompleteLifecycleAction": "Throttling",  # ContinueTermination
    "ssm:SendCommand": "ThrottlingException",  # count_connections
    "ssm:GetCommandInvocation": "ThrottlingException",  # count_connections
    "states:DescribeExecution": "ThrottlingException",  # reconciler
    "ecs:DescribeServices": "ThrottlingException",  # reconciler
    "route53:ListResourceRecordSets": "Throttling",  # reconciler
}
call_faults = st.builds(
    lambda call, times: {"call": call, "error": CALLS[call], "times": times},
    st.sampled_from(sorted(CALLS)),
    st.integers(min_value=1, max_value=3),
)
other_faults = st.one_of(
    st.builds(lambda check: {"call": "lambda:Invoke", "function": "count_connections", "error": "Sandbox.Timedout",
                             "at_check": check}, st.integers(min_value=1, max_value=6)),
    st.builds(lambda check: {"execution": "watchdog", "abort_at_check": check}, st.integers(min_value=1, max_value=6)),
    st.sampled_from([{"event": "duplicate"}, {"event": "duplicate", "detail_type": TERMINATE}]),
    st.builds(lambda check: {"deploy": "service", "at_check": check}, st.integers(min_value=1, max_value=6)),
    # EventBridge delivers best effort: the reconciler's next run repairs whichever event is lost.
    st.sampled_from([{"event": "lost"}, {"event": "lost", "detail_type": TERMINATE},
                     {"event": "lost", "detail_type": "Step Functions Execution Status Change"}]),
)
one_or_two_faults = st.lists(st.one_of(call_faults, other_faults), min_size=1, max_size=2)
# `make faults` (NAPSTACK_FAULT_CASES=200) runs many more; make test samples a few, differently each run.
CASES = int(os.environ.get("NAPSTACK_FAULT_CASES", "6"))


@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))
@given(faults=one_or_two_faults)
def test_whatever_single_or_double_fault_the_server_ends_watched_or_stopped(config, tmp_path_factory, faults):
    result = run(config, tmp_path_factory.mktemp("case"), faults)
    assert_invariants(result, faults)


# The calls of the failed-launch path: the hook's function (its invocation, its two Auto Scaling calls), the reset.
LAUNCH_FAILURE_CALLS = {
    "autoscaling:DescribeAutoScalingGroups": "Throttling",
    "autoscaling:CreateOrUpdateTags": "ResourceContention",
    "autoscaling:SetDesiredCapacity": "ResourceContention",
    "sns:Publish": "Throttled",
}
launch_failure_faults = st.one_of(
    st.builds(lambda call, times: {"call": call, "error": LAUNCH_FAILURE_CALLS[call], "times": times},
              st.sampled_from(sorted(LAUNCH_FAILURE_CALLS)), st.integers(min_value=1, max_value=3)),
    st.builds(lambda times: {"call": "lambda:Invoke", "function": "launch_failures", "error": "Lambda.ServiceException",
                             "times": times}, st.integers(min_value=1, max_value=5)),
)


@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))
@given(fault=launch_failure_faults)
def test_whatever_single_fault_a_server_that_cannot_launch_ends_at_zero(config, tmp_path_factory, fault):
    """Auto Scaling sends a failure per attempt while the group wants an instance: by the third the group is at 0 (a
    failure that cannot be counted gives up at once), every execution succeeded, and every failure was alerted."""
    from datetime import timedelta

    from napstack.emulator.world import Emulator

    failed = json.loads((ROOT / "events" / "asg-launch-unsuccessful.json").read_text())
    plan = load_faults(write_faults(tmp_path_factory.mktemp("launch"), [fault]))
    with Emulator(config, faults=plan) as emulator:
        failed["detail"]["AutoScalingGroupName"] = emulator.stack.asg_name
        autoscaling, start, delivered = emulator.client("autoscaling"), emulator.clock.now(), 0
        emulator.hold_desired_capacity_without_instances(1)

        def desired():
            return autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])["AutoScalingGroups"][0]["DesiredCapacity"]

        for minute in (0, 2, 10):
            if desired() == 0:
                break
            emulator.clock.set(start + timedelta(minutes=minute))
            emulator.deliver(json.loads(json.dumps(failed)))
            emulator.run_until_settled()
            delivered += 1
        result = collect(emulator, [], start, True)
    assert result.asg_desired == 0
    assert all(e.status == "SUCCEEDED" for e in result.executions), [(e.name, e.error) for e in result.executions]
    assert len(result.notifications) == delivered


@pytest.mark.parametrize(
    "faults,message",
    [
        ("- {call: route53:ChangeRecords, error: X}", "'route53:ChangeRecords' is not an AWS call"),
        ("- {call: lambda:Invoke, error: Sandbox.Timedout}", "lambda:Invoke needs `function`"),
        ("- {call: ssm:SendCommand, error: X, at_check: 2}", "`function` and `at_check` go with call: lambda:Invoke only"),
        ("- {call: ssm:SendCommand, error: X, tims: 2}", "tims: unknown key"),
        ("- {execution: hook, abort_at_check: 2}", "fault 1: execution"),
        ("- {event: forgotten}", "fault 1: event"),
        ("- {error: X}", "exactly one of `call`, `execution`, `event`, `deploy` or `webhook`"),
        ("- {deploy: stack, at_check: 2}", "fault 1: deploy"),
        ("- {webhook: teams, status: 404}", "fault 1: webhook"),
        ("- {webhook: discord, status: 204}", "fault 1: status"),
        ("{call: ssm:SendCommand}", "expected a list of faults"),
    ],
)
def test_a_fault_file_that_cannot_be_used_is_a_named_error(tmp_path, faults, message):
    path = tmp_path / "faults.yaml"
    path.write_text(faults)
    with pytest.raises(FaultError, match="faults.yaml") as error:
        load_faults(path)
    assert message in str(error.value)


def test_replay_cli_takes_faults_reports_them_and_exits_2_on_a_bad_file(tmp_path):
    def cli(*args):
        return napstack_cli("replay", "events/asg-launch-successful.json", *args)

    good = cli("--faults", "events/faults/route53-busy.yaml", "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["faults_injected"] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {call: nope:Nothing, error: X}\n")
    refused = cli("--faults", str(bad))
    assert refused.returncode == 2 and "not an AWS call" in refused.stderr and "Traceback" not in refused.stderr


def test_checks_that_failed_are_not_counted_as_answered_beside_the_check_that_scaled_down(tmp_path):
    """Five failed host checks scale the server down: the final state said "watchdog checks 0" beside "check 5"."""
    faults = [{"call": "ssm:SendCommand", "error": "InvalidInstanceId", "times": 5}]
    text = napstack_cli("replay", "events/asg-launch-successful.json", "--faults", write_faults(tmp_path, faults)).stdout
    assert "  checks answered        0\n  scaled down after      check 5\n" in text
