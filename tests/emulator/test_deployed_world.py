"""The emulator runs what deploys: its world is read from the synthesized assembly, IAM and API validation enforced.

The tests that prove a check can fail edit a copy of the assembly (a policy statement removed, a parameter
misspelt), never the repo's files, and replay it.
"""

import json
import shutil

import pytest

from napstack.assembly import assembly_digest, load_assembly
from napstack.config import load_config
from napstack.emulator.replay import replay
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.emulator.template import TemplateError
from napstack.emulator.world import Emulator
from napstack.synth import cached_assembly
from tests.conftest import BASE_STACK, ROOT, START_STACK, napstack_cli

CONFIG = load_config(ROOT / "examples" / "minecraft-java.yaml")
LAUNCH = json.loads((ROOT / "events" / "asg-launch-successful.json").read_text())
LEAF = CONFIG.leaf.stack_name


@pytest.fixture
def assembly(tmp_path):
    """A copy of the config's synthesized assembly, for a test to change."""
    copy = tmp_path / "cdk.out"
    shutil.copytree(cached_assembly(CONFIG), copy)
    return copy


def nested(assembly, name):
    return load_assembly(assembly)[LEAF].nested[name]


def without_statement(assembly, stack_name: str, action: str) -> None:
    """Remove every statement allowing `action` from the policies of one nested stack."""
    stack = nested(assembly, stack_name)
    for resource in stack.resources.values():
        if resource["Type"] == "AWS::IAM::Policy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if action not in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            ]
    stack.file.write_text(json.dumps(stack.template))


def edit_definition(assembly, stack_name: str, edit) -> None:
    stack = nested(assembly, stack_name)
    machine = next(r for r in stack.resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    asset = stack.assets[machine["Properties"]["DefinitionS3Location"]["Key"]]
    definition = json.loads(asset.read_text())
    edit(definition["States"])
    asset.write_text(json.dumps(definition))


def details(result, state):
    return [row.detail for row in result.timeline if row.state == state]


# --- the world is the templates' --------------------------------------------------------------------------


def test_the_world_is_what_the_templates_deploy():
    leaf = load_assembly(cached_assembly(CONFIG))[LEAF]
    hook_template = next(r for r in leaf.nested["EcsAsg"].resources.values() if r["Type"] == "AWS::AutoScaling::LifecycleHook")
    function_template = next(r for r in leaf.nested["Watchdog"].resources.values() if r["Type"] == "AWS::Lambda::Function")
    with Emulator(CONFIG) as emulator:
        hooks = emulator.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=emulator.stack.asg_name)
        by_name = {h["LifecycleHookName"]: h for h in hooks["LifecycleHooks"]}
        # napstack's hook as the template has it, and the one ECS adds for the capacity provider's managed draining
        assert by_name[hook_template["Properties"]["LifecycleHookName"]]["HeartbeatTimeout"] == hook_template["Properties"]["HeartbeatTimeout"]
        assert "ecs-managed-draining-termination-hook" in by_name
        function = emulator.client("lambda").get_function(FunctionName=emulator.stack.function_name)["Configuration"]
        assert function["Timeout"] == function_template["Properties"]["Timeout"]
        assert function["Environment"]["Variables"]["TASK_DEFINITION_ARN"] == emulator.stack.task_definition_arn
        definition = emulator.client("stepfunctions").describe_state_machine(stateMachineArn=emulator.stack.hook_arn)["definition"]
        assert "${" not in definition and emulator.stack.cluster_arn in definition and emulator.stack.topic_arn in definition
        patterns = [pattern for pattern, _ in emulator.rules()]
        assert {"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
                "detail": {"AutoScalingGroupName": [emulator.stack.asg_name], "LifecycleHookName": ["napstack-terminating"]}} in patterns
        group = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
        tags = {t["Key"]: t["Value"] for t in group["AutoScalingGroups"][0]["Tags"]}
        assert tags["napstack:dns-name"] == "mc.example.com" and tags["napstack:start-on"] == "A AAAA"


