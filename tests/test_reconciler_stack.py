"""The reconciler as synthesized: a Scheduler schedule on its period, a small function, grants on the leaf's own
resources only."""

import json

from tests.test_stacks import as_list, one, resources_of


def reconciler(leaf):
    hook = leaf.nested["AsgStateChangeHook"]
    function_id, function = next(
        (i, r) for i, r in hook.resources.items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == "reconciler"
    )
    return hook, function_id, function


def role_statements(stack, role_ref):
    return [s for p in resources_of(stack, "AWS::IAM::Policy") if p["Properties"]["Roles"] == [role_ref]
            for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_a_schedule_runs_the_reconciler_every_five_minutes_with_its_scheduled_time(leaf):
    hook, function_id, function = reconciler(leaf)
    schedule = one(hook, "AWS::Scheduler::Schedule")["Properties"]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)" and schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert json.loads(schedule["Target"]["Input"]) == {"ScheduledTime": "<aws.scheduler.scheduled-time>"}
    assert schedule["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2}
    # The schedule's role may invoke this one function and nothing else.
    role_id = schedule["Target"]["RoleArn"]["Fn::GetAtt"][0]
    assert hook.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"}
    (invoke,) = role_statements(hook, {"Ref": role_id})
    assert invoke["Action"] == "lambda:InvokeFunction" and invoke["Resource"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert function["Properties"]["MemorySize"] == 128 and function["Properties"]["Timeout"] == 30
    config = one(hook, "AWS::Lambda::EventInvokeConfig")["Properties"]
    assert config["MaximumRetryAttempts"] == 0  # the next scheduled run is the retry


def test_the_reconciler_may_act_only_on_its_own_leaf(leaf):
    hook, _, function = reconciler(leaf)
    found = role_statements(hook, {"Ref": function["Properties"]["Role"]["Fn::GetAtt"][0]})
    by_action = {action: statement for statement in found for action in as_list(statement["Action"])}
    wildcard = {action for action, statement in by_action.items() if statement["Resource"] == "*"}
    assert wildcard == {"autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"}  # no resource-level scoping
    text = lambda action: json.dumps(by_action[action]["Resource"])  # noqa: E731
    (machine,) = [i for i, r in hook.resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert by_action["states:StartExecution"]["Resource"] == {"Ref": machine}  # the hook, nothing else
    assert "execution" in text("states:DescribeExecution") and "Napstack-MinecraftJava-Watchdog:*" in text("states:DescribeExecution")
    assert "autoScalingGroupName/Napstack-MinecraftJava" in text("autoscaling:SetDesiredCapacity")
    assert "hostedzone/" in text("route53:ChangeResourceRecordSets")
    assert by_action["route53:ChangeResourceRecordSets"]["Condition"]["ForAllValues:StringEquals"][
        "route53:ChangeResourceRecordSetsNormalizedRecordNames"] == ["mc.example.com"]
    assert "Ref" in text("ecs:UpdateService") and "sns:Publish" in by_action


def test_a_period_under_five_minutes_is_refused_by_check_with_exit_2(tmp_path):
    from tests.conftest import napstack_cli
    from tests.test_config import with_changes, write_configs

    refused = napstack_cli("check", str(write_configs(tmp_path, with_changes(Watchdog__ReconcileMinutes=2))))
    assert refused.returncode == 2 and "Watchdog.ReconcileMinutes" in refused.stderr and "Traceback" not in refused.stderr
    hourly = napstack_cli("check", str(write_configs(tmp_path, with_changes(Watchdog__ReconcileMinutes=60))))
    assert hourly.returncode == 0, hourly.stderr
