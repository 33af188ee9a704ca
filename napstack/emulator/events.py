"""Auto Scaling events in the exact shapes EventBridge delivers them (detail-type, source, detail keys)."""

from __future__ import annotations

import uuid
from datetime import datetime

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _group_arn(group: str) -> str:
    return f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:{uuid.uuid4()}:autoScalingGroupName/{group}"


def _envelope(detail_type: str, resources: list[str], moment: datetime, detail: dict) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.autoscaling",
        "account": ACCOUNT,
        "time": _iso(moment),
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def launch_successful(group: str, instance_id: str, moment: datetime) -> dict:
    activity = str(uuid.uuid4())
    return _envelope(
        "EC2 Instance Launch Successful",
        [_group_arn(group), f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"],
        moment,
        {
            "StatusCode": "InProgress",
            "Description": f"Launching a new EC2 instance: {instance_id}",
            "AutoScalingGroupName": group,
            "ActivityId": activity,
            "Details": {"Availability Zone": f"{REGION}a", "Subnet ID": "subnet-00000000"},
            "RequestId": activity,
            "StatusMessage": "",
            "EndTime": moment.isoformat(),
            "EC2InstanceId": instance_id,
            "StartTime": moment.isoformat(),
            "Cause": "At a user request the desired capacity changed from 0 to 1.",
        },
    )


def terminate_lifecycle_action(group: str, instance_id: str, hook_name: str, moment: datetime) -> dict:
    return _envelope(
        "EC2 Instance-terminate Lifecycle Action",
        [_group_arn(group)],
        moment,
        {
            "Origin": "AutoScalingGroup",
            "Destination": "EC2",
            "LifecycleActionToken": str(uuid.uuid4()),
            "AutoScalingGroupName": group,
            "LifecycleHookName": hook_name,
            "EC2InstanceId": instance_id,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        },
    )
