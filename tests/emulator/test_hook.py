"""The AsgStateChangeHook in the emulator: whatever changes the instance count, ECS, DNS, the watchdog and alerts follow."""

import json
from datetime import timedelta

import pytest

from napstack.config import load_config
from napstack.emulator import events as asg_events
from napstack.emulator.replay import _as_if_launched, _dns_value, _notifications
from napstack.emulator.scenario import Scenario
from napstack.emulator.world import Emulator
from napstack.settings import LIFECYCLE_HOOK_NAME
from napstack.settings import UNAVAILABLE_IP
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "examples" / "minecraft-java.yaml")


def statuses(emulator, machine="hook"):
    arn = emulator.stack.hook_arn if machine == "hook" else emulator.stack.watchdog_arn
    return [e["status"] for e in emulator.executions() if e["stateMachineArn"] == arn]


def ecs_desired(emulator):
    service = emulator.client("ecs").describe_services(cluster=emulator.stack.cluster_arn, services=[emulator.stack.service_name])
    return service["services"][0]["desiredCount"]


def running_instance(emulator):
    emulator.set_desired_capacity(1, quietly=True)
    instance = emulator.instance_ids()[0]
    _as_if_launched(emulator, instance)
    return instance


def subjects(emulator):
    return [s.removeprefix("minecraft-java: ") for s in _notifications(emulator)]


def test_launch_points_dns_and_ecs_at_the_server_before_alerting(config):
    with Emulator(config, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=5))
        hook = next(e for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.hook_arn)
        history = emulator.client("stepfunctions").get_execution_history(executionArn=hook["executionArn"])["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        ip = emulator.client("ec2").describe_instances(InstanceIds=emulator.instance_ids())["Reservations"][0]["Instances"][0]["PublicIpAddress"]
        assert entered.index("PointDnsAtServer") < entered.index("AlertServerStarting")
        assert entered.index("StartGameTask") < entered.index("AlertServerStarting")
        assert _dns_value(emulator) == ip and ecs_desired(emulator) == 1
        assert subjects(emulator)[0] == "server starting"  # then "ready", when the game first answers its query
        record = emulator.client("route53").list_resource_record_sets(HostedZoneId=emulator.stack.hosted_zone_id)
        assert [r["TTL"] for r in record["ResourceRecordSets"] if r["Type"] == "A"] == [30]  # Dns.Ttl


def test_a_duplicate_launch_event_still_makes_one_watchdog(config):
    with Emulator(config, Scenario(then="active")) as emulator:
        instance = running_instance(emulator)
        event = asg_events.launch_successful(emulator.stack.asg_name, instance, emulator.clock.now())
        emulator.deliver(event)
        emulator.deliver(json.loads(json.dumps(event)))  # EventBridge delivers at least once
        emulator.run_until_settled(timedelta(minutes=5))
        assert statuses(emulator) == ["SUCCEEDED", "SUCCEEDED"]
        watchdogs = [e for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        assert [w["name"] for w in watchdogs] == [instance]


def test_terminate_while_a_replacement_is_coming_leaves_dns_and_ecs_alone(config):
    with Emulator(config, schedules=False) as emulator:  # the replacement never comes: the reconciler would act
        instance = running_instance(emulator)
        before = _dns_value(emulator)
        # A fast stop-then-start: desired capacity is back at 1 while the old instance terminates.
        emulator.deliver(asg_events.terminate_lifecycle_action(emulator.stack.asg_name, instance, LIFECYCLE_HOOK_NAME, emulator.clock.now()))
        emulator.run_until_settled()
        assert _dns_value(emulator) == before != UNAVAILABLE_IP
        assert ecs_desired(emulator) == 1
        assert len(emulator.completed_lifecycle_actions) == 1
        assert statuses(emulator) == ["SUCCEEDED"]


def test_a_duplicate_terminate_event_changes_nothing_the_second_time(config):
    with Emulator(config) as emulator:
        instance = running_instance(emulator)
        emulator.set_desired_capacity(0, quietly=True)
        event = asg_events.terminate_lifecycle_action(emulator.stack.asg_name, instance, LIFECYCLE_HOOK_NAME, emulator.clock.now())
        emulator.deliver(event)
        emulator.run_until_settled()
        emulator.deliver(json.loads(json.dumps(event)))
        emulator.run_until_settled()
        assert statuses(emulator) == ["SUCCEEDED", "SUCCEEDED"]
        assert len(emulator.completed_lifecycle_actions) == 1
        assert subjects(emulator) == ["server stopped"]
        assert (_dns_value(emulator), ecs_desired(emulator)) == (UNAVAILABLE_IP, 0)


def test_terminate_completes_the_lifecycle_action_even_when_a_step_fails(config):
    with Emulator(config) as emulator:
        instance = running_instance(emulator)
        emulator.set_desired_capacity(0, quietly=True)
        route53, zone = emulator.client("route53"), emulator.stack.hosted_zone_id
        for record in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]:
            if record["Type"] == "A":
                route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]})
        route53.delete_hosted_zone(Id=zone)  # PointDnsAtNothing will fail
        emulator.deliver(asg_events.terminate_lifecycle_action(emulator.stack.asg_name, instance, LIFECYCLE_HOOK_NAME, emulator.clock.now()))
        emulator.run_until_settled()
        (hook,) = [e for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.hook_arn]
        described = emulator.client("stepfunctions").describe_execution(executionArn=hook["executionArn"])
        assert described["status"] == "FAILED"
        assert "NoSuchHostedZone" in described["error"]
        assert [a["InstanceId"] for a in emulator.completed_lifecycle_actions] == [instance]
        assert emulator.completed_lifecycle_actions[0]["LifecycleActionResult"] == "CONTINUE"


