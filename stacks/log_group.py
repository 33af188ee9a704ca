"""Every napstack log group: a month of retention, deleted with its stack (logs are not game data)."""

from aws_cdk import RemovalPolicy, aws_logs as logs
from constructs import Construct

RETENTION = logs.RetentionDays.ONE_MONTH


# Step Functions adds each log group it delivers to the account's CloudWatch Logs resource policy (5,120
# characters) unless its name starts with this prefix: without it the Nth game's deploy fails.
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"


def napstack_log_group(scope: Construct, construct_id: str, log_group_name: str | None = None) -> logs.LogGroup:
    return logs.LogGroup(
        scope, construct_id, log_group_name=log_group_name, retention=RETENTION, removal_policy=RemovalPolicy.DESTROY
    )


def state_machine_log_group(scope: Construct, construct_id: str, state_machine_name: str) -> logs.LogGroup:
    return napstack_log_group(scope, construct_id, f"{VENDED_LOGS_PREFIX}{state_machine_name}")
