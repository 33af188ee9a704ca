"""Each moto gap the emulator patches, shown in plain moto 5.2.5: when one of these fails after an upgrade,
moto closed that gap and its patch in napstack/emulator/moto_gaps.py can go."""

import inspect
import json
import time

import boto3
import pytest
from moto import mock_aws

SFN_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
ROLE = "arn:aws:iam::123456789012:role/sfn"


def run_to_end(sfn, arn, payload="{}", name=None, timeout=20.0):
    kwargs = {"stateMachineArn": arn, "input": payload, **({"name": name} if name else {})}
    execution = sfn.start_execution(**kwargs)["executionArn"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.02)
    sfn.stop_execution(executionArn=execution)
    raise AssertionError("execution did not finish")


def machine(sfn, states: dict, start: str) -> str:
    definition = json.dumps({"StartAt": start, "States": states})
    return sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=definition, roleArn=ROLE)["stateMachineArn"]


def test_lambda_invocation_is_the_one_method_the_emulator_replaces():
    from moto.awslambda.models import LambdaFunction

    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]


def test_plain_moto_cannot_run_an_ecs_sdk_task_with_pascal_case_parameters():
    with mock_aws(config=SFN_CONFIG):
        ecs, sfn = boto3.client("ecs", "us-east-1"), boto3.client("stepfunctions", "us-east-1")
        cluster = ecs.create_cluster(clusterName="c")["cluster"]["clusterArn"]
        arn = machine(sfn, {"Update": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
                                       "Parameters": {"Cluster": cluster, "Service": "s", "DesiredCount": 1}, "End": True}}, "Update")
        assert run_to_end(sfn, arn)["status"] == "FAILED"


def test_plain_moto_names_an_sdk_task_error_after_the_lower_case_service():
    with mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", "us-east-1")
        arn = machine(sfn, {"Tell": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sns:publish", "End": True,
                                     "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:none", "Message": "x"}}}, "Tell")
        failed = run_to_end(sfn, arn)
        assert failed["error"] == "sns.NotFoundException" and "(Service: sns," in failed["cause"]  # AWS: Sns.NotFoundException


@pytest.mark.parametrize("service, name", [
    ("acm-pca", "AcmPca"), ("s3", "S3"), ("dynamodb", "DynamoDb"),  # the examples of AWS's aws-sdk integration guide
    ("autoscaling", "AutoScaling"), ("ecs", "Ecs"), ("route53", "Route53"), ("sns", "Sns"), ("stepfunctions", "Sfn"),
])
def test_sdk_errors_name_the_service_as_step_functions_does(service, name):
    from napstack.emulator.moto_gaps import sdk_error_service_name

    assert sdk_error_service_name(service) == name


def test_plain_moto_names_an_unnamed_execution_none():
    with mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", "us-east-1")
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        arn = machine(sfn, {"Done": {"Type": "Succeed"}}, "Done")
        backend = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        execution = backend.start_execution(arn, None, "{}")
        assert execution.exec_arn.endswith(":None")


def test_plain_moto_has_no_complete_lifecycle_action():
    with mock_aws():
        autoscaling = boto3.client("autoscaling", "us-east-1")
        with pytest.raises(Exception, match="not yet implemented|NotImplemented|complete_lifecycle_action"):
            autoscaling.complete_lifecycle_action(
                AutoScalingGroupName="g", LifecycleHookName="h", LifecycleActionResult="CONTINUE", InstanceId="i-1"
            )