def test_a_crash_loop_scales_down_and_alerts_once(config):
    event = json.loads((ROOT / "events" / "ecs-task-stopped.json").read_text())
    with Emulator(config) as emulator:
        running_instance(emulator)
        event["detail"]["clusterArn"] = emulator.stack.cluster_arn
        for _ in range(3):  # ECS restarts the task and it crashes again
            emulator.deliver(json.loads(json.dumps(event)))
            emulator.run_until_settled()
        assert subjects(emulator).count("the game crashed, server stopped") == 1
        assert subjects(emulator).count("server stopped") == 1
        desired = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
        assert desired["AutoScalingGroups"][0]["DesiredCapacity"] == 0


def failed_launch(emulator, **detail):
    """AWS's documented "EC2 Instance Launch Unsuccessful" (no t3.medium capacity in the zone), for this group."""
    event = json.loads((ROOT / "events" / "asg-launch-unsuccessful.json").read_text())
    event["detail"].update(AutoScalingGroupName=emulator.stack.asg_name, **detail)
    return event


def group_desired(emulator):
    group = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
    return group["AutoScalingGroups"][0]["DesiredCapacity"]


def fail_launches_at(emulator, minutes, **detail):
    """A failed launch at each of these minutes after the start (Auto Scaling's retries back off)."""
    start = emulator.clock.now()
    for minute in minutes:
        emulator.clock.set(start + timedelta(minutes=minute))
        emulator.deliver(failed_launch(emulator, **detail))
        emulator.run_until_settled()


def test_one_failed_launch_alerts_with_awss_reason_and_leaves_auto_scaling_retrying(config):
    with Emulator(config) as emulator:
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [0])
        (message,) = sns_messages(emulator)
        assert "a launch failed (1 of 3 within 60 min before napstack gives up)" in message
        assert "sufficient t3.medium capacity in the Availability Zone you requested (us-east-1b)" in message
        assert subjects(emulator) == ["a launch failed, retrying"] and group_desired(emulator) == 1
        assert statuses(emulator) == ["SUCCEEDED"]


