"""reconciler's rules against races with the hook: what it leaves alone, and the one Route53 batch that cannot
overwrite a server started meanwhile (Route53 on moto, as AWS checks a DELETE's values)."""

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from napstack.emulator.moto_gaps import route53_as_aws
from napstack.settings import UNAVAILABLE_IP
from reconcile import EVENT_GRACE, Clients, Leaf, reconcile

NOW = datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
WATCHDOG = "arn:aws:states:us-east-1:123456789012:stateMachine:Napstack-Game-Watchdog"
HOOK = "arn:aws:states:us-east-1:123456789012:stateMachine:Napstack-Game-AsgStateChangeHook"
INSTANCE = "i-0123456789abcdef0"
OLD_IP, NEW_IP = "203.0.113.10", "203.0.113.20"


class ExecutionDoesNotExist(Exception):
    pass


class Fake:
    """A service's client as far as the reconciler calls it: canned answers, every call recorded."""

    def __init__(self, calls, **answers):
        self.calls, self.answers = calls, answers
        self.exceptions = type("Exceptions", (), {"ExecutionDoesNotExist": ExecutionDoesNotExist})

    def __getattr__(self, operation):
        def call(**request):
            self.calls.append((operation, request))
            answer = self.answers.get(operation)
            return answer(**request) if callable(answer) else answer

        return call


def leaf(zone="Z1") -> Leaf:
    return Leaf("Napstack-Game", HOOK, WATCHDOG, "arn:cluster", "svc", zone, "mc.example.com", 30, UNAVAILABLE_IP,
                "arn:topic", "game")


def world(calls, *, desired=1, instances=(), hook_running=(), watchdogs=(), launched=NOW - timedelta(minutes=10),
          route53=None, ecs_desired=0, executions=None):
    """Clients over a leaf: the group, the executions (name -> description), the instance's launch time."""
    executions = executions or {}

    def list_executions(stateMachineArn, statusFilter=None, **_):
        if stateMachineArn == HOOK:
            return {"executions": [{"name": n} for n in hook_running]}
        found = [e for e in executions.values() if statusFilter in (None, e["status"])]
        return {"executions": sorted(found, key=lambda e: e["startDate"], reverse=True)}

    def describe_execution(executionArn):
        name = executionArn.rsplit(":", 1)[-1]
        if name not in executions:
            raise ExecutionDoesNotExist(name)
        return executions[name]

    group = {"DesiredCapacity": desired, "Instances": [{"InstanceId": i, "LifecycleState": s} for i, s in instances]}
    return Clients(
        autoscaling=Fake(calls, describe_auto_scaling_groups={"AutoScalingGroups": [group]}),
        stepfunctions=Fake(calls, list_executions=list_executions, describe_execution=describe_execution,
                           start_execution={"executionArn": "arn:started"}),
        ecs=Fake(calls, describe_services={"services": [{"desiredCount": ecs_desired}]}),
        route53=route53 or Fake(calls),
        ec2=Fake(calls, describe_instances={"Reservations": [{"Instances": [{"LaunchTime": launched}]}]}),
        sns=Fake(calls),
    )


def started(calls):
    return [json.loads(request["input"]) for operation, request in calls if operation == "start_execution"]


def test_nothing_is_touched_while_a_hook_execution_runs():
    calls = []
    outcome = reconcile(world(calls, instances=[(INSTANCE, "InService")], hook_running=["launch"]), leaf(), NOW)
    assert outcome.waiting and not outcome.actions
    assert [operation for operation, _ in calls] == ["describe_auto_scaling_groups", "list_executions"]


@pytest.mark.parametrize("state", ["Pending", "Pending:Wait"])
def test_a_launch_in_progress_is_left_to_its_own_event(state):
    calls = []
    outcome = reconcile(world(calls, instances=[(INSTANCE, state)]), leaf(), NOW)
    assert "a launch is in progress" in outcome.expecting[0] and not started(calls)
    assert outcome.consistent  # nothing to repair: the launch's own event completes it