def test_plain_moto_keeps_a_warm_pools_settings_and_no_pooled_instance():
    """napstack/emulator/warm_pool.py: the pool's instances, their Warmed:* states and events are the emulator's."""
    with mock_aws():
        ec2 = boto3.client("ec2", "us-east-1")
        image = ec2.describe_images(Owners=["amazon"])["Images"]
        template = ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={
            "ImageId": image[0]["ImageId"] if image else "ami-12c6146b", "InstanceType": "t3.small"})
        autoscaling = boto3.client("autoscaling", "us-east-1")
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="g", MinSize=0, MaxSize=1, DesiredCapacity=0, AvailabilityZones=["us-east-1a"],
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
        autoscaling.put_warm_pool(AutoScalingGroupName="g", PoolState="Stopped", MinSize=0, MaxGroupPreparedCapacity=1)
        pool = autoscaling.describe_warm_pool(AutoScalingGroupName="g")
        assert pool["WarmPoolConfiguration"]["PoolState"] == "Stopped" and pool["Instances"] == []
        autoscaling.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=1)
        autoscaling.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=0)
        assert autoscaling.describe_warm_pool(AutoScalingGroupName="g")["Instances"] == []  # never refilled


def test_plain_moto_wait_states_really_sleep():
    with mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", "us-east-1")
        arn = machine(sfn, {"Pause": {"Type": "Wait", "Seconds": 1, "End": True}}, "Pause")
        start = time.monotonic()
        run_to_end(sfn, arn)
        assert time.monotonic() - start >= 1


def test_plain_moto_ssm_commands_print_nothing():
    with mock_aws():
        ssm = boto3.client("ssm", "us-east-1")
        command = ssm.send_command(InstanceIds=["i-1"], DocumentName="AWS-RunShellScript", Parameters={"commands": ["echo hi"]})
        invocation = ssm.get_command_invocation(CommandId=command["Command"]["CommandId"], InstanceId="i-1")
        assert (invocation["Status"], invocation["StandardOutputContent"]) == ("Success", "")


def test_plain_moto_wraps_a_value_read_through_an_index_in_a_list():
    with mock_aws(config=SFN_CONFIG):
        sfn = boto3.client("stepfunctions", "us-east-1")
        arn = machine(sfn, {"Pick": {"Type": "Pass", "Parameters": {"Ip.$": "$.Items[0].Ip"}, "End": True}}, "Pick")
        output = json.loads(run_to_end(sfn, arn, json.dumps({"Items": [{"Ip": "203.0.113.1"}]}))["output"])
        assert output == {"Ip": ["203.0.113.1"]}  # Step Functions gives "203.0.113.1"


def test_plain_moto_route53_sdk_output_cannot_be_described():
    with mock_aws(config=SFN_CONFIG):
        route53, sfn = boto3.client("route53", "us-east-1"), boto3.client("stepfunctions", "us-east-1")
        zone = route53.create_hosted_zone(Name="example.com", CallerReference="x")["HostedZone"]["Id"].split("/")[-1]
        change = {"Action": "UPSERT", "ResourceRecordSet": {"Name": "a.example.com", "Type": "A", "TTL": 30,
                                                             "ResourceRecords": [{"Value": "192.0.2.1"}]}}
        arn = machine(sfn, {"Point": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:route53:changeResourceRecordSets",
                                      "Parameters": {"HostedZoneId": zone, "ChangeBatch": {"Changes": [change]}}, "End": True}}, "Point")
        with pytest.raises(Exception):
            run_to_end(sfn, arn)


def upsert_then_rewrite(route53):
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="gap")["HostedZone"]["Id"]

    def change(action, value):
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": {
            "Name": "mc.example.com", "Type": "A", "TTL": 30, "ResourceRecords": [{"Value": value}]}}]})

    change("UPSERT", "192.0.2.1")  # as deployed
    change("UPSERT", "203.0.113.10")  # as the hook left it
    return zone, change


def test_plain_moto_deletes_a_record_given_values_it_no_longer_has():
    with mock_aws():
        route53 = boto3.client("route53", "us-east-1")
        zone, change = upsert_then_rewrite(route53)
        change("DELETE", "192.0.2.1")  # AWS: InvalidChangeBatch, the values do not match the current values
        assert not [r for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r["Type"] == "A"]


def test_the_patched_route53_refuses_a_delete_with_stale_values_as_aws_does():
    from napstack.emulator.moto_gaps import route53_as_aws

    with mock_aws(), route53_as_aws():
        route53 = boto3.client("route53", "us-east-1")
        zone, change = upsert_then_rewrite(route53)
        with pytest.raises(route53.exceptions.InvalidChangeBatch, match="do not match the current values"):
            change("DELETE", "192.0.2.1")
        change("DELETE", "203.0.113.10")
        assert not [r for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r["Type"] == "A"]