def test_three_failed_launches_within_the_window_give_up_alerting_each_time(config):
    with Emulator(config) as emulator:
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [0, 2, 10])
        assert subjects(emulator) == ["a launch failed, retrying"] * 2 + ["server could not start"]
        assert group_desired(emulator) == 0
        last = sns_messages(emulator)[-1]
        assert "set back to zero: 3 launches failed within 60 min" in last and "sufficient t3.medium capacity" in last
        # Given up, the count starts afresh: the next start's first failure is the first again.
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [11])
        assert "(1 of 3 within 60 min" in sns_messages(emulator)[-1] and group_desired(emulator) == 1


def test_failures_older_than_the_window_or_before_an_idle_stop_do_not_count(config):
    with Emulator(config, schedules=False) as emulator:  # the clock is set by hand: no reconciler run in between
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [0, 1, 62])  # the first two are more than 60 minutes old at the third
        assert "(1 of 3 within" in sns_messages(emulator)[-1]
        emulator.client("autoscaling").create_or_update_tags(Tags=[{  # the watchdog's note of an idle stop
            "ResourceId": emulator.stack.asg_name, "ResourceType": "auto-scaling-group", "Key": "napstack:idle-stop-at",
            "Value": (emulator.clock.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "PropagateAtLaunch": False}])
        emulator.clock.set(emulator.clock.now() + timedelta(minutes=2))
        fail_launches_at(emulator, [0])
        assert "(1 of 3 within" in sns_messages(emulator)[-1] and group_desired(emulator) == 1


def test_a_failure_without_a_reason_says_so_and_a_failure_that_cannot_be_counted_gives_up(config):
    from napstack.emulator.faults import CallFault, FaultPlan

    with Emulator(config) as emulator:
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [0], StatusMessage="", Cause=None)
        assert "before napstack gives up): AWS gave no reason" in sns_messages(emulator)[-1]
    tags_refused = FaultPlan([CallFault(call="autoscaling:CreateOrUpdateTags", error="ResourceContention", times=1000)])
    with Emulator(config, faults=tags_refused) as emulator:
        emulator.hold_desired_capacity_without_instances(1)
        fail_launches_at(emulator, [0])
        assert subjects(emulator) == ["server could not start"] and group_desired(emulator) == 0
        assert "the failures could not be counted" in sns_messages(emulator)[-1]


@pytest.mark.parametrize(
    "event",
    [
        {"source": "aws.autoscaling", "detail-type": "EC2 Instance Refresh Started", "detail": {"AutoScalingGroupName": "x"}},
        {"source": "aws.autoscaling", "detail-type": "EC2 Instance-terminate Lifecycle Action", "detail": {"EC2InstanceId": "i-1"}},
        {"hello": "world"},
    ],
    ids=["unknown type", "terminate without token", "not an event"],
)
def test_an_event_the_hook_does_not_handle_fails_fast_with_no_side_effects(config, event):
    with Emulator(config) as emulator:
        sfn = emulator.client("stepfunctions")
        sfn.start_execution(stateMachineArn=emulator.stack.hook_arn, input=json.dumps(event))
        emulator.run_until_settled()
        (execution,) = emulator.executions()
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        assert (described["status"], described["error"]) == ("FAILED", "UnknownEvent")
        assert (_dns_value(emulator), ecs_desired(emulator), _notifications(emulator)) == (UNAVAILABLE_IP, 0, [])
        assert emulator.completed_lifecycle_actions == []


