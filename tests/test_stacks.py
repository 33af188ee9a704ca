"""What the synthesized CloudFormation promises: security defaults, 0..1 instances, data kept, least privilege."""

import json
import os

import pytest

from tests.conftest import BASE_STACK, EXAMPLES, START_STACK


def resources_of(stack, resource_type):
    return [r for r in stack.resources.values() if r["Type"] == resource_type]


def one(stack, resource_type):
    found = resources_of(stack, resource_type)
    assert len(found) == 1, f"{stack.name}: {len(found)} {resource_type}"
    return found[0]


def statements(stack):
    return [s for p in resources_of(stack, "AWS::IAM::Policy") for s in p["Properties"]["PolicyDocument"]["Statement"]]


def start_server_function(start) -> dict:
    """The Start stack's start_server (beside it: the query-logging custom resource's function and its provider)."""
    (function,) = [f["Properties"] for f in resources_of(start, "AWS::Lambda::Function")
                   if "LEAF_REGION" in f["Properties"].get("Environment", {}).get("Variables", {})]
    return function


def as_list(value):
    return value if isinstance(value, list) else [value]


def test_leaf_is_exactly_the_six_nested_stacks(leaf):
    assert list(leaf.nested) == ["SecurityGroups", "Container", "Efs", "EcsAsg", "Watchdog", "AsgStateChangeHook"]


def test_vpc_has_public_subnets_and_no_nat(minecraft):
    base = minecraft[BASE_STACK]
    assert not resources_of(base, "AWS::EC2::NatGateway")
    assert not resources_of(base, "AWS::EC2::VPCEndpoint")
    subnets = resources_of(base, "AWS::EC2::Subnet")
    assert len(subnets) == 2 and all(s["Properties"]["MapPublicIpOnLaunch"] for s in subnets)