def test_a_one_zone_server_launches_in_the_zone_its_config_names(tmp_path):
    """By zone ID: the subnet CloudFormation places in use1-az4, whatever that zone is called in the account."""
    import yaml

    shutil.copy(ROOT / "examples" / "base.yaml", tmp_path)
    leaf = yaml.safe_load((ROOT / "examples" / "minecraft-java.yaml").read_text())
    (tmp_path / "game.yaml").write_text(yaml.safe_dump({**leaf, "Efs": {"OneZone": True, "AvailabilityZone": "use1-az4"}}))
    with Emulator(load_config(tmp_path / "game.yaml")) as emulator:
        emulator.set_desired_capacity(1, quietly=True)
        ec2 = emulator.client("ec2")
        (reservation,) = ec2.describe_instances(InstanceIds=emulator.instance_ids())["Reservations"]
        (subnet,) = ec2.describe_subnets(SubnetIds=[reservation["Instances"][0]["SubnetId"]])["Subnets"]
        assert subnet["AvailabilityZoneId"] == "use1-az4"


def test_replay_says_which_templates_it_ran_and_their_digest_changes_with_them(assembly):
    first = replay(CONFIG, LAUNCH, max_hours=0.1, assembly=assembly)
    assert first.deployment["stacks"] == [BASE_STACK, f"{LEAF} (6 nested)", START_STACK]
    without_statement(assembly, "Watchdog", "sns:Publish")
    second = replay(CONFIG, LAUNCH, max_hours=0.1, assembly=assembly)
    assert len(first.deployment["digest"]) == 12 and first.deployment["digest"] != second.deployment["digest"]


def test_replay_cli_replays_an_existing_assembly_and_names_it(assembly):
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--assembly", str(assembly), "--max-hours", "1")
    assert result.returncode == 0
    assert f"templates {assembly_digest(load_assembly(assembly))} from {assembly}" in result.stdout


@pytest.mark.parametrize("arguments, message", [
    (["--assembly", "no-such-folder"], "no-such-folder is not a cloud assembly napstack can read"),
    (["--assembly", "ASSEMBLY", "--config", "examples/valheim.yaml"], "holds no stack Napstack-Valheim"),
    (["--assembly", "ASSEMBLY", "--live", "Napstack-MinecraftJava"], "--assembly only apply to a local replay"),
])
def test_replay_cli_names_an_assembly_it_cannot_use(assembly, arguments, message):
    arguments = [str(assembly) if a == "ASSEMBLY" else a for a in arguments]
    result = napstack_cli("replay", "events/asg-launch-successful.json", *arguments)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# --- IAM enforced ------------------------------------------------------------------------------------------


def test_a_statement_removed_from_the_hooks_policy_fails_its_step_with_access_denied(assembly):
    without_statement(assembly, "AsgStateChangeHook", "ecs:UpdateService")
    result = replay(CONFIG, LAUNCH, max_hours=0.1, assembly=assembly)
    (failure,) = [d for d in details(result, "StartGameTask") if d.startswith("failed")]
    assert "AccessDeniedException" in failure and "not authorized to perform: ecs:UpdateService" in failure
    assert f":service/{LEAF}-Cluster" in failure and "assumed-role/" + LEAF + "-StateMachineRole" in failure
    # Nothing in the hook started the game (the failure is real, not reported and ignored): the watchdog's first check
    # found the service at 0 while the instance runs and set it back.
    assert [r.state_machine for r in result.timeline if r.state == "StartGameTaskAgain"] == ["watchdog"]


def test_a_statement_removed_from_the_check_functions_policy_fails_the_checks(assembly):
    without_statement(assembly, "Watchdog", "ssm:SendCommand")
    result = replay(CONFIG, LAUNCH, Scenario(checks=[CheckReport(tcp=1, repeat=50)]), max_hours=1, assembly=assembly)
    checks = details(result, "CountConnections")
    assert checks and all("failed (error: SendCommandFailed: AccessDeniedException" in c for c in checks)
    assert "not authorized to perform: ssm:SendCommand on resource: arn:aws:ssm:us-east-1::document/AWS-RunShellScript" in checks[0]


def test_a_rule_whose_role_may_not_start_the_hook_is_a_failed_delivery(assembly):
    without_statement(assembly, "AsgStateChangeHook", "states:StartExecution")  # the rule's role and the hook's
    result = replay(CONFIG, LAUNCH, max_hours=0.1, assembly=assembly)
    refused = details(result, "FailedInvocation")[0]
    assert "not authorized to perform: states:StartExecution" in refused and "StateMachineEventsRole" in refused
    assert not result.executions and not result.succeeded
    # The reconciler cannot hand the lost launch to the hook either (its statement went too): stopped, not unwatched.
    (stopped,) = details(result, "ScaleDownUnwatched")
    assert "the hook could not be started (AccessDeniedException)" in stopped and result.asg_desired == 0