def test_stopping_the_server_stops_the_running_watchdog_whichever_execution_of_its_chain(config, monkeypatch, tmp_path):
    import napstack.settings as settings_module
    from napstack.emulator.scenario import CheckReport
    from napstack.synth import synthesize

    original = settings_module.watchdog_settings
    # A watchdog that continues as a new execution every 10 checks, so a 30-minute session is a chain.
    monkeypatch.setattr(settings_module, "watchdog_settings", lambda c: {**original(c), "ChecksPerExecution": 10})
    players = Scenario(checks=[CheckReport(tcp=1, repeat=10_000)])
    with Emulator(config, players, assembly=synthesize(config, tmp_path / "cdk.out")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=30, seconds=30), stop_at_limit=False)
        emulator.set_desired_capacity(0)  # someone stops it in the console
        emulator.run_until_settled()
        watchdogs = [e for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        assert len(watchdogs) == 4  # 30 checks: three executions handed over, the fourth was running
        assert [w["status"] for w in watchdogs] == ["SUCCEEDED"] * 3 + ["ABORTED"]
        assert statuses(emulator)[-1] == "SUCCEEDED" and len(emulator.completed_lifecycle_actions) == 1


def a_records(emulator):
    sets = emulator.client("route53").list_resource_record_sets(HostedZoneId=emulator.stack.hosted_zone_id)
    return [r for r in sets["ResourceRecordSets"] if r["Type"] == "A"]


def test_the_record_exists_from_the_deploy_pointing_asleep(config):
    """A first lookup gets a 30-s answer, not an NXDOMAIN that resolvers cache for the zone's negative TTL."""
    with Emulator(config) as emulator:
        (record,) = a_records(emulator)
        assert (record["ResourceRecords"], record["TTL"]) == ([{"Value": UNAVAILABLE_IP}], 30)


def test_destroy_while_a_server_runs_leaves_no_record_behind(config):
    with Emulator(config, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=5), stop_at_limit=False)
        assert _dns_value(emulator) not in (None, UNAVAILABLE_IP)  # the hook rewrote it
        assert "deleted (was" in emulator.delete_record()["Data"]["Outcome"]
        assert a_records(emulator) == []


def test_a_deploy_naming_another_hosted_zone_moves_the_record_and_the_old_zone_keeps_none(config, tmp_path, synthesized):
    """The same game redeployed with its base naming another zone: CloudFormation's update, then its clean-up,
    with the grants of both templates as IAM holds them at each step."""
    import shutil

    from napstack.assembly import load_assembly

    shutil.copy(ROOT / "examples" / "minecraft-java.yaml", tmp_path)
    base = (ROOT / "examples" / "base.yaml").read_text()
    (tmp_path / "base.yaml").write_text(base.replace(config.base.hosted_zone_id, "Z9999999999"))
    with Emulator(config, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=5), stop_at_limit=False)
        server_ip = _dns_value(emulator)
        emulator.create_hosted_zone(config.base.domain_name, "Z9999999999")
        emulator.deployment.update(load_assembly(synthesized(tmp_path / "minecraft-java.yaml")))
        assert a_records(emulator) == []  # the old zone's record, deleted whatever it pointed at
        (moved,) = [r for r in emulator.client("route53").list_resource_record_sets(HostedZoneId="Z9999999999")[
            "ResourceRecordSets"] if r["Type"] == "A"]
        assert server_ip != UNAVAILABLE_IP and moved["ResourceRecords"] == [{"Value": UNAVAILABLE_IP}]


def test_a_scale_in_raises_one_event_per_hook_and_only_napstacks_is_handled(config):
    with Emulator(config) as emulator:
        instance = running_instance(emulator)
        emulator.set_desired_capacity(0)  # Auto Scaling: one terminate lifecycle event per hook on the group
        emulator.run_until_settled()
        hooks = [d.event["detail"]["LifecycleHookName"] for d in emulator.stack.deliveries]
        assert sorted(hooks) == ["ecs-managed-draining-termination-hook", "napstack-terminating"]
        started = {d.event["detail"]["LifecycleHookName"]: d.started for d in emulator.stack.deliveries}
        assert started["ecs-managed-draining-termination-hook"] is None  # left to ECS: the rule does not match
        assert [(a["LifecycleHookName"], a["InstanceId"]) for a in emulator.completed_lifecycle_actions] == [
            ("napstack-terminating", instance)
        ]
        assert subjects(emulator) == ["server stopped"]


