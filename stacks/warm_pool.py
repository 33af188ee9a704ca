"""WarmPool (Ec2.WarmPool): one instance kept stopped beside the group with the game's image on its disk, so a wake
starts it instead of launching a new one. A construct inside EcsAsg: the pool is the group's own setting.

What AWS documents and this follows: the ECS agent must not register a pooled instance (`ECS_WARM_POOLS_CHECK`,
agent 1.59.0 or later: the AL2023 ECS-optimized image's is newer); `ReuseOnScaleIn` is not supported for ECS, so a
scale-in terminates the instance and the pool refills with a fresh launch; the group stops a new pool instance as
soon as it has launched, without waiting for its user data, so only a launch lifecycle hook gives it time to pull
the image. That hook also holds every instance entering the group (Pending:Wait), a pooled one included: the
instance completes it itself on every boot, at once when it is bound for the group.
"""

import shlex

from aws_cdk import Stack, aws_autoscaling as autoscaling, aws_ec2 as ec2, aws_iam as iam
from constructs import Construct

from napstack.image_registry import ecr_region, registry_host
from napstack.settings import WARM_POOL_HOOK_NAME
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.lifecycle_hook import continuing_hook
from stacks.warm_pool_refresh import WarmPoolRefresh

# The heartbeat (5 minutes) runs from the launch, and boot, Docker and the EFS mount spend part of it: the script
# records a fresh heartbeat just before the pull, which is bounded below a whole heartbeat, so the instance itself
# completes the action in every case; were it never to (no network), the heartbeat's CONTINUE lets it go on. A wake
# (no pull) never waits longer than one heartbeat.
PULL_TIMEOUT_SECONDS = 240  # after the ECR login: under a fresh heartbeat with room to complete
# IMDS answers once the instance's network is up; early in a boot a call can fail, and the script's choice (pull or
# not) and its completion depend on these answers: a few retries a second apart.
CURL = "curl -sf --retry 10 --retry-connrefused --retry-delay 1 --max-time 5"
BOOT_SCRIPT = "/var/lib/cloud/scripts/per-boot/napstack-warm-pool.sh"
IMDS = "http://169.254.169.254/latest"


def ecr_login(image: str) -> list[str]:
    """A private ECR image needs a login the ECS agent does for itself but plain `docker pull` does not: a token from
    the registry's own region, with the instance role's ECR read grant (AmazonEC2ContainerServiceforEC2Role)."""
    host = registry_host(image)
    region = ecr_region(host)
    if region is None:
        return []
    return [
        f"  AWS_RETRY_MODE=standard aws ecr get-login-password --region {region} \\",
        f"    | docker login --username AWS --password-stdin {shlex.quote(host)} >/dev/null \\",
        f"    || echo 'napstack: docker login to {host} failed; the pull below is refused' >&2",
    ]


def boot_script(image: str, group_name: str, region: str) -> list[str]:
    """The per-boot script (cloud-init runs scripts-per-boot on every start, the first one before user data, hence
    the direct run, last in the user data): bound for the pool, pull the image; then complete this instance's launch
    action."""
    hook, group, pulled = shlex.quote(WARM_POOL_HOOK_NAME), shlex.quote(group_name), shlex.quote(image)
    return [
        # The CLI completes the action; AL2023's minimal images, which ECS's are built from, may lack it.
        "command -v aws >/dev/null || dnf install -y awscli-2",
        f"mkdir -p {BOOT_SCRIPT.rsplit('/', 1)[0]}",
        f"cat > {BOOT_SCRIPT} <<'NAPSTACK_EOF'",
        "#!/bin/bash",
        f"token=$({CURL} -X PUT {IMDS}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 900')",
        f'meta() {{ {CURL} -H "X-aws-ec2-metadata-token: $token" "{IMDS}/meta-data/$1"; }}',
        f"action() {{ AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=5 aws autoscaling \"$1\" --region {shlex.quote(region)} \\",
        f'  --auto-scaling-group-name {group} --lifecycle-hook-name {hook} --instance-id "$(meta instance-id)" "${{@:2}}"; }}',
        # Warmed:Stopped: launched into the pool; InService: leaving it for the group, or launched straight there.
        'if [ "$(meta autoscaling/target-lifecycle-state)" = "Warmed:Stopped" ]; then',
        # Docker starts beside cloud-init (`systemctl start` from user data could wait on cloud-init itself): wait
        # for it a minute at most, before the fresh heartbeat that bounds the pull.
        "  for attempt in $(seq 30); do docker info >/dev/null 2>&1 && break; sleep 2; done",
        *ecr_login(image),
        "  action record-lifecycle-action-heartbeat \\",
        "    || echo 'napstack: no fresh heartbeat; the pull may be cut short by the stop' >&2",
        f"  timeout {PULL_TIMEOUT_SECONDS} docker pull {pulled} \\",
        "    || echo 'napstack: the image was not pulled ahead; the game task pulls it at the wake' >&2",
        "fi",
        # The CLI's standard retry mode retries throttling and 5xx with backoff.
        "action complete-lifecycle-action --lifecycle-action-result CONTINUE \\",
        "  || echo 'napstack: the launch action was not completed; its heartbeat lets the instance go on' >&2",
        "NAPSTACK_EOF",
        f"chmod 755 {BOOT_SCRIPT}",
        # The agent leaves a pooled instance unregistered, and starts the game from the image on disk.
        "echo ECS_WARM_POOLS_CHECK=true >> /etc/ecs/ecs.config",
        "echo ECS_IMAGE_PULL_BEHAVIOR=prefer-cached >> /etc/ecs/ecs.config",
    ]


class WarmPool(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        auto_scaling_group: autoscaling.AutoScalingGroup,
        group_name: str,
        group_arn: str,
        user_data: ec2.UserData,
        launch_template: ec2.LaunchTemplate,
        role: iam.Role,
        image: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # The script completes the launch action, after which a pool-bound instance is stopped: the run goes last,
        # after everything else in the user data (ECS_CLUSTER above all), which EcsAsg builds before this construct.
        user_data.add_commands(*boot_script(image, group_name, Stack.of(self).region), BOOT_SCRIPT)
        hook = continuing_hook(auto_scaling_group, "Warming", WARM_POOL_HOOK_NAME,
                               autoscaling.LifecycleTransition.INSTANCE_LAUNCHING)
        grant = iam.Policy(
            self,
            "CompleteOwnLaunch",
            statements=[iam.PolicyStatement(actions=["autoscaling:CompleteLifecycleAction",
                                                     "autoscaling:RecordLifecycleActionHeartbeat"],
                                            resources=[group_arn])],
            roles=[role],
        )
        acknowledge_wildcards(
            grant, "An ASG's ARN holds a generated id (`*`) beside its fixed name: only this group's actions.",
            resources=[nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{group_name}")],
        )
        # Stopped: only the root volume is paid while it waits. MaxGroupPreparedCapacity 1 with a group of at most
        # one: one instance pooled while the server sleeps, none while it runs (the pool refills after a stop).
        pool = autoscaling.CfnWarmPool(
            self, "Pool", auto_scaling_group_name=group_name, pool_state="Stopped", min_size=0,
            max_group_prepared_capacity=1,
        )
        pool.node.add_dependency(auto_scaling_group, hook, grant)  # the first pool instance finds its hook and grant
        # After the group has its new launch template version: the pool's instances from an older one are replaced.
        refresh = WarmPoolRefresh(self, "Refresh", group_name=group_name, group_arn=group_arn,
                                  launch_template=launch_template)
        refresh.resource.node.add_dependency(pool)
