"""warm_pool_refresh: which pooled instances a deploy left behind, and ending them (the emulator runs it end to end:
tests/emulator/test_warm_pool.py)."""

import boto3
import pytest
from botocore.stub import Stubber

from pool_refresh import BUSY_WAITS, PoolTemplate, refresh_pool, stale

WANTED = PoolTemplate(group_name="Napstack-Game", launch_template_id="lt-0abc", version="3")


def pooled(instance_id, state="Warmed:Stopped", template="lt-0abc", version="3"):
    return {"InstanceId": instance_id, "LifecycleState": state, "AvailabilityZone": "us-east-1a", "HealthStatus": "Healthy",
            "ProtectedFromScaleIn": False, "LaunchTemplate": {"LaunchTemplateId": template, "Version": version}}


def test_only_pooled_instances_of_another_version_or_template_are_stale():
    instances = [pooled("i-current"), pooled("i-old", version="2"), pooled("i-warming", "Warmed:Pending:Wait", version="2"),
                 pooled("i-other-template", template="lt-0def"), pooled("i-ending", "Warmed:Terminating:Wait", version="2"),
                 pooled("i-leaving", "Pending:Wait", version="2"), pooled("i-game", "InService", version="2")]
    assert stale(instances, WANTED) == ["i-old", "i-warming", "i-other-template"]
    unreported = {k: v for k, v in pooled("i-unknown").items() if k != "LaunchTemplate"}
    assert stale([unreported], WANTED) == ["i-unknown"]  # replaced: a refill costs less than a stale start


def test_the_properties_come_as_cloudformation_passes_them():
    assert PoolTemplate.from_properties({"ServiceToken": "arn", "AutoScalingGroupName": "Napstack-Game",
                                         "LaunchTemplateId": "lt-0abc", "LaunchTemplateVersion": 3}) == WANTED


@pytest.fixture
def autoscaling():
    client = boto3.client("autoscaling", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


def test_a_busy_group_is_waited_out_and_the_desired_capacity_left_alone(autoscaling):
    client, stubber = autoscaling
    stubber.add_response("describe_warm_pool", {"Instances": [pooled("i-old", version="2")]},
                         {"AutoScalingGroupName": "Napstack-Game"})
    request = {"InstanceId": "i-old", "ShouldDecrementDesiredCapacity": False}
    stubber.add_client_error("terminate_instance_in_auto_scaling_group", "ScalingActivityInProgress", expected_params=request)
    stubber.add_response("terminate_instance_in_auto_scaling_group", {}, request)
    waited = []
    assert refresh_pool(client, WANTED, sleep=waited.append) == (
        "ended i-old in the warm pool of Napstack-Game: it refills from version 3")
    assert waited == [BUSY_WAITS[0]]
    stubber.assert_no_pending_responses()


def test_a_refusal_fails_the_deploy_unless_the_instance_left_the_pool_meanwhile(autoscaling):
    client, stubber = autoscaling
    for left_meanwhile in (True, False):
        stubber.add_response("describe_warm_pool", {"Instances": [pooled("i-old", version="2")]})
        stubber.add_client_error("terminate_instance_in_auto_scaling_group", "ValidationError")
        stubber.add_response("describe_warm_pool", {"Instances": [] if left_meanwhile else [pooled("i-old", version="2")]})
        if left_meanwhile:
            assert refresh_pool(client, WANTED, sleep=lambda _: None).startswith("ended i-old")
        else:
            with pytest.raises(client.exceptions.ClientError, match="ValidationError"):
                refresh_pool(client, WANTED, sleep=lambda _: None)
    stubber.assert_no_pending_responses()


def test_a_current_pool_is_left_as_it_is(autoscaling):
    client, stubber = autoscaling
    stubber.add_response("describe_warm_pool", {"Instances": [pooled("i-current")], "NextToken": "2"})
    stubber.add_response("describe_warm_pool", {"Instances": []}, {"AutoScalingGroupName": "Napstack-Game", "NextToken": "2"})
    assert refresh_pool(client, WANTED) == "the warm pool of Napstack-Game holds launch template version 3 or nothing"


def test_transient_errors_are_retried_by_botocore_in_standard_mode():
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("warm_pool_refresh_app", ROOT / "functions" / "warm_pool_refresh" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.autoscaling.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