def test_the_hook_leaves_another_hooks_lifecycle_action_alone_even_when_sent_to_it(config):
    """As `replay --live` would: ECS's event straight to the state machine completes nothing and alerts no one."""
    with Emulator(config) as emulator:
        instance = running_instance(emulator)
        emulator.set_desired_capacity(0, quietly=True)
        event = asg_events.terminate_lifecycle_action(
            emulator.stack.asg_name, instance, "ecs-managed-draining-termination-hook", emulator.clock.now()
        )
        sfn = emulator.client("stepfunctions")
        sfn.start_execution(stateMachineArn=emulator.stack.hook_arn, input=json.dumps(event))
        emulator.run_until_settled()
        (execution,) = emulator.executions()
        history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        assert entered[-1] == "AnotherHooksAction" and execution["status"] == "SUCCEEDED"
        assert emulator.completed_lifecycle_actions == [] and _notifications(emulator) == []
        assert ecs_desired(emulator) == 1


def start_watchdog(emulator, name, instance):
    from napstack.settings import watchdog_settings

    return emulator.client("stepfunctions").start_execution(
        stateMachineArn=emulator.stack.watchdog_arn,
        name=name,
        input=json.dumps({
            "InstanceId": instance,
            "AutoScalingGroupName": emulator.stack.asg_name,
            "Settings": watchdog_settings(emulator.config),
            "Watch": {"LaunchedAt": emulator.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")},
        }),
    )["executionArn"]


def test_a_replacement_stops_the_old_instances_continued_watchdog_and_keeps_its_own(config):
    """After continue-as-new the old instance's watchdog runs as `<id>-2`: it must stop, the replacement's not."""
    with Emulator(config, Scenario(then="active")) as emulator:
        emulator.client("autoscaling").update_auto_scaling_group(AutoScalingGroupName=emulator.stack.asg_name, MaxSize=2)
        emulator.set_desired_capacity(2, quietly=True)  # the old instance and its replacement, both in service
        old, new = emulator.instance_ids()
        _as_if_launched(emulator, new)
        continued, replacement = start_watchdog(emulator, f"{old}-2", old), start_watchdog(emulator, new, new)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        emulator.deliver(asg_events.terminate_lifecycle_action(emulator.stack.asg_name, old, LIFECYCLE_HOOK_NAME, emulator.clock.now()))
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        sfn = emulator.client("stepfunctions")
        assert sfn.describe_execution(executionArn=continued)["status"] == "ABORTED"
        assert sfn.describe_execution(executionArn=replacement)["status"] == "RUNNING"
        assert ecs_desired(emulator) == 1 and _dns_value(emulator) not in (None, UNAVAILABLE_IP)
        assert [a["InstanceId"] for a in emulator.completed_lifecycle_actions] == [old]


def sns_messages(emulator):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    topic = sns_backends[DEFAULT_ACCOUNT_ID][emulator.stack.topic_arn.split(":")[3]].topics[emulator.stack.topic_arn]
    return [message for _, message, _, _, _ in topic.sent_notifications]


def watchdog_ended(emulator, instance, status, error, cause, watch=None):
    """The "Execution Status Change" Step Functions sends for a watchdog of `instance` that ended."""
    from napstack.settings import watchdog_settings

    watched = {"InstanceId": instance, "AutoScalingGroupName": emulator.stack.asg_name,
               "Settings": watchdog_settings(emulator.config),
               "Watch": watch or {"LaunchedAt": "2026-01-01T20:00:00Z", "Checks": 0, "ChecksThisExecution": 0, "FailedCount": 0}}
    arn = emulator.stack.watchdog_arn.replace(":stateMachine:", ":execution:") + f":{instance}"
    return {"version": "0", "id": "7bb3d1c2-0000-4000-8000-000000000001", "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states", "account": "123456789012", "time": "2026-01-01T20:05:00Z", "region": emulator.region,
            "resources": [arn],
            "detail": {"executionArn": arn, "stateMachineArn": emulator.stack.watchdog_arn, "name": instance, "status": status,
                       "startDate": 1767297600000, "stopDate": 1767297900000, "input": json.dumps(watched),
                       "inputDetails": {"included": True}, "output": None, "outputDetails": None, "error": error, "cause": cause}}


@pytest.mark.parametrize(
    "error,cause,says",
    [
        (None, None, "ended (ABORTED, no error or cause given)"),  # "Stop execution" in the console, no reason typed
        (None, "stopped by Sam", "ended (ABORTED: stopped by Sam)"),
        ("States.Runtime", None, "ended (ABORTED: States.Runtime)"),
        ("States.Runtime", "a path was missing", "ended (ABORTED: States.Runtime: a path was missing)"),
    ],
)
def test_the_safety_net_says_only_what_step_functions_gave_when_error_or_cause_is_null(config, error, cause, says):
    """States.Format writes a JSON null as the word `null`: before, the alert read "(ABORTED: null null)"."""
    with Emulator(config, Scenario(then="active")) as emulator:
        instance = running_instance(emulator)
        emulator.deliver(watchdog_ended(emulator, instance, "ABORTED", error, cause))
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        (restarted,) = [m for m in sns_messages(emulator) if "A new watchdog watches it now" in m]
        assert says in restarted and "null" not in restarted
        assert statuses(emulator)[0] == "SUCCEEDED"


def test_the_scale_down_after_a_second_end_also_says_only_what_was_given(config):
    with Emulator(config, Scenario(then="active")) as emulator:
        instance = running_instance(emulator)
        watch = {"LaunchedAt": "2026-01-01T20:00:00Z", "Checks": 4, "ChecksThisExecution": 0, "FailedCount": 0, "Restarts": 1}
        emulator.deliver(watchdog_ended(emulator, instance, "TIMED_OUT", None, None, watch))
        emulator.run_until_settled(timedelta(minutes=3))
        (why,) = [m for m in sns_messages(emulator) if "ended again after a restart" in m]
        assert "(TIMED_OUT, no error or cause given)" in why and "null" not in why
        assert subjects(emulator)[0] == "scaled down, could not be watched"


def test_a_restarted_watchdogs_continued_successor_is_not_restarted_again(config):
    """The restart mark travels with the watch state through continue-as-new: a chain is restarted once."""
    from napstack.emulator.faults import AbortFault, FaultPlan
    from napstack.settings import watchdog_settings

    aborts = FaultPlan([AbortFault(execution="watchdog", abort_at_check=1), AbortFault(execution="watchdog", abort_at_check=4)])
    with Emulator(config, Scenario(then="active"), faults=aborts) as emulator:
        instance = running_instance(emulator)
        emulator.client("stepfunctions").start_execution(
            stateMachineArn=emulator.stack.watchdog_arn, name=instance,
            input=json.dumps({"InstanceId": instance, "AutoScalingGroupName": emulator.stack.asg_name,
                              "Settings": {**watchdog_settings(config), "ChecksPerExecution": 2},
                              "Watch": {"LaunchedAt": "2026-01-01T20:00:00Z", "Checks": 0, "ChecksThisExecution": 0,
                                        "FailedCount": 0}}),
        )
        emulator.run_until_settled(timedelta(hours=1))
        chain = [(e["name"], e["status"]) for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        # stopped after check 1; restarted; checks 1-2, continued as <id>-2; checks 3-4, stopped: the chain ends there
        assert [status for _, status in chain] == ["ABORTED", "SUCCEEDED", "ABORTED"]
        assert chain[1][0].startswith(f"{instance}-restart-") and chain[2][0] == f"{instance}-2"
        assert subjects(emulator).count("watchdog restarted") == 1
        assert "scaled down, could not be watched" in subjects(emulator)