def test_alert_emails_subscribe_to_the_topic(minecraft):
    base = minecraft[BASE_STACK]
    subscription = one(base, "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == "admin@example.com"


def test_an_address_the_base_subscribes_is_not_subscribed_again_by_the_leaf(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_config import write_configs, with_changes

    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "AlertEmails": ["ops@example.org"]}
    leaf_file = write_configs(tmp_path, with_changes(AlertEmails=["OPS@example.org", "sam@example.org"]), base)
    leaf = load_assembly(synthesized(leaf_file))["Napstack-TestGame"]
    assert [s["Properties"]["Endpoint"] for s in resources_of(leaf, "AWS::SNS::Subscription")] == ["sam@example.org"]


def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume(leaf):
    data = one(leaf.nested["EcsAsg"], "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert "KeyName" not in data  # no SSH key unless the base config asks for one
    user_data = json.dumps(data["UserData"])
    assert "/mnt/efs" in user_data and "tls,iam,accesspoint=" in user_data


def test_asg_holds_zero_or_one_instance_and_a_deploy_never_resets_it(leaf):
    asg = one(leaf.nested["EcsAsg"], "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    assert (asg["MinSize"], asg["MaxSize"]) == ("0", "1")
    assert "DesiredCapacity" not in asg  # starts at MinSize 0; redeploys leave a running server alone
    hooks = [h for h in asg.get("LifecycleHookSpecificationList", [])] + [
        r["Properties"] for r in resources_of(leaf.nested["EcsAsg"], "AWS::AutoScaling::LifecycleHook")
    ]
    assert any(h["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING" and h["DefaultResult"] == "CONTINUE" for h in hooks)


def test_service_starts_at_zero_on_the_capacity_provider(leaf):
    service = one(leaf.nested["EcsAsg"], "AWS::ECS::Service")["Properties"]
    assert service["DesiredCount"] == 0
    assert service["CapacityProviderStrategy"][0]["Weight"] == 1
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 0


def test_efs_is_encrypted_kept_and_mounted_with_iam_and_tls(leaf):
    efs = leaf.nested["Efs"]
    file_system = one(efs, "AWS::EFS::FileSystem")
    assert file_system["Properties"]["Encrypted"] is True
    assert file_system["DeletionPolicy"] == "Retain" and file_system["UpdateReplacePolicy"] == "Retain"
    paths = sorted(ap["Properties"]["RootDirectory"].get("Path", "/") for ap in resources_of(efs, "AWS::EFS::AccessPoint"))
    assert paths == ["/", "/volumes/data"]
    assert one(efs, "AWS::Backup::BackupVault")["DeletionPolicy"] == "Retain"
    assert resources_of(efs, "AWS::Backup::BackupSelection")


def test_task_mounts_each_volume_through_its_access_point(leaf):
    task = one(leaf.nested["Container"], "AWS::ECS::TaskDefinition")["Properties"]
    volume = task["Volumes"][0]["EFSVolumeConfiguration"]
    assert volume["TransitEncryption"] == "ENABLED" and volume["AuthorizationConfig"]["IAM"] == "ENABLED"
    container = task["ContainerDefinitions"][0]
    assert container["MountPoints"] == [{"ContainerPath": "/data", "ReadOnly": False, "SourceVolume": "volume0"}]
    assert container["PortMappings"] == [{"ContainerPort": 25565, "HostPort": 25565, "Protocol": "tcp"}]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_task_role_may_mount_only_through_its_access_point(leaf):
    efs_statements = [s for s in statements(leaf.nested["Container"]) if "elasticfilesystem:ClientMount" in as_list(s["Action"])]
    assert efs_statements and all("elasticfilesystem:AccessPointArn" in s["Condition"]["StringEquals"] for s in efs_statements)


def test_security_groups_open_game_ports_nfs_internally_and_no_ssh(leaf):
    groups = leaf.nested["SecurityGroups"]
    rules = [
        rule for sg in resources_of(groups, "AWS::EC2::SecurityGroup") for rule in sg["Properties"].get("SecurityGroupIngress", [])
    ] + [r["Properties"] for r in resources_of(groups, "AWS::EC2::SecurityGroupIngress")]
    public = [r for r in rules if r.get("CidrIp") == "0.0.0.0/0"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in public] == [("tcp", 25565, 25565)]
    nfs = [r for r in rules if r.get("FromPort") == 2049]
    assert len(nfs) == 1 and "SourceSecurityGroupId" in nfs[0]
    assert not [r for r in rules if r.get("FromPort") == 22]


def test_ssh_opens_only_for_configured_cidrs(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_config import write_configs, with_changes

    leaf_file = write_configs(tmp_path, with_changes(Ssh__AllowedCidrs=["203.0.113.7/32"]))
    groups = load_assembly(synthesized(leaf_file))["Napstack-TestGame"].nested["SecurityGroups"]
    ssh = [
        rule
        for sg in resources_of(groups, "AWS::EC2::SecurityGroup")
        for rule in sg["Properties"].get("SecurityGroupIngress", [])
        if rule.get("FromPort") == 22
    ]
    assert [r["CidrIp"] for r in ssh] == ["203.0.113.7/32"]


def test_udp_port_range_is_open_and_mapped(synthesized):
    from napstack.assembly import load_assembly
    from tests.conftest import ROOT

    leaf = load_assembly(synthesized(ROOT / "examples" / "valheim.yaml"))["Napstack-Valheim"]
    task = one(leaf.nested["Container"], "AWS::ECS::TaskDefinition")["Properties"]
    assert [(m["ContainerPort"], m["Protocol"]) for m in task["ContainerDefinitions"][0]["PortMappings"]] == [
        (2456, "udp"),
        (2457, "udp"),
    ]


def test_state_machines_are_standard_and_loaded_from_the_asl_files(leaf):
    for nested, asl in (("Watchdog", "watchdog"), ("AsgStateChangeHook", "asg_state_change")):
        machine = one(leaf.nested[nested], "AWS::StepFunctions::StateMachine")["Properties"]
        assert machine["StateMachineType"] == "STANDARD"
        assert "DefinitionS3Location" in machine or "DefinitionString" in machine
        assert machine["DefinitionSubstitutions"]


def test_send_command_is_limited_to_this_groups_instances_and_the_shell_document(leaf):
    send = [s for s in statements(leaf.nested["Watchdog"]) if s["Action"] == "ssm:SendCommand"]
    on_instances = [s for s in send if "instance/*" in json.dumps(s["Resource"])]
    assert len(on_instances) == 1
    assert "ssm:resourceTag/aws:autoscaling:groupName" in on_instances[0]["Condition"]["StringEquals"]
    assert any("document/AWS-RunShellScript" in json.dumps(s["Resource"]) for s in send)


@pytest.mark.parametrize("nested", ["Watchdog", "AsgStateChangeHook"])
def test_no_write_action_is_granted_on_every_resource(leaf, nested):
    read_only_prefixes = ("Describe", "Get", "List")
    for statement in statements(leaf.nested[nested]):
        if statement["Resource"] == "*":
            for action in as_list(statement["Action"]):
                service, name = action.split(":")
                # PutMetricData has no resources to scope: it must be held to napstack's namespace instead.
                conditioned = action == "cloudwatch:PutMetricData" and statement.get("Condition") == {
                    "StringEquals": {"cloudwatch:namespace": "napstack"}}
                assert name.startswith(read_only_prefixes) or service == "logs" or conditioned, f"{action} on *"


def hook_rules(leaf):
    return {
        rule_id.rstrip("0123456789ABCDEF"): rule["Properties"]
        for rule_id, rule in leaf.nested["AsgStateChangeHook"].resources.items()
        if rule["Type"] == "AWS::Events::Rule"
    }


def test_hook_rules_target_the_hook_state_machine(leaf):
    rules = hook_rules(leaf)
    assert set(rules) == {"AsgLaunches", "AsgTerminating", "GameCrashed", "WatchdogEnded"}
    for rule in rules.values():
        assert "StateMachine" in json.dumps(rule["Targets"][0]["Arn"])


def test_crash_rule_listens_to_this_clusters_crashed_tasks_only(leaf):
    pattern = hook_rules(leaf)["GameCrashed"]["EventPattern"]
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    assert pattern["detail"]["stopCode"] == ["EssentialContainerExited", "TaskFailedToStart"]
    assert "Cluster" in json.dumps(pattern["detail"]["clusterArn"])


def test_hook_rules_listen_to_this_group_only(leaf):
    rules = hook_rules(leaf)
    launches, terminating = rules["AsgLaunches"]["EventPattern"], rules["AsgTerminating"]["EventPattern"]
    assert launches["source"] == terminating["source"] == ["aws.autoscaling"]
    assert set(launches["detail-type"]) == {"EC2 Instance Launch Successful", "EC2 Instance Launch Unsuccessful"}
    assert terminating["detail-type"] == ["EC2 Instance-terminate Lifecycle Action"]
    for pattern in (launches, terminating):
        assert len(pattern["detail"]["AutoScalingGroupName"]) == 1


def test_safety_net_rule_hears_every_watchdog_execution_that_ends_without_scaling_down(leaf):
    """Free and event-driven (no schedule, no alarm): nothing is billed while nobody plays."""
    pattern = hook_rules(leaf)["WatchdogEnded"]["EventPattern"]
    assert (pattern["source"], pattern["detail-type"]) == (["aws.states"], ["Step Functions Execution Status Change"])
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert "Watchdog" in json.dumps(pattern["detail"]["stateMachineArn"])
    hook = leaf.nested["AsgStateChangeHook"]
    assert not resources_of(hook, "AWS::CloudWatch::Alarm")
    # The one schedule is the reconciler's (priced by `napstack cost`), not the safety net's.
    assert [s["Properties"]["Description"].split(": ", 1)[1].startswith("every 5 minutes, put back what a lost")
            for s in resources_of(hook, "AWS::Scheduler::Schedule")] == [True]
    assert all("ScheduleExpression" not in r["Properties"] for r in resources_of(hook, "AWS::Events::Rule"))


def test_terminate_rule_takes_napstacks_own_lifecycle_hook_only(leaf):
    """ECS managed draining adds a hook of its own: its events are ECS's to complete, after the game stopped."""
    (hook,) = resources_of(leaf.nested["EcsAsg"], "AWS::AutoScaling::LifecycleHook")
    assert hook["Properties"]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert one(leaf.nested["EcsAsg"], "AWS::ECS::CapacityProvider")["Properties"]["AutoScalingGroupProvider"][
        "ManagedDraining"
    ] == "ENABLED"
    pattern = hook_rules(leaf)["AsgTerminating"]["EventPattern"]
    assert pattern["detail"]["LifecycleHookName"] == [hook["Properties"]["LifecycleHookName"]]
    assert "ecs-managed-draining-termination-hook" not in pattern["detail"]["LifecycleHookName"]


RETAIN_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def every_stack(stacks):
    for stack in stacks.values():
        yield stack
        yield from every_stack(stack.nested)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_no_retained_resource_has_a_name_its_leftover_would_keep(synthesized, example):
    """deploy -> destroy -> deploy: what a destroy keeps must not hold the name the next deploy asks for."""
    from napstack.assembly import load_assembly

    retained = [
        (stack.name, logical_id, resource)
        for stack in every_stack(load_assembly(synthesized(example)))
        for logical_id, resource in stack.resources.items()
        if resource.get("DeletionPolicy") in RETAIN_POLICIES
    ]
    assert {r["Type"] for _, _, r in retained} >= {"AWS::EFS::FileSystem", "AWS::Backup::BackupVault"}
    for stack_name, logical_id, resource in retained:
        for key, value in resource.get("Properties", {}).items():
            if key.endswith("Name"):  # BackupVaultName, LogGroupName, BucketName, ...
                assert "AWS::StackId" in json.dumps(value), f"{stack_name}/{logical_id}: {key} {value} is fixed"


def test_service_waits_for_the_clusters_capacity_provider_association(leaf):
    ecs_asg = leaf.nested["EcsAsg"].resources
    (association,) = [i for i, r in ecs_asg.items() if r["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"]
    (service,) = [r for r in ecs_asg.values() if r["Type"] == "AWS::ECS::Service"]
    assert association in as_list(service.get("DependsOn", []))


def test_dns_record_exists_from_the_deploy_pointing_at_the_asleep_address(leaf):
    hook = leaf.nested["AsgStateChangeHook"].resources
    (record_id,) = [i for i, r in hook.items() if r["Type"] == "Custom::NapstackDnsRecord"]
    properties = hook[record_id]["Properties"]
    assert (properties["RecordName"], properties["AsleepIp"], properties["Ttl"]) == ("mc.example.com", "192.0.2.1", 30)
    assert properties["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
    assert hook[record_id].get("DeletionPolicy", "Delete") == "Delete"


def test_whatever_rewrites_the_record_is_deleted_before_it(leaf):
    """On destroy CloudFormation deletes dependents first: the rules and the hook state machine go, then the
    record (whatever it points at), and only then the instance (EcsAsg, which the hook stack depends on)."""
    hook = leaf.nested["AsgStateChangeHook"].resources
    (record_id,) = [i for i, r in hook.items() if r["Type"] == "Custom::NapstackDnsRecord"]
    rewriters = [r for r in hook.values() if r["Type"] in ("AWS::Events::Rule", "AWS::StepFunctions::StateMachine")]
    assert len(rewriters) == 5 and all(record_id in as_list(r.get("DependsOn", [])) for r in rewriters)
    hook_stack = next(r for i, r in leaf.resources.items() if i.startswith("AsgStateChangeHook"))
    assert "EcsAsgNestedStack" in json.dumps(hook_stack["Properties"]["Parameters"])  # takes EcsAsg's outputs


def test_the_record_function_may_change_only_the_servers_own_record(leaf):
    hook = leaf.nested["AsgStateChangeHook"]
    changes = [s for s in statements(hook) if s["Action"] == "route53:ChangeResourceRecordSets"]
    assert len(changes) == 3  # the hook state machine's, the record function's and the reconciler's
    for statement in changes:
        condition = statement["Condition"]["ForAllValues:StringEquals"]
        assert condition["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == ["mc.example.com"]
        assert condition["route53:ChangeResourceRecordSetsRecordTypes"] == ["A"]


def record_grant(hook):
    """The record function's grant on the record, which the record depends on."""
    (record,) = [r for r in hook.resources.values() if r["Type"] == "Custom::NapstackDnsRecord"]
    (grant_id,) = [d for d in as_list(record.get("DependsOn", [])) if hook.resources[d]["Type"] == "AWS::IAM::Policy"]
    return grant_id, hook.resources[grant_id]["Properties"]["PolicyDocument"]["Statement"]


def test_a_new_hosted_zone_is_a_new_grant_so_the_old_record_is_deleted_before_its_grant(leaf, tmp_path, synthesized):
    """CloudFormation deletes the replaced record in its clean-up: the old zone's grant, a resource of its own that
    the record depends on, must outlive it there (a grant rewritten in place would name only the new zone)."""
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    grant_id, statements_ = record_grant(leaf.nested["AsgStateChangeHook"])
    assert "hostedzone/Z0123456789ABCDEFGHIJ" in json.dumps(statements_)
    same_name = write_configs(tmp_path, {**GOOD, "Dns": {"SubDomain": "mc"}},
                              base={"DomainName": "example.com", "HostedZoneId": "Z9999999999"})
    moved_id, moved_statements = record_grant(load_assembly(synthesized(same_name))["Napstack-TestGame"].nested["AsgStateChangeHook"])
    assert moved_id != grant_id and "hostedzone/Z9999999999" in json.dumps(moved_statements)


def test_base_and_leaf_deploy_to_the_leaf_region(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    leaf_file = write_configs(
        tmp_path, GOOD, {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "LeafRegion": "eu-west-1"}
    )
    manifest = json.loads((synthesized(leaf_file) / "manifest.json").read_text())
    regions = {name: a["environment"].rsplit("/", 1)[-1] for name, a in manifest["artifacts"].items() if "environment" in a}
    assert regions == {"Napstack-Base-ExampleOrg-EuWest1": "eu-west-1", "Napstack-TestGame": "eu-west-1",
                       "Napstack-Start-ExampleOrg-EuWest1": "us-east-1"}
    # start_server calls that same region, and the base stack's zones are CloudFormation's, not a synth-time lookup.
    start = load_assembly(synthesized(leaf_file))["Napstack-Start-ExampleOrg-EuWest1"]
    assert start_server_function(start)["Environment"]["Variables"]["LEAF_REGION"] == "eu-west-1"
    assert "Fn::GetAZs" in json.dumps(load_assembly(synthesized(leaf_file))["Napstack-Base-ExampleOrg-EuWest1"].template)


def image_parameter(stack) -> str:
    """The public SSM parameter the launch template's image comes from (a template parameter's default)."""
    data = one(stack.nested["EcsAsg"], "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    parameter = data["ImageId"]["Ref"]
    return stack.nested["EcsAsg"].template["Parameters"][parameter]["Default"]


def test_an_x86_type_boots_the_x86_ecs_image(leaf):
    assert image_parameter(leaf) == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"


def test_a_graviton_type_boots_the_arm64_ecs_image(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    leaf_file = write_configs(tmp_path, {**GOOD, "Ec2": {"InstanceType": "t4g.medium"}})
    leaf_stack = load_assembly(synthesized(leaf_file))["Napstack-TestGame"]
    assert image_parameter(leaf_stack) == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    data = one(leaf_stack.nested["EcsAsg"], "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["InstanceType"] == "t4g.medium"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_function_logs_to_a_group_its_stack_owns_with_retention(synthesized, example):
    """CDK's provider framework included: a function without one logs to a group Lambda creates on first use, kept
    forever and left behind by destroy. Logs are not game data: deleted with the stack."""
    from napstack.assembly import load_assembly

    functions = [(stack, logical_id, resource) for stack in every_stack(load_assembly(synthesized(example)))
                 for logical_id, resource in stack.resources.items() if resource["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 4  # count_connections, dns_record, the provider framework's, start_server
    for stack, logical_id, function in functions:
        group_ref = function["Properties"].get("LoggingConfig", {}).get("LogGroup", {})
        assert set(group_ref) == {"Ref"}, f"{stack.name}/{logical_id} logs to {group_ref or 'a group Lambda makes'}"
        group = stack.resources[group_ref["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] > 0
        assert group.get("DeletionPolicy", "Delete") == "Delete", f"{stack.name}/{logical_id}: its logs outlive destroy"


def test_state_machines_log_under_the_vended_logs_prefix(leaf):
    """Any other name adds to the account's CloudWatch Logs resource policy, which fills up after a few games."""
    for nested in ("Watchdog", "AsgStateChangeHook"):
        stack = leaf.nested[nested]
        machine = one(stack, "AWS::StepFunctions::StateMachine")["Properties"]
        for destination in machine["LoggingConfiguration"]["Destinations"]:
            group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
            name = stack.resources[group_id]["Properties"]["LogGroupName"]
            assert name.startswith("/aws/vendedlogs/states/"), name


def pinned(package: str) -> str:
    from tests.conftest import ROOT

    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower().replace("_", "-") == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")


NAPSTACK_FUNCTIONS = [("Napstack-MinecraftJava", "Watchdog"), ("Napstack-MinecraftJava", "AsgStateChangeHook"),
                      (START_STACK, None)]


def function_assets(stack):
    """(properties, asset folder) of each function whose code is one of napstack's functions/<name> folders."""
    found = []
    for function in resources_of(stack, "AWS::Lambda::Function"):
        folder = stack.assets.get(function["Properties"]["Code"].get("S3Key", ""))
        if folder is not None and (folder / "app.py").is_file():
            found.append((function["Properties"], folder))
    return found


@pytest.mark.parametrize("stack_name,nested", NAPSTACK_FUNCTIONS)
def test_no_function_needs_a_layer_or_a_parameter_that_may_not_exist_in_its_region(minecraft, stack_name, nested):
    """AWS's public Powertools layer parameter is missing for some releases and regions: nothing may depend on it."""
    stack = minecraft[stack_name].nested[nested] if nested else minecraft[stack_name]
    assert function_assets(stack)
    assert not [f for f in resources_of(stack, "AWS::Lambda::Function") if f["Properties"].get("Layers")]
    assert "resolve:ssm" not in json.dumps(stack.template)
    for function, _ in function_assets(stack):
        assert (function["Runtime"], function.get("Architectures", ["x86_64"])) == ("python3.14", ["x86_64"])


@pytest.mark.parametrize("stack_name,nested", NAPSTACK_FUNCTIONS)
def test_each_handler_imports_from_its_asset_alone_at_the_pinned_releases(minecraft, stack_name, nested, tmp_path):
    """What Lambda does at a cold start: the asset first, then only the runtime's own SDK, no site-packages."""
    import subprocess

    from napstack.bench import LAMBDA_ENV, lambda_import_command

    stack = minecraft[stack_name].nested[nested] if nested else minecraft[stack_name]
    for number, (_, asset) in enumerate(function_assets(stack)):
        code = ("import app, aws_lambda_powertools, sys; from importlib.metadata import version; "
                "print(version('aws-lambda-powertools'), aws_lambda_powertools.__file__.startswith(sys.path[0]))")
        result = subprocess.run(lambda_import_command(asset, tmp_path / str(number), code), capture_output=True,
                                text=True, env={**os.environ, **LAMBDA_ENV})
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [pinned("aws-lambda-powertools"), "True"]


def test_compiled_parts_are_built_for_lambdas_python_and_machine(minecraft):
    """pydantic-core (the parser's) is compiled: the asset carries Lambda's build, not this machine's."""
    (function, asset), = function_assets(minecraft["Napstack-MinecraftJava"].nested["Watchdog"])
    compiled = sorted(asset.rglob("*.so"))
    assert [p.name for p in compiled] == ["_pydantic_core.cpython-314-x86_64-linux-gnu.so"]
    header = compiled[0].read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 0x3E  # EM_X86_64
    assert (asset / f"pydantic_core-{pinned('pydantic-core')}.dist-info").is_dir()
    assert not list(asset.rglob("__pycache__")) and not (asset / "bin").exists()


def test_a_function_bundles_only_what_its_requirements_need(minecraft):
    """Powertools without its parser needs no pydantic: dns_record and start_server stay small; launch_failures,
    which parses its event with a model, bundles it."""
    for stack in (minecraft["Napstack-MinecraftJava"].nested["AsgStateChangeHook"], minecraft[START_STACK]):
        for _, asset in function_assets(stack):
            assert (asset / "aws_lambda_powertools").is_dir()
            parses = "utilities.parser import" in (asset / "app.py").read_text()
            assert (asset / "pydantic").exists() == parses and (asset / "pydantic_core").exists() == parses


def test_dns_changes_are_limited_to_the_servers_own_record(leaf):
    route53 = [s for s in statements(leaf.nested["AsgStateChangeHook"]) if s["Action"] == "route53:ChangeResourceRecordSets"]
    assert route53
    for statement in route53:
        condition = statement["Condition"]["ForAllValues:StringEquals"]
        assert condition["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == ["mc.example.com"]
        assert "hostedzone/Z0123456789ABCDEFGHIJ" in json.dumps(statement["Resource"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_synthesizes(synthesized, example):
    from napstack.assembly import load_assembly

    stacks = load_assembly(synthesized(example))
    assert BASE_STACK in stacks
    leaf_stack = next(s for name, s in stacks.items() if name != BASE_STACK)
    assert len(leaf_stack.nested) == 6


def test_start_stack_lives_in_us_east_1_with_query_logging_for_the_zone(minecraft, synthesized):
    import json as _json

    from tests.conftest import ROOT

    start = minecraft[START_STACK]
    manifest = _json.loads((synthesized(ROOT / "examples" / "minecraft-java.yaml") / "manifest.json").read_text())
    assert manifest["artifacts"][START_STACK]["environment"].endswith("/us-east-1")
    # The configuration is a custom resource that waits out the resource policy's propagation, created after it.
    assert not resources_of(start, "AWS::Route53::QueryLoggingConfig")
    (logical_id, logging_config), = [(k, r) for k, r in start.resources.items() if r["Type"] == "Custom::NapstackQueryLogging"]
    assert logging_config["Properties"]["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
    (log_group_id, log_group), = [(k, g) for k, g in start.resources.items()
                                  if g["Type"] == "AWS::Logs::LogGroup" and "LogGroupName" in g["Properties"]]
    assert log_group["Properties"]["LogGroupName"] == "/aws/route53/example.com"
    assert log_group["Properties"]["RetentionInDays"] == 7
    assert logging_config["Properties"]["LogGroupArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    (policy_id, policy), = [(k, r) for k, r in start.resources.items() if r["Type"] == "AWS::Logs::ResourcePolicy"]
    assert "route53.amazonaws.com" in json.dumps(policy["Properties"]["PolicyDocument"])
    assert policy_id in logging_config["DependsOn"]
    grants = {a for s in statements(start) for a in as_list(s["Action"]) if "QueryLoggingConfig" in a}
    assert grants == {"route53:CreateQueryLoggingConfig", "route53:ListQueryLoggingConfigs", "route53:DeleteQueryLoggingConfig"}


def query_line(name: str, query_type: str) -> str:
    return f"1.0 2026-11-20T19:58:01.000Z Z0123456789ABCDEFGHIJ {name} {query_type} NOERROR UDP IAD89-C1 198.51.100.7 -"


def test_one_subscription_filter_sends_only_the_games_lookups_to_start_server(minecraft):
    from napstack.emulator.log_filter import passes

    start = minecraft[START_STACK]
    subscription = one(start, "AWS::Logs::SubscriptionFilter")["Properties"]
    pattern = subscription["FilterPattern"]
    # Every game beside base.yaml is served, whichever game's deploy synthesizes the Start stack.
    for name in ("mc.example.com", "bedrock.example.com", "valheim.example.com", "palworld.example.com", "Mc.ExAmple.COM"):
        assert passes(pattern, query_line(name, "A")) and passes(pattern, query_line(name, "AAAA")), name
    for name, query_type in (("www.example.com", "A"), ("example.com", "A"), ("mc.example.com", "MX"),
                             ("mc.example.com", "TXT"), ("mc.other.example.com", "A"), ("xmc.example.com", "A")):
        assert not passes(pattern, query_line(name, query_type)), (name, query_type)
    assert len(pattern) <= 1024 and pattern.count("%") == 4  # CloudWatch Logs: 1,024 characters, 2 regexes
    assert subscription["FilterName"] == START_STACK  # unique in a group a second base may share
    function = start_server_function(start)
    assert function["Environment"]["Variables"]["LEAF_REGION"] == "us-east-1"


def test_two_bases_in_one_account_have_their_own_stacks_and_the_second_reuses_the_zones_query_logs(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    for folder in ("us", "eu"):
        (tmp_path / folder).mkdir()
    first = write_configs(tmp_path / "us", GOOD)
    second = write_configs(tmp_path / "eu", {**GOOD, "Dns": {"SubDomain": "eu-game", "StartOn": ["A"]}}, {
        "DomainName": "example.org", "HostedZoneId": "Z1234567890", "LeafRegion": "eu-west-1",
        "QueryLogGroup": "/aws/route53/example.org"})
    us, eu = load_assembly(synthesized(first)), load_assembly(synthesized(second))
    assert {"Napstack-Base-ExampleOrg-UsEast1", "Napstack-Start-ExampleOrg-UsEast1"} <= set(us)
    assert {"Napstack-Base-ExampleOrg-EuWest1", "Napstack-Start-ExampleOrg-EuWest1"} <= set(eu)
    start = eu["Napstack-Start-ExampleOrg-EuWest1"]
    # Route53 allows one query-logging configuration per zone: the second base only subscribes to the first's group.
    for kind in ("Custom::NapstackQueryLogging", "AWS::Logs::ResourcePolicy"):
        assert not resources_of(start, kind)
    assert not [g for g in resources_of(start, "AWS::Logs::LogGroup") if g["Properties"].get("LogGroupName")]
    subscription = one(start, "AWS::Logs::SubscriptionFilter")["Properties"]
    assert subscription["LogGroupName"] == "/aws/route53/example.org"
    assert "[eE][uU]-[gG][aA][mM][eE]" in subscription["FilterPattern"]
    assert "type = A," in subscription["FilterPattern"] and "AAAA" not in subscription["FilterPattern"]


def test_start_server_may_scale_only_napstack_groups(minecraft):
    writes = [s for s in statements(minecraft[START_STACK]) if "autoscaling:SetDesiredCapacity" in as_list(s["Action"])]
    assert len(writes) == 1
    assert writes[0]["Condition"] == {"StringLike": {"autoscaling:ResourceTag/napstack:dns-name": "*"}}


def test_leaf_asg_carries_the_tags_start_server_routes_by(leaf):
    asg = one(leaf.nested["EcsAsg"], "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    tags = {t["Key"]: t["Value"] for t in asg["Tags"]}
    assert tags["napstack:dns-name"] == "mc.example.com"
    assert tags["napstack:start-on"] == "A AAAA"
    assert tags["napstack:cooldown"] == "0/3"


def test_the_world_cools_to_infrequent_access_and_warms_back_on_access(leaf):
    file_system = one(leaf.nested["Efs"], "AWS::EFS::FileSystem")["Properties"]
    assert file_system["LifecyclePolicies"] == [
        {"TransitionToIA": "AFTER_7_DAYS"},
        {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]
    assert file_system.get("ThroughputMode", "bursting") == "bursting" and "AvailabilityZoneName" not in file_system
    (rule,) = one(leaf.nested["Efs"], "AWS::Backup::BackupPlan")["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35} and rule["ScheduleExpression"] == "cron(0 5 * * ? *)"


def test_efs_automatic_backups_are_off_so_only_napstacks_own_plan_runs(leaf):
    """EFS turns automatic backups on by default for One Zone file systems: the policy is written on every one."""
    assert one(leaf.nested["Efs"], "AWS::EFS::FileSystem")["Properties"]["BackupPolicy"] == {"Status": "DISABLED"}


@pytest.mark.parametrize("zone, placed_by", [("use1-az4", "AvailabilityZoneId"), ("us-east-1c", "AvailabilityZone")])
def test_one_zone_puts_the_file_system_and_the_server_in_the_zone_the_config_names(tmp_path, synthesized, zone, placed_by):
    """Not the region's first zone by position: the config's, by zone ID (CloudFormation places the subnet, no lookup
    at synth) or by name; the file system takes the zone the subnet reports, the group launches only there."""
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    leaf_file = write_configs(tmp_path, {**GOOD, "Volumes": [{"ContainerPath": "/data"}],
                                         "Efs": {"OneZone": True, "AvailabilityZone": zone, "BackupSchedule": "weekly",
                                                 "BackupRetentionDays": 14}})
    stacks = load_assembly(synthesized(leaf_file))
    leaf_stack = stacks["Napstack-TestGame"]
    (subnet_id,) = [i for i, r in leaf_stack.resources.items() if r["Type"] == "AWS::EC2::Subnet"]
    subnet = leaf_stack.resources[subnet_id]["Properties"]
    assert subnet[placed_by] == zone and subnet["MapPublicIpOnLaunch"] is True
    (block,) = resources_of(leaf_stack, "AWS::EC2::VPCCidrBlock")
    assert subnet["CidrBlock"] == block["Properties"]["CidrBlock"] and not block["Properties"]["CidrBlock"].startswith("10.0.")
    (routes,) = resources_of(leaf_stack, "AWS::EC2::SubnetRouteTableAssociation")
    assert routes["Properties"]["SubnetId"] == {"Ref": subnet_id} and "PublicSubnet1RouteTable" in json.dumps(routes)

    def from_the_subnet(nested, value, attribute):  # a nested stack's parameter, set by the leaf from the subnet
        parameter = value["Ref"]
        nested_resource = next(r for i, r in leaf_stack.resources.items() if i.startswith(nested + "NestedStack"))
        return nested_resource["Properties"]["Parameters"][parameter] == attribute

    file_system = one(leaf_stack.nested["Efs"], "AWS::EFS::FileSystem")["Properties"]
    assert from_the_subnet("Efs", file_system["AvailabilityZoneName"], {"Fn::GetAtt": [subnet_id, "AvailabilityZone"]})
    assert file_system["BackupPolicy"] == {"Status": "DISABLED"}  # EFS's One Zone default is on
    (mount,) = resources_of(leaf_stack.nested["Efs"], "AWS::EFS::MountTarget")
    assert from_the_subnet("Efs", mount["Properties"]["SubnetId"], {"Ref": subnet_id})
    (asg_subnet,) = one(leaf_stack.nested["EcsAsg"], "AWS::AutoScaling::AutoScalingGroup")["Properties"]["VPCZoneIdentifier"]
    assert from_the_subnet("EcsAsg", asg_subnet, {"Ref": subnet_id})
    (rule,) = one(leaf_stack.nested["Efs"], "AWS::Backup::BackupPlan")["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 14} and "MON" in rule["ScheduleExpression"]


def test_throughput_is_the_configs_choice_and_stays_elastic_when_archive_is_turned_off(tmp_path, synthesized):
    """EFS refuses to leave Elastic while files are in Archive: the deploy after Archive is turned off keeps it."""
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    def file_system(name, efs):
        (tmp_path / name).mkdir()
        leaf_file = write_configs(tmp_path / name, {**GOOD, "Volumes": [{"ContainerPath": "/data"}], "Efs": efs})
        return one(load_assembly(synthesized(leaf_file))["Napstack-TestGame"].nested["Efs"], "AWS::EFS::FileSystem")["Properties"]

    archived = file_system("archive", {"ArchiveAfterDays": 90, "ThroughputMode": "elastic"})
    assert {"TransitionToArchive": "AFTER_90_DAYS"} in archived["LifecyclePolicies"]
    assert archived["ThroughputMode"] == "elastic"
    archive_off = file_system("archive-off", {"ThroughputMode": "elastic"})
    assert archive_off["ThroughputMode"] == "elastic"
    assert not any("TransitionToArchive" in policy for policy in archive_off["LifecyclePolicies"])


def test_the_check_function_carries_the_query_libraries_and_they_import_from_the_asset_alone(minecraft):
    """mcstatus and python-a2s (and what they need) are bundled from the pinned installs: the asset imports them
    with nothing else on the path (a fresh interpreter, site-packages off)."""
    import subprocess
    import sys

    watchdog = minecraft["Napstack-MinecraftJava"].nested["Watchdog"]
    code = one(watchdog, "AWS::Lambda::Function")["Properties"]["Code"]["S3Key"]
    folder = watchdog.assets[code]
    assert {"mcstatus", "a2s", "dns", "asyncio_dgram", "game_query.py", "app.py"} <= {p.name for p in folder.iterdir()}
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import game_query, mcstatus, a2s; "  # and what game_query uses
             "import mcstatus._protocol.java_client, mcstatus._protocol.bedrock_client, mcstatus._protocol.io.connection, "
             "mcstatus._net.address, a2s.a2s_sync, a2s.info, a2s.players; print(game_query.PROTOCOLS)")
    result = subprocess.run([sys.executable, "-S", "-c", probe, str(folder)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "minecraft-java" in result.stdout


def test_describe_instances_is_granted_only_to_a_check_that_queries_the_game(minecraft, synthesized, tmp_path):
    from napstack.assembly import load_assembly
    from tests.test_config import GOOD, write_configs

    def grants(stacks, leaf_name):
        return [a for s in statements(stacks[leaf_name].nested["Watchdog"]) for a in as_list(s["Action"])]

    assert "ec2:DescribeInstances" in grants(minecraft, "Napstack-MinecraftJava")  # Query: minecraft-java
    plain = load_assembly(synthesized(write_configs(tmp_path, GOOD)))
    assert "ec2:DescribeInstances" not in grants(plain, "Napstack-TestGame")
