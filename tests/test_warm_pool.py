"""Ec2.WarmPool (issue 25): the templates it synthesizes (pool, user data, launch hook, the instance's grant, the
hook's rule patterns), cdk-nag and cfn-lint over them, its price in `napstack cost` and what `check` says of it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from napstack.config import ConfigError, load_config
from napstack.cost import estimate, render
from napstack.image_registry import ecr_region, registry_host
from napstack.settings import LIFECYCLE_HOOK_NAME, WARM_POOL_HOOK_NAME
from stacks.warm_pool import BOOT_SCRIPT, boot_script
from tests.conftest import napstack_cli
from tests.test_config import write_configs, with_changes
from tests.test_stacks import hook_rules, one, resources_of


@pytest.fixture(scope="module")
def pooled_file(tmp_path_factory) -> Path:
    return write_configs(tmp_path_factory.mktemp("pooled"), with_changes(Ec2__WarmPool=True))


@pytest.fixture(scope="module")
def pooled(pooled_file, synthesized):
    from napstack.assembly import load_assembly

    return load_assembly(synthesized(pooled_file))["Napstack-TestGame"]


def user_data(ecs_asg) -> str:
    """The launch template's user data as the instance runs it (tokens shown as their CloudFormation JSON)."""
    data = one(ecs_asg, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    return "".join(part if isinstance(part, str) else json.dumps(part) for part in data["Fn::Join"][1])


def test_the_pool_keeps_exactly_one_instance_stopped(pooled):
    pool = one(pooled.nested["EcsAsg"], "AWS::AutoScaling::WarmPool")
    assert pool["Properties"] == {"AutoScalingGroupName": "Napstack-TestGame", "PoolState": "Stopped", "MinSize": 0,
                                  "MaxGroupPreparedCapacity": 1}
    assert "InstanceReusePolicy" not in pool["Properties"]  # ReuseOnScaleIn is not supported for ECS groups


def test_off_by_default_nothing_of_it_is_synthesized(leaf, synthesized, tmp_path):
    ecs_asg = leaf.nested["EcsAsg"]
    assert not resources_of(ecs_asg, "AWS::AutoScaling::WarmPool")
    assert "ECS_WARM_POOLS_CHECK" not in user_data(ecs_asg)
    assert "Destination" not in json.dumps(hook_rules(leaf)["AsgLaunches"]["EventPattern"])


def test_a_pooled_instance_pulls_the_image_and_completes_its_own_launch_action(pooled):
    ecs_asg = pooled.nested["EcsAsg"]
    script = user_data(ecs_asg)
    assert "ECS_WARM_POOLS_CHECK=true" in script and "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached" in script
    # A fresh heartbeat just before the pull: boot and Docker's start have spent part of the one from the launch.
    heartbeat, pull = script.index("action record-lifecycle-action-heartbeat"), script.index("timeout 240 docker pull nginx")
    assert script.index("docker info") < heartbeat < pull
    assert "--retry 10 --retry-connrefused" in script  # IMDS early in a boot
    assert "autoscaling/target-lifecycle-state" in script and '"Warmed:Stopped"' in script
    assert f"--lifecycle-hook-name {WARM_POOL_HOOK_NAME}" in script
    assert "--auto-scaling-group-name Napstack-TestGame" in script
    assert 'AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=5 aws autoscaling "$1"' in script
    assert "action complete-lifecycle-action --lifecycle-action-result CONTINUE" in script
    # Written as a per-boot script (a pooled instance boots again at the wake) and run once now, on the first boot.
    assert script.endswith("\n/var/lib/cloud/scripts/per-boot/napstack-warm-pool.sh")
    hooks = {h["Properties"]["LifecycleHookName"]: h["Properties"] for h in resources_of(ecs_asg, "AWS::AutoScaling::LifecycleHook")}
    warming = hooks[WARM_POOL_HOOK_NAME]
    assert warming["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert (warming["DefaultResult"], warming["HeartbeatTimeout"]) == ("CONTINUE", 300)  # never hangs
    assert set(hooks) == {WARM_POOL_HOOK_NAME, LIFECYCLE_HOOK_NAME}


def test_an_image_name_cannot_break_out_of_the_script(tmp_path, synthesized):
    from napstack.assembly import load_assembly

    config = write_configs(tmp_path, with_changes(Ec2__WarmPool=True, Container__Image="nginx;reboot $(id)"))
    script = user_data(load_assembly(synthesized(config))["Napstack-TestGame"].nested["EcsAsg"])
    assert "docker pull 'nginx;reboot $(id)'" in script


def test_the_instance_may_complete_lifecycle_actions_of_its_own_group_only(pooled):
    ecs_asg = pooled.nested["EcsAsg"]
    granted = [(s["Action"], json.dumps(s["Resource"])) for p in resources_of(ecs_asg, "AWS::IAM::Policy")
               if "InstanceRole" in json.dumps(p["Properties"]["Roles"])
               for s in p["Properties"]["PolicyDocument"]["Statement"] if "autoscaling" in json.dumps(s["Action"])]
    assert len(granted) == 1
    action, resource = granted[0]
    assert action == ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"]
    assert resource.endswith(':autoScalingGroup:*:autoScalingGroupName/Napstack-TestGame"]]}')
    pool = one(ecs_asg, "AWS::AutoScaling::WarmPool")
    assert any(dep.startswith("WarmPoolCompleteOwnLaunch") for dep in pool["DependsOn"])  # granted before the first


def test_launches_into_the_pool_never_reach_the_hook(pooled):
    rules = hook_rules(pooled)
    launches = rules["AsgLaunches"]["EventPattern"]["detail"]
    assert launches["$or"] == [{"Destination": ["AutoScalingGroup"]}, {"Destination": [{"exists": False}]}]
    # Terminations keep reaching the hook: one from the pool is told apart there (and its action completed).
    assert "Destination" not in json.dumps(rules["AsgTerminating"]["EventPattern"])


def test_the_pooled_config_passes_cdk_nag_and_cfn_lint(pooled_file, synthesized):
    folder = synthesized(pooled_file)  # synthesized with AwsSolutions on: a finding would have raised
    templates = [str(t) for t in sorted(folder.glob("*.template.json"))]
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
                            capture_output=True, text=True)
    assert result.returncode in (0, 4), result.stdout + result.stderr


def test_warm_pool_is_a_boolean_as_written(tmp_path):
    with pytest.raises(ConfigError, match="Ec2.WarmPool"):
        load_config(write_configs(tmp_path, with_changes(Ec2__WarmPool="yes")))


def line(result, starts: str):
    (found,) = [line for line in result.lines if line.item.startswith(starts)]
    return found


def test_cost_prices_the_stopped_volume_every_month_and_a_refill_per_session(pooled_file):
    config = load_config(pooled_file)  # t3.small, 30 GiB root
    result = estimate(config, hours_per_month=60, sessions_per_month=20)
    volume, refill = line(result, "Warm pool: the stopped"), line(result, "Warm pool: the refill")
    assert volume.paid_while_idle and not refill.paid_while_idle
    assert volume.usd_per_month == pytest.approx(30 * 0.08 * (730 - 60) / 730)
    assert refill.usd_per_month == pytest.approx(20 * 5 / 60 * (0.0208 + 0.005))
    asleep = estimate(config, hours_per_month=0)
    assert line(asleep, "Warm pool: the stopped").usd_per_month == pytest.approx(30 * 0.08)  # $2.40 all month
    assert result.asleep_month == pytest.approx(asleep.total)
    assert result.asleep_month - result.asleep_without_warm_pool == pytest.approx(2.40)
    text = render(config, result)
    assert re.search(rf"asleep without the warm pool +\$ +{result.asleep_without_warm_pool:.2f}", text)


def test_without_the_pool_cost_is_as_before(tmp_path):
    result = estimate(load_config(write_configs(tmp_path, with_changes())))
    assert result.asleep_without_warm_pool is None
    assert not [line for line in result.lines if line.item.startswith("Warm pool")]


def test_check_explains_the_trade_off(pooled_file, tmp_path):
    said = napstack_cli("check", str(pooled_file))
    assert said.returncode == 0, said.stderr
    assert "Ec2.WarmPool: a wake starts a stopped instance whose image is already on its disk" in said.stdout
    result = estimate(load_config(pooled_file))
    assert f"asleep for a month ${result.asleep_month:.2f} instead of ${result.asleep_without_warm_pool:.2f}" in said.stdout
    plain = napstack_cli("check", str(write_configs(tmp_path, with_changes())))
    assert "WarmPool" not in plain.stdout


def test_the_pool_script_runs_last_after_the_cluster_is_written(pooled):
    """It completes the launch action, after which AWS stops a pool-bound instance: anything after it could be cut."""
    lines = user_data(pooled.nested["EcsAsg"]).splitlines()
    (cluster,) = [i for i, line in enumerate(lines) if line.startswith("echo ECS_CLUSTER=")]
    assert lines[-1] == BOOT_SCRIPT and lines.count(BOOT_SCRIPT) == 1 and cluster < len(lines) - 1


ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/games/mc:1"


def test_a_private_ecr_image_is_pulled_after_a_login_to_its_registry():
    script = boot_script(ECR_IMAGE, "Napstack-TestGame", "us-east-1")
    (login,) = [i for i, line in enumerate(script) if "aws ecr get-login-password --region eu-west-1" in line]
    (pull,) = [i for i, line in enumerate(script) if "docker pull" in line]
    assert login < pull and "--password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com" in script[login + 1]
    public = boot_script("public.ecr.aws/docker/library/nginx:latest", "Napstack-TestGame", "us-east-1")
    assert not [line for line in public if "docker login" in line]  # anonymous: no login to fail


@pytest.mark.parametrize("image", [ECR_IMAGE, "nginx", "nginx;reboot $(id)"])
def test_the_pool_script_is_valid_shell(tmp_path, image):
    (tmp_path / "user-data.sh").write_text("\n".join([*boot_script(image, "Napstack-TestGame", "us-east-1"), BOOT_SCRIPT]))
    checked = subprocess.run(["bash", "-n", str(tmp_path / "user-data.sh")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("image, host, region", [
    ("nginx", "docker.io", None),
    ("itzg/minecraft-server:java21", "docker.io", None),
    ("localhost:5000/game", "localhost:5000", None),
    ("public.ecr.aws/docker/library/nginx", "public.ecr.aws", None),
    ("ghcr.io/owner/game:1", "ghcr.io", None),
    (ECR_IMAGE, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1"),
    ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/game", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/game", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1"),
    ("123456789012.dkr-ecr.ap-southeast-2.on.aws/game", "123456789012.dkr-ecr.ap-southeast-2.on.aws", "ap-southeast-2"),
    ("12345.dkr.ecr.eu-west-1.amazonaws.com/game", "12345.dkr.ecr.eu-west-1.amazonaws.com", None),  # not an account
])
def test_the_registry_is_read_from_the_image_name_as_docker_reads_it(image, host, region):
    assert (registry_host(image), ecr_region(registry_host(image))) == (host, region)


def test_check_warns_of_a_registry_the_pool_cannot_log_in_to(tmp_path):
    for image, warned in [("ghcr.io/owner/game:1", "from ghcr.io without a login"), (ECR_IMAGE, None),
                          ("itzg/minecraft-server", None)]:
        said = napstack_cli("check", str(write_configs(tmp_path, with_changes(Ec2__WarmPool=True, Container__Image=image))))
        assert said.returncode == 0, said.stderr
        assert (warned in said.stdout) if warned else ("warning:" not in said.stdout), said.stdout


def test_a_new_launch_template_version_replaces_the_pooled_instances_and_only_those(pooled):
    """The custom resource is keyed on the group's launch template version (the cluster, file system and image are in
    its user data), runs after the pool exists, and may end instances of its own group only."""
    ecs_asg = pooled.nested["EcsAsg"]
    (refresh,) = resources_of(ecs_asg, "Custom::NapstackWarmPoolRefresh")
    (template_id,) = [k for k, v in ecs_asg.resources.items() if v["Type"] == "AWS::EC2::LaunchTemplate"]
    properties = refresh["Properties"]
    assert properties["AutoScalingGroupName"] == "Napstack-TestGame"
    assert properties["LaunchTemplateVersion"] == {"Fn::GetAtt": [template_id, "LatestVersionNumber"]}
    assert properties["LaunchTemplateId"] == {"Ref": template_id}
    (pool_id,) = [k for k, v in ecs_asg.resources.items() if v["Type"] == "AWS::AutoScaling::WarmPool"]
    assert pool_id in refresh["DependsOn"]
    (grant,) = [p for p in resources_of(ecs_asg, "AWS::IAM::Policy")
                if any("TerminateInstanceInAutoScalingGroup" in json.dumps(s["Action"])
                       for s in p["Properties"]["PolicyDocument"]["Statement"])]
    statements = {s["Action"]: json.dumps(s["Resource"]) for s in grant["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["autoscaling:DescribeWarmPool"] == '"*"'  # no resource-level permissions for it
    assert statements["autoscaling:TerminateInstanceInAutoScalingGroup"].endswith(
        ':autoScalingGroup:*:autoScalingGroupName/Napstack-TestGame"]]}')
    assert set(statements) == {"autoscaling:DescribeWarmPool", "autoscaling:TerminateInstanceInAutoScalingGroup"}