def test_an_instance_launched_within_the_grace_waits_for_its_launch_event_then_gets_it():
    calls = []
    fresh = world(calls, instances=[(INSTANCE, "InService")], launched=NOW - EVENT_GRACE + timedelta(seconds=1))
    assert "may be on its way" in reconcile(fresh, leaf(), NOW).waiting[0] and not started(calls)
    calls = []
    launched = NOW - EVENT_GRACE
    outcome = reconcile(world(calls, instances=[(INSTANCE, "InService")], launched=launched), leaf(), NOW)
    (event,) = started(calls)
    assert [a["action"] for a in outcome.actions] == ["ResendLaunchEvent"]
    assert event["detail-type"] == "EC2 Instance Launch Successful" and event["source"] == "aws.autoscaling"
    assert event["detail"]["EC2InstanceId"] == INSTANCE and event["detail"]["AutoScalingGroupName"] == "Napstack-Game"
    assert event["time"] == launched.strftime("%Y-%m-%dT%H:%M:%SZ")  # the watchdog's grace counts from the launch


def test_a_running_watchdog_of_the_instance_means_all_is_in_step():
    calls = []
    executions = {f"{INSTANCE}-2": {"name": f"{INSTANCE}-2", "status": "RUNNING", "startDate": NOW}}
    outcome = reconcile(world(calls, instances=[(INSTANCE, "InService")], executions=executions), leaf(), NOW)
    assert outcome.consistent and not started(calls)


def test_an_ended_watchdog_is_resent_to_the_safety_net_after_the_grace_under_one_id():
    ended = {"name": INSTANCE, "executionArn": f"{WATCHDOG}:{INSTANCE}".replace("stateMachine", "execution"),
             "status": "ABORTED", "startDate": NOW - timedelta(hours=1), "input": '{"InstanceId": "%s"}' % INSTANCE}
    calls = []
    recent = {INSTANCE: {**ended, "stopDate": NOW - timedelta(seconds=30)}}
    assert reconcile(world(calls, instances=[(INSTANCE, "InService")], executions=recent), leaf(), NOW).waiting
    assert not started(calls)
    events = []
    for later in (NOW, NOW + timedelta(minutes=5)):  # two runs (the first's hook run lost too): the same event id
        calls = []
        old = {INSTANCE: {**ended, "stopDate": NOW - EVENT_GRACE}}
        reconcile(world(calls, instances=[(INSTANCE, "InService")], executions=old), leaf(), later)
        events += started(calls)
    assert events[0]["id"] == events[1]["id"] and events[0]["detail"]["status"] == "ABORTED"
    assert json.loads(events[0]["detail"]["input"]) == {"InstanceId": INSTANCE}


def test_a_group_scaling_in_is_left_to_its_terminate_event():
    calls = []
    outcome = reconcile(world(calls, desired=0, instances=[(INSTANCE, "InService")], ecs_desired=1), leaf(), NOW)
    assert "scaling in" in outcome.expecting[0] and "update_service" not in [o for o, _ in calls]


@pytest.fixture
def route53():
    with mock_aws(), route53_as_aws():  # a DELETE needs the record's current values, as in AWS
        client = boto3.client("route53", region_name="us-east-1")
        zone = client.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"].rsplit("/", 1)[-1]
        point(client, zone, OLD_IP)
        yield client, zone


def point(client, zone, value):
    client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "mc.example.com", "Type": "A", "TTL": 30, "ResourceRecords": [{"Value": value}]}}]})


def value(client, zone):
    sets = client.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return [r["ResourceRecords"][0]["Value"] for r in sets if r["Type"] == "A"]


def test_asleep_with_dns_at_a_gone_server_resets_dns_and_ecs(route53):
    client, zone = route53
    calls = []
    outcome = reconcile(world(calls, desired=0, route53=client, ecs_desired=1), leaf(zone), NOW)
    assert [a["action"] for a in outcome.actions] == ["StopGameTask", "PointDnsAtNothing"]
    assert ("update_service", {"cluster": "arn:cluster", "service": "svc", "desiredCount": 0}) in calls
    assert value(client, zone) == [UNAVAILABLE_IP]
    assert reconcile(world([], desired=0, route53=client), leaf(zone), NOW).consistent  # the next run: in step


def test_a_server_that_took_the_name_between_the_read_and_the_reset_keeps_it(route53):
    client, zone = route53

    class HookRacing:
        """Route53 as the reconciler sees it, while the hook points the name at a new server right after the read."""

        exceptions = client.exceptions

        def list_resource_record_sets(self, **request):
            found = client.list_resource_record_sets(**request)
            point(client, zone, NEW_IP)
            return found

        def change_resource_record_sets(self, **request):
            return client.change_resource_record_sets(**request)

    outcome = reconcile(world([], desired=0, route53=HookRacing()), leaf(zone), NOW)
    assert not outcome.actions and "changed while being reset" in outcome.waiting[0]
    assert value(client, zone) == [NEW_IP]