def test_a_condition_in_a_policy_is_evaluated_not_ignored(assembly):
    """The DNS function may change only its own name's A record (ForAllValues on the normalized names)."""
    stack = nested(assembly, "AsgStateChangeHook")
    record = next(r for r in stack.resources.values() if r["Type"] == "Custom::NapstackDnsRecord")
    record["Properties"]["RecordName"] = "other.example.com"  # the policies still say mc.example.com
    stack.file.write_text(json.dumps(stack.template))
    with pytest.raises(TemplateError, match="not authorized to perform: route53:ChangeResourceRecordSets"):
        with Emulator(CONFIG, assembly=assembly):
            pass


# --- API validation ----------------------------------------------------------------------------------------


def test_a_misspelt_parameter_in_an_asl_file_fails_the_deploy_as_step_functions_does(assembly):
    def misspell(states):
        states["StartGameTask"]["Parameters"]["DesiredCont"] = states["StartGameTask"]["Parameters"].pop("DesiredCount")

    edit_definition(assembly, "AsgStateChangeHook", misspell)
    with pytest.raises(TemplateError, match='SCHEMA_VALIDATION_FAILED: The field "DesiredCont" is not supported by '
                                            "Step Functions at /States/StartGameTask/Parameters"):
        replay(CONFIG, LAUNCH, max_hours=0.1, assembly=assembly)
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--assembly", str(assembly))
    assert result.returncode == 1 and "napstack: the assembly would not deploy:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_parameter_of_the_wrong_type_fails_the_task_with_the_services_validation_error(assembly):
    def wrong_type(states):
        states["ScaleDownToZero"]["Parameters"]["DesiredCapacity"] = "0"

    edit_definition(assembly, "Watchdog", wrong_type)
    result = replay(CONFIG, LAUNCH, Scenario(), max_hours=0.5, assembly=assembly)
    failures = [d for d in details(result, "ScaleDownToZero") if d.startswith("failed")]
    assert failures and "Invalid type for parameter DesiredCapacity" in failures[0]


def test_a_leaf_in_another_region_is_deployed_there_and_a_lookup_in_us_east_1_starts_it(tmp_path):
    from datetime import datetime, timezone

    from napstack.emulator.log_payload import lookup_payload
    from tests.test_config import GOOD, write_configs

    config = load_config(write_configs(tmp_path, GOOD, {"DomainName": "example.org", "HostedZoneId": "Z1234567890",
                                                        "LeafRegion": "eu-west-1"}))
    lookup = lookup_payload(datetime(2026, 1, 1, 20, tzinfo=timezone.utc), "Z1234567890", "example.org", config.dns_name, "A")
    result = replay(config, lookup, max_hours=0.5)
    states = [row.state for row in result.timeline]
    assert states[0] == "started"  # start_server (us-east-1) found the eu-west-1 group
    assert {"PointDnsAtServer", "StartWatchdog", "CountConnections"} <= set(states)
    assert not any(row.detail.startswith("failed") for row in result.timeline)
    with Emulator(config) as emulator:
        assert ":eu-west-1:" in emulator.stack.watchdog_arn and ":eu-west-1:" in emulator.stack.topic_arn


def test_the_zone_logs_its_queries_to_the_start_stacks_group_through_the_real_custom_resource():
    with Emulator(CONFIG) as emulator:
        configs = emulator.client("route53").list_query_logging_configs()["QueryLoggingConfigs"]
        assert [(c["HostedZoneId"], c["CloudWatchLogsLogGroupArn"].split(":log-group:")[1]) for c in configs] == [
            (CONFIG.base.hosted_zone_id, "/aws/route53/example.com:*")]
        custom = next(c for c in emulator.deployment.custom_resources if c.type == "Custom::NapstackQueryLogging")
        assert custom.physical_id == configs[0]["Id"]
        emulator.deployment.send(custom, "Delete")  # what a destroy does: the zone stops logging
        assert not emulator.client("route53").list_query_logging_configs()["QueryLoggingConfigs"]
