"""run_host_check against a fake SSM: it gives up before the function's own deadline, and rides out throttles."""


import boto3
import pytest
from botocore.stub import Stubber

import host_check
from host_check import GameContainer, HostCheckFailed, run_host_check

GAME = GameContainer(task_family="game", container_name="game", protocol="tcp", port=25565)
REPORT = '{"container_running": true, "listening": true, "tcp": 2, "udp_packets": 0, "ssh": 0}'


class Deadline:
    """A Lambda context's remaining time that each (fake) second of polling uses up."""

    def __init__(self, seconds: float):
        self.left = seconds

    def seconds_left(self) -> float:
        return self.left

    def sleep(self, seconds: float) -> None:
        self.left -= seconds


@pytest.fixture
def ssm_and_deadline(monkeypatch):
    ssm = boto3.client("ssm", region_name="us-east-1")
    stubber = Stubber(ssm)
    stubber.add_response("send_command", {"Command": {"CommandId": "0b7c3d7e-1c43-4a8e-9a77-3d4f3b2f9a10"}})
    deadline = Deadline(60)
    monkeypatch.setattr(host_check, "time", type("FakeTime", (), {"sleep": staticmethod(deadline.sleep)}))
    with stubber:
        yield ssm, stubber, deadline


def test_a_command_still_running_near_the_deadline_is_a_failed_check_not_a_timeout(ssm_and_deadline):
    ssm, stubber, deadline = ssm_and_deadline
    for _ in range(60):
        stubber.add_response("get_command_invocation", {"Status": "InProgress"})
    with pytest.raises(HostCheckFailed, match="CommandNotFinished: InProgress"):
        run_host_check(ssm, "i-1", GAME, deadline.seconds_left)
    assert deadline.left >= host_check.SECONDS_KEPT_FOR_THE_REST  # time left to fold the check and return


def test_throttled_polls_are_asked_again(ssm_and_deadline):
    ssm, stubber, deadline = ssm_and_deadline
    for _ in range(3):
        stubber.add_client_error("get_command_invocation", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("get_command_invocation", {"Status": "Success", "StandardOutputContent": REPORT + "\n"})
    assert run_host_check(ssm, "i-1", GAME, deadline.seconds_left).tcp == 2
    assert deadline.left == 57


def test_a_throttled_send_is_a_named_failed_check(monkeypatch):
    ssm = boto3.client("ssm", region_name="us-east-1")
    with Stubber(ssm) as stubber:
        stubber.add_client_error("send_command", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(HostCheckFailed, match="SendCommandFailed: ThrottlingException"):
            run_host_check(ssm, "i-1", GAME, lambda: 60)


@pytest.mark.parametrize("instances, tags, in_service, lookup", [
    ([{"InstanceId": "i-1", "LifecycleState": "InService"}], [{"Key": "napstack:last-lookup", "Value": "2026-01-01T20:00:00Z"}],
     True, "2026-01-01T20:00:00+00:00"),
    ([{"InstanceId": "i-1", "LifecycleState": "Terminating:Wait"}], [], False, None),
    ([{"InstanceId": "i-2", "LifecycleState": "InService"}], [{"Key": "napstack:last-lookup", "Value": "not a time"}], False, None),
])
def test_one_describe_call_tells_whether_the_instance_serves_and_when_a_player_looked_up(instances, tags, in_service, lookup):
    from datetime import datetime

    from host_check import read_group

    autoscaling = boto3.client("autoscaling", region_name="us-east-1")
    group = {"AutoScalingGroupName": "g", "MinSize": 0, "MaxSize": 1, "DesiredCapacity": 1, "DefaultCooldown": 300,
             "AvailabilityZones": ["us-east-1a"], "HealthCheckType": "EC2", "CreatedTime": datetime(2026, 1, 1),
             "Instances": [{**i, "AvailabilityZone": "us-east-1a", "HealthStatus": "Healthy", "ProtectedFromScaleIn": False}
                           for i in instances],
             "Tags": [{**t, "ResourceId": "g", "ResourceType": "auto-scaling-group", "PropagateAtLaunch": False} for t in tags]}
    with Stubber(autoscaling) as stubber:
        stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [group]}, {"AutoScalingGroupNames": ["g"]})
        view = read_group(autoscaling, "g", "i-1")
    assert view.in_service is in_service
    assert (view.last_lookup.isoformat() if view.last_lookup else None) == lookup
