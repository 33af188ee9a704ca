"""The AsgStateChangeHook in the emulator: whatever changes the instance count, ECS, DNS, the watchdog and alerts follow."""

import json
from datetime import timedelta

import pytest

from napstack.config import load_config
from napstack.emulator import events as asg_events
from napstack.emulator.replay import _as_if_launched, _dns_value, _notifications
from napstack.emulator.scenario import Scenario
from napstack.emulator.world import LIFECYCLE_HOOK_NAME, Emulator
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
        assert subjects(emulator) == ["server starting"]
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
    with Emulator(config) as emulator:
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


def test_launch_failure_alerts_with_awss_message_and_stops_retrying(config):
    event = json.loads((ROOT / "events" / "asg-launch-unsuccessful.json").read_text())
    with Emulator(config) as emulator:
        emulator.hold_desired_capacity_without_instances(1)
        event["detail"]["AutoScalingGroupName"] = emulator.stack.asg_name
        emulator.deliver(event)
        emulator.run_until_settled()
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        (message,) = [m for _, m, _, _, _ in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[emulator.stack.topic_arn].sent_notifications]
        assert "sufficient t3.medium capacity" in message
        desired = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
        assert desired["AutoScalingGroups"][0]["DesiredCapacity"] == 0


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
        assert (_dns_value(emulator), ecs_desired(emulator), _notifications(emulator)) == (None, 0, [])
        assert emulator.completed_lifecycle_actions == []


def test_stopping_the_server_stops_the_running_watchdog_whichever_execution_of_its_chain(config, monkeypatch):
    import napstack.settings as settings_module
    from napstack.emulator.scenario import CheckReport

    original = settings_module.watchdog_settings
    # A watchdog that continues as a new execution every 10 checks, so a 30-minute session is a chain.
    monkeypatch.setattr(settings_module, "watchdog_settings", lambda c: {**original(c), "ChecksPerExecution": 10})
    players = Scenario(checks=[CheckReport(tcp=1, repeat=10_000)])
    with Emulator(config, players) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=30, seconds=30), stop_at_limit=False)
        emulator.set_desired_capacity(0)  # someone stops it in the console
        emulator.run_until_settled()
        watchdogs = [e for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        assert len(watchdogs) == 4  # 30 checks: three executions handed over, the fourth was running
        assert [w["status"] for w in watchdogs] == ["SUCCEEDED"] * 3 + ["ABORTED"]
        assert statuses(emulator)[-1] == "SUCCEEDED" and len(emulator.completed_lifecycle_actions) == 1
