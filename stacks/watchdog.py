"""Watchdog: the state machine that counts players over SSM and scales the ASG to zero after N idle checks."""

from aws_cdk import Duration, NestedStack, Stack, aws_autoscaling as autoscaling, aws_ecs as ecs, aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from napstack.config import LeafConfig
from napstack.settings import (
    COUNT_CONNECTIONS, READY_METRICS_NAMESPACE, count_connections_environment, watchdog_state_machine_name,
)
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.ecs_asg import ScaleDownAsgAction
from stacks.lambda_function import napstack_function
from stacks.state_machine import napstack_state_machine, state_machine_arn

ASL_NAME = "watchdog"


class Watchdog(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        task_definition: ecs.TaskDefinition,
        ecs_cluster: ecs.ICluster,
        ec2_service: ecs.Ec2Service,
        auto_scaling_group: autoscaling.IAutoScalingGroup,
        scale_down_asg_action: ScaleDownAsgAction,
        alerts_topic: sns.ITopic,
        config: LeafConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        # The on-host script finds the game's container by its ECS labels (task family and container name).
        self.count_connections = napstack_function(
            self,
            "CountConnections",
            name=COUNT_CONNECTIONS,
            environment=count_connections_environment(
                task_definition.task_definition_arn,
                task_definition.default_container.container_name,
                ecs_cluster.cluster_arn,
                ec2_service.service_name,
            ),
            timeout=Duration.seconds(60),
        )
        ssm_run_shell_script = Stack.of(self).format_arn(
            service="ssm", account="", resource="document", resource_name="AWS-RunShellScript"
        )
        any_instance = Stack.of(self).format_arn(service="ec2", resource="instance", resource_name="*")
        self.count_connections.add_to_role_policy(
            iam.PolicyStatement(actions=["ssm:SendCommand"], resources=[ssm_run_shell_script])
        )
        # Instance ids are not known in advance: the group's own tag narrows SendCommand to its instances.
        self.count_connections.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:SendCommand"],
                resources=[any_instance],
                conditions={
                    "StringEquals": {"ssm:resourceTag/aws:autoscaling:groupName": auto_scaling_group.auto_scaling_group_name}
                },
            )
        )
        # Each check reads whether the game's service is still asked to run (a deploy can set it to 0).
        self.count_connections.add_to_role_policy(
            iam.PolicyStatement(actions=["ecs:DescribeServices"], resources=[ec2_service.service_arn])
        )
        # None of these supports resource-level permissions. DescribeInstances: the public address the game's query
        # is sent to (Watchdog.Query only).
        self.count_connections.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "ssm:GetCommandInvocation",
                    "autoscaling:DescribeAutoScalingGroups",
                    *(["ec2:DescribeInstances"] if config.watchdog.query else []),
                ],
                resources=["*"],
            )
        )
        # The ready figures (seconds from the wake to launch, task, ready): napstack's own namespace only.
        self.count_connections.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": READY_METRICS_NAMESPACE}},
            )
        )
        acknowledge_wildcards(
            self.count_connections,
            "SendCommand on instances is narrowed by the ASG's tag; GetCommandInvocation, the Auto Scaling "
            "describe calls and ec2:DescribeInstances support no resource scoping; PutMetricData supports none either "
            "and is held to the napstack namespace by its cloudwatch:namespace condition.",
            resources=[nag_arn(self, "ec2", "instance/*"), "*"],
        )

        name = watchdog_state_machine_name(config)
        self.state_machine, role = napstack_state_machine(
            self,
            "StateMachine",
            asl_name=ASL_NAME,
            state_machine_name=name,
            substitutions={
                "CountConnectionsFunctionArn": self.count_connections.function_arn,
                "AlertTopicArn": alerts_topic.topic_arn,
                "ServerName": config.name,
                "ClusterArn": ecs_cluster.cluster_arn,
                "ServiceName": ec2_service.service_name,
            },
        )
        # The function itself, not `:*` as grant_invoke would add: the definition calls the unqualified ARN.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.count_connections.function_arn])
        )
        scale_down_asg_action.grant(role)
        # A deploy sets the service to the template's 0 during a session: the watchdog sets it back to 1.
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ecs:UpdateService"], resources=[ec2_service.service_arn]))
        alerts_topic.grant_publish(role)
        # Continue-as-new: the execution starts its successor on the same state machine.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine_arn(self, name)])
        )
        acknowledge_wildcards(
            role,
            "An ASG's ARN holds a generated id: `*` stands for it, the group's name is fixed.",
            resources=[nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{scale_down_asg_action.auto_scaling_group_name}")],
        )
