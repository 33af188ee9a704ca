"""EcsAsg: the ECS cluster and service, and the Auto Scaling Group of 0..1 instances that runs them."""

from dataclasses import dataclass

import jsii
from aws_cdk import ArnFormat, AspectPriority, Aspects, IAspect, NestedStack, Stack, aws_autoscaling as autoscaling, aws_ec2 as ec2, aws_ecs as ecs
from aws_cdk import aws_efs as efs, aws_iam as iam
from constructs import Construct

from napstack.config import LeafConfig, instance_architecture
from napstack.settings import LIFECYCLE_HOOK_NAME, auto_scaling_group_name
from stacks.acknowledge import acknowledge, acknowledge_managed_policies, acknowledge_wildcards
from stacks.lifecycle_hook import continuing_hook
from stacks.warm_pool import WarmPool

HOST_MOUNT_PATH = "/mnt/efs"
AMI_HARDWARE = {"x86_64": ecs.AmiHardwareType.STANDARD, "arm64": ecs.AmiHardwareType.ARM}


def auto_scaling_group_arn(scope: Construct, name: str) -> str:
    return Stack.of(scope).format_arn(
        service="autoscaling",
        resource="autoScalingGroup",
        resource_name=f"*:autoScalingGroupName/{name}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


@dataclass(frozen=True)
class ScaleDownAsgAction:
    """What a state machine needs to scale this ASG to zero: the group's name, and leave a note on it (a tag)."""

    auto_scaling_group_name: str

    def grant(self, grantee: iam.IGrantable) -> None:
        """Allow SetDesiredCapacity and tagging on this group only (its ARN's group id is unknowable, hence `*`)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["autoscaling:SetDesiredCapacity", "autoscaling:CreateOrUpdateTags"],
                resources=[auto_scaling_group_arn(grantee.grant_principal, self.auto_scaling_group_name)],
            )
        )


@jsii.implements(IAspect)
class ServiceAfterAssociation:
    """The service names the capacity provider, which must be associated with the cluster first, and on destroy
    the service must go before the association ("in use"). The cluster creates that association in an aspect of
    its own at synth, so this one runs after it and makes the service depend on it."""

    def __init__(self, service: ecs.Ec2Service) -> None:
        self.service = service

    def visit(self, node) -> None:
        if isinstance(node, ecs.CfnClusterCapacityProviderAssociations):
            self.service.node.add_dependency(node)


class EcsAsg(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        sg_container_traffic: ec2.ISecurityGroup,
        task_definition: ecs.TaskDefinition,
        efs_file_system: efs.IFileSystem,
        host_access_point: efs.IAccessPoint,
        subnets: ec2.SubnetSelection,
        config: LeafConfig,
        key_pair: ec2.IKeyPair | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.ecs_cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.DISABLED)
        acknowledge(self.ecs_cluster, "AwsSolutions-ECS4", "Container Insights bills per metric-month even while idle.")

        role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"),
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonEC2ContainerServiceforEC2Role"),
            ],
        )
        acknowledge_managed_policies(
            role,
            ["AmazonSSMManagedInstanceCore", "service-role/AmazonEC2ContainerServiceforEC2Role"],
            "The AWS-maintained ECS-instance and SSM-core policies follow agent changes; they are the documented minimum.",
        )
        acknowledge_wildcards(
            role,
            "CDK's ECS capacity provider adds the ECS agent's own statements (ecs:Submit*, describe calls on *).",
            resources=["*"],
            actions=["ecs:Submit*"],
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite",
                    "elasticfilesystem:ClientRootAccess",
                ],
                resources=[efs_file_system.file_system_arn],
                conditions={"StringEquals": {"elasticfilesystem:AccessPointArn": host_access_point.access_point_arn}},
            )
        )

        user_data = ec2.UserData.for_linux()
        user_data.add_commands(
            "dnf install -y amazon-efs-utils",
            f"mkdir -p {HOST_MOUNT_PATH}",
            f'echo "{efs_file_system.file_system_id}:/ {HOST_MOUNT_PATH} efs _netdev,tls,iam,'
            f'accesspoint={host_access_point.access_point_id} 0 0" >> /etc/fstab',
            f"mount -a -t efs || echo 'napstack: EFS mount on {HOST_MOUNT_PATH} failed' >&2",
        )
        launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=ec2.InstanceType(config.ec2.instance_type),
            # Graviton types (t4g, m7g, ...) boot the arm64 image; the container image must then be built for arm64.
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(AMI_HARDWARE[instance_architecture(config.ec2.instance_type)]),
            user_data=user_data,
            role=role,
            security_group=sg_container_traffic,
            associate_public_ip_address=True,
            require_imdsv2=True,
            # Hop limit 1: containers in bridge mode cannot reach the instance's credentials.
            http_put_response_hop_limit=1,
            key_pair=key_pair,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        config.ec2.root_volume_gib, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                    ),
                )
            ],
        )
        # No desired capacity in the template: a deploy must never reset a running server to zero.
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Asg",
            auto_scaling_group_name=auto_scaling_group_name(config),
            vpc=vpc,
            vpc_subnets=subnets,
            launch_template=launch_template,
            min_capacity=0,
            max_capacity=1,
        )
        acknowledge(
            self.auto_scaling_group,
            "AwsSolutions-AS3",
            "Scaling events go to EventBridge and the AsgStateChangeHook alerts on them; SNS notifications would duplicate.",
        )
        # The hook state machine completes this after pointing DNS and ECS away from the instance. Named, because
        # ECS managed draining adds a hook of its own and the hook's rule must tell the two apart.
        continuing_hook(self.auto_scaling_group, "Terminating", LIFECYCLE_HOOK_NAME,
                        autoscaling.LifecycleTransition.INSTANCE_TERMINATING)

        # Managed scaling stays off: the ASG is the single switch and the hook drives ECS from it. Managed draining
        # stays on: ECS stops the game (SIGTERM, so it saves the world) before the instance goes.
        capacity_provider = ecs.AsgCapacityProvider(
            self,
            "CapacityProvider",
            auto_scaling_group=self.auto_scaling_group,
            enable_managed_scaling=False,
            enable_managed_termination_protection=False,
            enable_managed_draining=True,
        )
        self.ecs_cluster.add_asg_capacity_provider(capacity_provider)
        # After the capacity provider has written ECS_CLUSTER into the user data: the pool's script runs last.
        if config.ec2.warm_pool:
            WarmPool(
                self, "WarmPool", auto_scaling_group=self.auto_scaling_group, group_name=auto_scaling_group_name(config),
                group_arn=auto_scaling_group_arn(self, auto_scaling_group_name(config)), user_data=user_data,
                launch_template=launch_template, role=role, image=config.container.image,
            )
        self.ec2_service = ecs.Ec2Service(
            self,
            "Service",
            cluster=self.ecs_cluster,
            task_definition=task_definition,
            desired_count=0,
            min_healthy_percent=0,  # one instance: the old task must stop before a new one can bind the ports
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(capacity_provider=capacity_provider.capacity_provider_name, weight=1)
            ],
        )
        Aspects.of(self.ecs_cluster).add(ServiceAfterAssociation(self.ec2_service), priority=AspectPriority.MUTATING + 1)
        self.scale_down_asg_action = ScaleDownAsgAction(auto_scaling_group_name=auto_scaling_group_name(config))