@pytest.mark.parametrize("name", ["boto_client_for", "extract_json", "copy"])
def test_every_interpreter_module_binding_a_patched_name_is_listed(name):
    """A module of moto's interpreter that binds a patched name but is not listed would keep moto's original:
    import every module whose source mentions it (ANTLR, static-analysis and JSONata parts aside: they evaluate
    nothing napstack patches) and compare."""
    import copy
    import importlib
    from pathlib import Path

    import moto.stepfunctions.parser.asl as asl
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    from napstack.emulator.moto_gaps import MODULES_BINDING

    original = {"boto_client_for": boto_client.boto_client_for, "extract_json": json_path.extract_json, "copy": copy}[name]
    root = Path(asl.__path__[0])
    binding = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if {"antlr", "static_analyser", "jsonata"} & set(parts) or name not in path.read_text():
            continue
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if getattr(importlib.import_module(f"{asl.__name__}.{module}"), name, None) is original:
            binding.append(module)
    owner = {"boto_client_for": "utils.boto_client", "extract_json": "utils.json_path"}.get(name)
    assert sorted(m for m in binding if m != owner) == sorted(MODULES_BINDING[name])


@mock_aws
def test_plain_moto_passes_space_delimited_patterns_on_unfiltered():
    """napstack/emulator/log_filter.py: moto reads `[w1=ERROR, w2]` as a pattern it does not support and returns
    every event (and sends every event to a subscription's destination, whatever its pattern)."""
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": 1_700_000_000_000 + i, "message": m}
                                   for i, m in enumerate(["ERROR WARN message", "ERROR message", "WARN message"])])
    found = logs.filter_log_events(logGroupName="g", filterPattern="[w1=ERROR, w2]")["events"]
    assert [e["message"] for e in found] != ["ERROR message"]


def test_plain_moto_stores_a_schedule_and_never_invokes_its_target():
    import moto.scheduler.models

    with mock_aws():
        sqs = boto3.client("sqs", "us-east-1")
        queue = sqs.create_queue(QueueName="runs")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        scheduler = boto3.client("scheduler", "us-east-1")
        scheduler.create_schedule(Name="often", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": arn, "RoleArn": ROLE, "Input": "{}"})
        assert scheduler.get_schedule(Name="often")["State"] == "ENABLED"
        time.sleep(0.5)  # AWS: the first run follows the creation; moto keeps the schedule as data
        assert not sqs.receive_message(QueueUrl=queue).get("Messages")
    source = inspect.getsource(moto.scheduler.models)
    assert not any(word in source for word in ("Thread", "Timer", "invoke", "send_message", "start_execution"))


def test_the_emulator_runs_a_rate_schedule_on_the_simulated_clock_and_lets_a_quiet_one_sleep():
    from datetime import datetime, timedelta, timezone

    from napstack.emulator.clock import SimulatedClock
    from napstack.emulator.schedules import Schedule, ScheduleRunner, rate_period

    start = datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
    clock, fired, busy_runs = SimulatedClock(start), [], [2]
    schedule = Schedule("reconcile", rate_period("rate(5 minutes)", "test"), "arn:fn", "arn:role", "{}")

    def fire(_, moment):  # the first two runs find work, then nothing
        fired.append(moment)
        busy_runs[0] -= 1
        return busy_runs[0] < 0

    runner = ScheduleRunner(clock, [schedule], start, fire, lambda: False)
    clock.set(start + timedelta(minutes=7))
    runner.wake()
    assert clock.wait_until_idle(5)  # quiet after its third run: nothing keeps the world busy
    assert fired == [start + timedelta(minutes=m) for m in (10, 15, 20)]  # on the grid from its creation
    runner.wake()  # the world changed: it looks again at the next run time
    assert clock.wait_until_idle(5) and fired[-1] == start + timedelta(minutes=25)
    with pytest.raises(Exception, match="rate"):
        rate_period("cron(0 * * * ? *)", "test")


def _subscribed_function(filter_policy=None):
    """A function subscribed to a topic in moto, and the events its invocations get."""
    import io
    import zipfile
    from unittest import mock

    from moto.awslambda.models import LambdaFunction

    role = boto3.client("iam", region_name="us-east-1").create_role(RoleName="f", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(event, context): return None\n")
    function = boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": archive.getvalue()})
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function["FunctionArn"], Attributes=attributes)
    events = []
    invoked = mock.patch.object(LambdaFunction, "_invoke_lambda", lambda self, event=None: events.append(event if isinstance(event, dict) else json.loads(event)) or ("null", False, ""))
    return sns, topic, events, invoked


ATTRIBUTES = {"server": {"DataType": "String", "StringValue": "mc"}, "kind": {"DataType": "String", "StringValue": "ready"}}


@mock_aws
def test_plain_moto_invokes_a_subscribed_function_without_the_messages_attributes():
    sns, topic, events, invoked = _subscribed_function()
    with invoked:
        sns.publish(TopicArn=topic, Subject="mc: ready", Message="up", MessageAttributes=ATTRIBUTES)
    (event,) = events
    assert event["Records"][0]["Sns"]["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"},
                                                               "TestBinary": {"Type": "Binary", "Value": "TestBinary"}}
    assert event["Records"][0]["Sns"]["TopicArn"] == "arn:aws:sns:EXAMPLE"


