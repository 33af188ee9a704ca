"""The watchdog check's calls answered in-process (napstack/emulator/in_process_calls.py) are moto's answers over
HTTP: the same responses, the same errors, the same effect on the world. Each case makes the call both ways."""

import io
import json
import zipfile
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws

from napstack.emulator import in_process_calls
from napstack.emulator.moto_gaps import _Patches

GROUP = "napstack-group"
LOOKUP_TAG = {"ResourceId": GROUP, "ResourceType": "auto-scaling-group", "Key": "napstack:last-lookup",
              "Value": "2026-11-26T20:00:00Z", "PropagateAtLaunch": False}


@pytest.fixture(scope="module")
def world():
    """A group with one instance, and a function whose invocation echoes its event (moto would start Docker); one
    world for the module, which the cases only read or add a command to."""
    from moto.awslambda.models import LambdaFunction

    def echo(self, event=None):
        if (event or {}).get("fail"):
            return json.dumps({"errorType": "RuntimeError", "errorMessage": "asked to fail"}), True, ""
        return json.dumps({"echo": event}), False, ""

    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        monkeypatch.setattr(LambdaFunction, "_invoke_lambda", echo)
        clients = {name: boto3.client(name, region_name="us-east-1") for name in ("autoscaling", "ec2", "ssm", "lambda")}
        clients["ec2"].create_launch_template(
            LaunchTemplateName="game", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
        clients["autoscaling"].create_auto_scaling_group(
            AutoScalingGroupName=GROUP, MinSize=0, MaxSize=1, DesiredCapacity=1, LaunchTemplate={"LaunchTemplateName": "game"},
            AvailabilityZones=["us-east-1a"], Tags=[LOOKUP_TAG])
        instance = clients["autoscaling"].describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
        role = boto3.client("iam").create_role(RoleName="check", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return event\n")
        clients["lambda"].create_function(FunctionName="check", Runtime="python3.12", Role=role, Handler="app.handler",
                                          Code={"ZipFile": code.getvalue()})
        yield clients, instance


def in_process(client, method: str, **params):
    """The call made as in the emulator, asserting that it never reached moto's HTTP interception."""
    from moto.core.botocore_stubber import BotocoreStubber

    patches = _Patches()
    try:
        in_process_calls.take_calls_in_process(patches)
        with mock.patch.object(BotocoreStubber, "process_request", side_effect=AssertionError("went over HTTP")):
            return getattr(client, method)(**params)
    finally:
        patches.undo()


def comparable(response: dict) -> dict:
    """A response without what differs between any two calls (request ids, dates), its stream read."""
    response = dict(response)
    metadata = dict(response.pop("ResponseMetadata", {}))
    response["ResponseMetadata"] = {"HTTPStatusCode": metadata.get("HTTPStatusCode"), "RetryAttempts": metadata.get("RetryAttempts")}
    if "Payload" in response:
        response["Payload"] = json.loads(response["Payload"].read())
    return response


def both_ways(client, method: str, **params):
    """(over HTTP, in-process): each a response or the exception raised."""
    answers = []
    for call in (lambda: getattr(client, method)(**params), lambda: in_process(client, method, **params)):
        try:
            answers.append(comparable(call()))
        except (ClientError, ParamValidationError) as error:
            answers.append(error)
    return answers


def same_error(first, second) -> bool:
    if type(first) is not type(second):
        return False
    if isinstance(first, ClientError):
        return (first.response["Error"], first.response["ResponseMetadata"]["HTTPStatusCode"]) == (
            second.response["Error"], second.response["ResponseMetadata"]["HTTPStatusCode"])
    return str(first) == str(second)


def test_the_group_the_check_reads_is_the_same_in_process(world):
    clients, instance = world
    over_http, answered = both_ways(clients["autoscaling"], "describe_auto_scaling_groups", AutoScalingGroupNames=[GROUP])
    assert answered == over_http
    group = answered["AutoScalingGroups"][0]
    assert group["Instances"][0]["InstanceId"] == instance and group["Tags"][0]["Value"] == "2026-11-26T20:00:00Z"
    assert group["CreatedTime"].tzinfo is not None  # parsed by botocore, as over HTTP


@pytest.mark.parametrize("service, method, params", [
    ("autoscaling", "describe_auto_scaling_groups", {"AutoScalingGroupNames": ["no-such-group"]}),
    ("ec2", "describe_instances", {}),
    ("ssm", "list_commands", {}),
])
def test_other_reads_are_the_same_in_process(world, service, method, params):
    clients, _ = world
    over_http, answered = both_ways(clients[service], method, **params)
    assert answered == over_http


@pytest.mark.parametrize("service, method, params", [
    ("autoscaling", "delete_auto_scaling_group", {"AutoScalingGroupName": "no-such-group"}),
    ("ssm", "get_command_invocation", {"CommandId": "00000000-0000-0000-0000-000000000000", "InstanceId": "i-0abc"}),
    ("ec2", "describe_instances", {"InstanceIds": ["i-00000000000000000"]}),
    ("lambda", "invoke", {"FunctionName": "no-such-function", "Payload": b"{}"}),
    ("autoscaling", "describe_auto_scaling_groups", {"MaxRecords": "ten"}),
])
def test_errors_are_the_same_in_process(world, service, method, params):
    clients, _ = world
    over_http, answered = both_ways(clients[service], method, **params)
    assert isinstance(answered, Exception) and same_error(answered, over_http), (answered, over_http)


def test_a_command_sent_in_process_is_in_the_world_and_answers_as_over_http(world):
    clients, instance = world
    ssm = clients["ssm"]
    sent = in_process(ssm, "send_command", InstanceIds=[instance], DocumentName="AWS-RunShellScript",
                      Parameters={"commands": ["echo hi"]})["Command"]
    (listed,) = ssm.list_commands(CommandId=sent["CommandId"])["Commands"]
    assert sent == listed
    over_http, answered = both_ways(ssm, "get_command_invocation", CommandId=sent["CommandId"], InstanceId=instance)
    assert answered == over_http and answered["Status"] == "Success"


def test_an_invocation_in_process_returns_what_the_function_returned(world):
    clients, _ = world
    over_http, answered = both_ways(clients["lambda"], "invoke", FunctionName="check", Payload=json.dumps({"n": 1}))
    assert answered == over_http
    assert answered["StatusCode"] == 200 and answered["Payload"] == {"echo": {"n": 1}}


def test_a_failed_invocation_in_process_carries_the_function_error_as_over_http(world):
    clients, _ = world
    over_http, answered = both_ways(clients["lambda"], "invoke", FunctionName="check", Payload=json.dumps({"fail": True}))
    assert answered == over_http
    assert answered["FunctionError"] == "Handled" and answered["Payload"]["errorMessage"] == "asked to fail"


def test_only_the_services_with_a_responder_and_operations_routed_without_a_url_are_answered(world):
    clients, _ = world
    assert in_process_calls.answers(clients["ssm"], "SendCommand")
    assert in_process_calls.answers(clients["lambda"], "Invoke")
    assert not in_process_calls.answers(clients["lambda"], "ListFunctions")  # REST: found by the URL
    assert not in_process_calls.answers(boto3.client("route53"), "ChangeResourceRecordSets")
