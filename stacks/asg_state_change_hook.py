"""AsgStateChangeHook: when the instance comes or goes, ECS, DNS, the watchdog and alerts follow."""

from aws_cdk import ArnFormat, Duration, NestedStack, Stack, aws_autoscaling as autoscaling, aws_ecs as ecs
from aws_cdk import aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from napstack.config import NapstackConfig
from napstack.settings import (
    LAUNCH_FAILURES,
    UNAVAILABLE_IP,
    LIFECYCLE_HOOK_NAME,
    WOKEN_TAG,
    asg_launch_pattern,
    asg_terminate_pattern,
    ecs_crash_pattern,
    watchdog_ended_pattern,
    auto_scaling_group_name,
    hook_settings_json,
    function_environment,
    hook_state_machine_name,
    json_string_body,
    watchdog_state_machine_name,
)
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.dns_record import srv_record, DnsRecord, own_record_changes
from stacks.ecs_asg import auto_scaling_group_arn
from stacks.lambda_function import napstack_function
from stacks.reconciler import Reconciler
from stacks.state_machine import napstack_state_machine

ASL_NAME = "asg_state_change"


class AsgStateChangeHook(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ecs_cluster: ecs.ICluster,
        ec2_service: ecs.Ec2Service,
        auto_scaling_group: autoscaling.IAutoScalingGroup,
        watchdog_state_machine: sfn.StateMachine,
        alerts_topic: sns.ITopic,
        config: NapstackConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        record_name = config.dns_name
        # Execution ARNs are built from the watchdog's fixed name: `<prefix><instance id>`.
        watchdog_name = watchdog_state_machine_name(config.leaf)
        watchdog_executions = stack.format_arn(
            service="states", resource="execution", resource_name=f"{watchdog_name}:", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        asg_name = auto_scaling_group_name(config.leaf)
        # Created before, and so deleted after, everything that can rewrite it: on destroy the rules and the state
        # machine go first, then the record, whatever it points at; the instance terminates later (EcsAsg).
        record = DnsRecord(
            self, "DnsRecord", hosted_zone_id=config.base.hosted_zone_id, record_name=record_name, ttl=config.leaf.dns.ttl
        )
        if config.leaf.srv_prefix:  # Dns.StartOn: [SRV]: the lookup the game's client makes first, and wakes it
            srv_record(self, config)
        # Counts failed launches on the group (a tag), so the hook gives up after N, not at the first.
        launch_failures = napstack_function(
            self, "LaunchFailures", name=LAUNCH_FAILURES, environment=function_environment(LAUNCH_FAILURES),
            timeout=Duration.seconds(30),
        )
        launch_failures.add_to_role_policy(
            iam.PolicyStatement(actions=["autoscaling:CreateOrUpdateTags"], resources=[auto_scaling_group_arn(self, asg_name)])
        )
        launch_failures.add_to_role_policy(  # supports no resource-level permissions
            iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingGroups"], resources=["*"])
        )
        acknowledge_wildcards(
            launch_failures,
            "An ASG's ARN holds a generated id (`*`) beside its fixed name; DescribeAutoScalingGroups supports no "
            "resource scoping.",
            resources=[nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{asg_name}"), "*"],
        )
        self.state_machine, role = napstack_state_machine(
            self,
            "StateMachine",
            asl_name=ASL_NAME,
            state_machine_name=hook_state_machine_name(config.leaf),
            substitutions={
                "HookSettingsJson": json_string_body(hook_settings_json(config)),
                "ClusterArn": ecs_cluster.cluster_arn,
                "ServiceName": ec2_service.service_name,
                "HostedZoneId": config.base.hosted_zone_id,
                "RecordName": record_name,
                "UnavailableIp": UNAVAILABLE_IP,
                "WatchdogStateMachineArn": watchdog_state_machine.state_machine_arn,
                "AlertTopicArn": alerts_topic.topic_arn,
                "ServerName": config.leaf.name,
                "AutoScalingGroupName": asg_name,
                "LifecycleHookName": LIFECYCLE_HOOK_NAME,
                "LaunchFailuresFunctionArn": launch_failures.function_arn,
                "WokenTag": WOKEN_TAG,
            },
        )
        group_name = auto_scaling_group.auto_scaling_group_name
        rules = {
            "AsgLaunches": ("this group's launches and failed launches",
                            asg_launch_pattern(group_name, config.leaf.ec2.warm_pool)),
            "AsgTerminating": ("this group's terminations held by napstack's hook", asg_terminate_pattern(group_name)),
            "GameCrashed": ("the game task stopped on its own", ecs_crash_pattern(ecs_cluster.cluster_arn)),
            # Free and event-driven: costs nothing while idle, unlike a schedule or an alarm.
            "WatchdogEnded": (
                "a watchdog that failed, timed out or was stopped by hand",
                watchdog_ended_pattern(watchdog_state_machine.state_machine_arn),
            ),
        }
        self.state_machine.node.add_dependency(record.resource)
        for rule_id, (what, pattern) in rules.items():
            rule = events.Rule(
                self,
                rule_id,
                description=f"{config.leaf.name}: {what} drive the hook",
                event_pattern=events.EventPattern(
                    source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
                ),
                targets=[targets.SfnStateMachine(self.state_machine)],
            )
            rule.node.add_dependency(record.resource)

        statements = [
            iam.PolicyStatement(actions=["ecs:UpdateService"], resources=[ec2_service.service_arn]),
            own_record_changes(self, config.base.hosted_zone_id, record_name),
            iam.PolicyStatement(
                # DeleteTags: the stop forgets the wake record (WOKEN_TAG) the launch read.
                actions=["autoscaling:CompleteLifecycleAction", "autoscaling:SetDesiredCapacity", "autoscaling:DeleteTags"],
                resources=[auto_scaling_group_arn(self, asg_name)],
            ),
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[watchdog_state_machine.state_machine_arn]),
            # The function itself, not `:*` as grant_invoke would add: the definition calls the unqualified ARN.
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[launch_failures.function_arn]),
            iam.PolicyStatement(actions=["states:StopExecution"], resources=[f"{watchdog_executions}*"]),
            iam.PolicyStatement(actions=["states:ListExecutions"], resources=[watchdog_state_machine.state_machine_arn]),
            # Describe calls support no resource-level permissions.
            iam.PolicyStatement(
                actions=[
                    "ec2:DescribeInstances",
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeTags",  # the wake record, who or what woke the server
                ],
                resources=["*"],
            ),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)
        alerts_topic.grant_publish(role)
        acknowledge_wildcards(
            role,
            "StopExecution is limited to the watchdog's executions (named per instance); an ASG's ARN holds a "
            "generated id (`*`) beside its fixed name; the describe calls support no resource scoping.",
            resources=[
                nag_arn(self, "states", f"execution:{watchdog_name}:*"),
                nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{asg_name}"),
                "*",
            ],
        )
        # Events are delivered best effort: the reconciler gives the hook what a lost one left out.
        Reconciler(
            self,
            "Reconciler",
            hook_state_machine=self.state_machine,
            watchdog_state_machine=watchdog_state_machine,
            watchdog_name=watchdog_name,
            ecs_cluster=ecs_cluster,
            ec2_service=ec2_service,
            alerts_topic=alerts_topic,
            config=config,
        )
