"""Every napstack log group: a month of retention, deleted with its stack (logs are not game data)."""

from aws_cdk import RemovalPolicy, aws_logs as logs
from constructs import Construct

RETENTION = logs.RetentionDays.ONE_MONTH


def napstack_log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    return logs.LogGroup(scope, construct_id, retention=RETENTION, removal_policy=RemovalPolicy.DESTROY)
