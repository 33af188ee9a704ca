"""launch_failures: one "EC2 Instance Launch Unsuccessful" counted on the group; says whether the hook gives up."""

from datetime import datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from failure_count import LAUNCH_FAILURES_TAG, count_failure, reason

logger = Logger()
autoscaling = boto3.client("autoscaling")  # once per execution environment


class FailedLaunchDetail(BaseModel):
    """The event's detail as Auto Scaling sends it; only what the decision needs."""

    model_config = ConfigDict(extra="ignore")

    AutoScalingGroupName: str = Field(min_length=1, max_length=255)
    StatusMessage: str | None = None
    Cause: str | None = None


class FailedLaunch(BaseModel):
    ServerName: str
    Now: datetime
    GiveUpAfter: int = Field(ge=1)
    WithinMinutes: int = Field(ge=1)
    Detail: FailedLaunchDetail


@event_parser(model=FailedLaunch)
def handler(event: FailedLaunch, context: LambdaContext) -> dict:
    group_name = event.Detail.AutoScalingGroupName
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    if not groups:
        raise LookupError(f"no Auto Scaling group {group_name}")
    tags = {tag["Key"]: tag["Value"] for tag in groups[0].get("Tags", [])}
    why = reason(event.Detail.StatusMessage, event.Detail.Cause)
    decision = count_failure(event.ServerName, tags, event.Now, event.GiveUpAfter, event.WithinMinutes, why)
    autoscaling.create_or_update_tags(Tags=[{
        "ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": LAUNCH_FAILURES_TAG,
        "Value": decision.tag_value, "PropagateAtLaunch": False,
    }])
    logger.info("launch failed", extra={"failures": decision.failures, "give_up": decision.give_up, "reason": why})
    return {"Failures": decision.failures, "GiveUp": decision.give_up, "Message": decision.message}
