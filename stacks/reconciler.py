"""Reconciler: an EventBridge Scheduler schedule runs a small function that puts back what a lost event left out.

Auto Scaling and Step Functions events are delivered best effort. Every `Watchdog.ReconcileMinutes` the function
compares the group with the watchdog's executions, ECS and DNS, and hands the hook the event it missed (a launch,
a watchdog's end) or resets ECS and DNS after a stop nobody reported. A schedule, not an alarm or a Standard
state machine: Scheduler's first 14 million invocations a month are free and a short Lambda run costs a
fraction of a cent a month, where a Standard execution every few minutes would cost more than the asleep month's
storage (`napstack cost` prices it).
"""

import json

from aws_cdk import ArnFormat, Duration, Stack, aws_ecs as ecs, aws_iam as iam, aws_scheduler as scheduler
from aws_cdk import aws_sns as sns, aws_stepfunctions as sfn
from constructs import Construct

from napstack.config import NapstackConfig
from napstack.settings import RECONCILER, UNAVAILABLE_IP, auto_scaling_group_name, function_environment
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.dns_record import hosted_zone_arn, own_record_changes
from stacks.ecs_asg import auto_scaling_group_arn
from stacks.lambda_function import napstack_function

# What one run needs: a few describe calls, at most one repair. Half the default memory halves its price.
MEMORY_MB = 128
TIMEOUT = Duration.seconds(30)


class Reconciler(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        hook_state_machine: sfn.StateMachine,
        watchdog_state_machine: sfn.IStateMachine,
        watchdog_name: str,
        ecs_cluster: ecs.ICluster,
        ec2_service: ecs.Ec2Service,
        alerts_topic: sns.ITopic,
        config: NapstackConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        leaf = config.leaf
        group_name = auto_scaling_group_name(leaf)
        zone = config.base.hosted_zone_id
        self.function = napstack_function(
            self,
            "Function",
            name=RECONCILER,
            environment=function_environment(
                RECONCILER,
                GROUP_NAME=group_name,
                HOOK_STATE_MACHINE_ARN=hook_state_machine.state_machine_arn,
                WATCHDOG_STATE_MACHINE_ARN=watchdog_state_machine.state_machine_arn,
                CLUSTER_ARN=ecs_cluster.cluster_arn,
                SERVICE_NAME=ec2_service.service_name,
                HOSTED_ZONE_ID=zone,
                RECORD_NAME=config.dns_name,
                RECORD_TTL=str(leaf.dns.ttl),
                ASLEEP_IP=UNAVAILABLE_IP,
                ALERT_TOPIC_ARN=alerts_topic.topic_arn,
                SERVER_NAME=leaf.name,
            ),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
        )
        # Scheduler invokes asynchronously: a failed run is not retried by Lambda, the next scheduled run is the retry.
        self.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.minutes(leaf.watchdog.reconcile_minutes))
        watchdog_executions = Stack.of(self).format_arn(
            service="states", resource="execution", resource_name=f"{watchdog_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        statements = [
            iam.PolicyStatement(
                actions=["states:ListExecutions"],
                resources=[hook_state_machine.state_machine_arn, watchdog_state_machine.state_machine_arn],
            ),
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[watchdog_executions]),
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[hook_state_machine.state_machine_arn]),
            iam.PolicyStatement(actions=["ecs:DescribeServices", "ecs:UpdateService"], resources=[ec2_service.service_arn]),
            iam.PolicyStatement(actions=["route53:ListResourceRecordSets"], resources=[hosted_zone_arn(self, zone)]),
            own_record_changes(self, zone, config.dns_name),
            # The fallback when the hook cannot be started: stopped beats unwatched.
            iam.PolicyStatement(actions=["autoscaling:SetDesiredCapacity"], resources=[auto_scaling_group_arn(self, group_name)]),
            # Describe calls support no resource-level permissions.
            iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"], resources=["*"]),
        ]
        for statement in statements:
            self.function.add_to_role_policy(statement)
        alerts_topic.grant_publish(self.function)
        acknowledge_wildcards(
            self.function,
            "DescribeExecution is limited to the watchdog's executions (named per instance); an ASG's ARN holds a "
            "generated id (`*`) beside its fixed name; the describe calls support no resource scoping.",
            resources=[
                nag_arn(self, "states", f"execution:{watchdog_name}:*"),
                nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{group_name}"),
                "*",
            ],
        )

        role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn]))
        minutes = leaf.watchdog.reconcile_minutes
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description=f"{leaf.name}: every {minutes} minutes, put back what a lost Auto Scaling or Step Functions event left out",
            schedule_expression=f"rate({minutes} minutes)",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=role.role_arn,
                input=json.dumps({"ScheduledTime": "<aws.scheduler.scheduled-time>"}),
                # Scheduler's own retries cover a throttled invoke; a run older than the period is superseded.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=minutes * 60, maximum_retry_attempts=2
                ),
            ),
        )