@mock_aws
def test_the_patched_sns_sends_the_documented_event_to_a_subscription_its_filter_policy_matches():
    from datetime import datetime, timezone

    from napstack.emulator.clock import SimulatedClock
    from napstack.emulator.moto_gaps import _Patches, sns_lambda_event_as_aws_sends_it

    sns, topic, events, invoked = _subscribed_function({"server": ["mc"], "kind": ["ready", "stopped"]})
    patches = _Patches()
    sns_lambda_event_as_aws_sends_it(patches, SimulatedClock(datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)))
    try:
        with invoked:
            sns.publish(TopicArn=topic, Subject="mc: ready", Message="up", MessageAttributes=ATTRIBUTES)
            problem = {**ATTRIBUTES, "kind": {"DataType": "String", "StringValue": "undelivered"}}
            sns.publish(TopicArn=topic, Subject="mc: not delivered", Message="x", MessageAttributes=problem)
    finally:
        patches.undo()
    (event,) = events  # the second is not what the filter policy takes
    message = event["Records"][0]["Sns"]
    assert message["MessageAttributes"] == {"server": {"Type": "String", "Value": "mc"}, "kind": {"Type": "String", "Value": "ready"}}
    assert (message["TopicArn"], message["Subject"], message["Timestamp"]) == (topic, "mc: ready", "2026-01-01T20:00:00.000Z")


def test_plain_moto_creates_a_function_url_and_serves_nothing_at_it():
    import io
    import zipfile

    from moto.backend_index import backend_url_patterns

    with mock_aws():
        role = boto3.client("iam", "us-east-1").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as zipped:
            zipped.writestr("app.py", "def handler(event, context):\n    return 'hello'\n")
        functions = boto3.client("lambda", "us-east-1")
        functions.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler",
                                  Code={"ZipFile": code.getvalue()})
        url = functions.create_function_url_config(FunctionName="f", AuthType="NONE")["FunctionUrl"]
        # No moto backend answers at it (nor does anything else: the name is made up). The emulator: open_url.
        assert ".lambda-url.us-east-1.on.aws" in url and not [n for n, p in backend_url_patterns if p.match(url)]


def test_plain_moto_cannot_describe_a_stack():
    with mock_aws(), pytest.raises(ModuleNotFoundError):  # its CloudFormation loads API Gateway's optional packages
        boto3.client("cloudformation", "us-east-1").describe_stacks(StackName="Napstack-Base-ExampleCom-UsEast1")
