"""Auto Scaling and Step Functions events in the exact shapes EventBridge delivers them (detail-type, source,
detail keys)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _group_arn(group: str) -> str:
    return f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:{uuid.uuid4()}:autoScalingGroupName/{group}"


def _envelope(detail_type: str, resources: list[str], moment: datetime, detail: dict, source: str = "aws.autoscaling",
              region: str = REGION) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": _iso(moment),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def launch_successful(group: str, instance_id: str, moment: datetime, route: tuple[str, str] | None = None) -> dict:
    """`route`: (Origin, Destination), which AWS adds in the events of a group with a warm pool."""
    activity = str(uuid.uuid4())
    into_pool = route is not None and route[1] == "WarmPool"
    return _envelope(
        "EC2 Instance Launch Successful",
        [_group_arn(group), f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"],
        moment,
        {
            "StatusCode": "InProgress",
            "Description": f"Launching a new EC2 instance{' into warm pool' if into_pool else ''}: {instance_id}",
            "AutoScalingGroupName": group,
            "ActivityId": activity,
            "Details": {"Availability Zone": f"{REGION}a", "Subnet ID": "subnet-00000000"},
            "RequestId": activity,
            "StatusMessage": "",
            "EndTime": moment.isoformat(),
            "EC2InstanceId": instance_id,
            "StartTime": moment.isoformat(),
            "Cause": "At a user request the desired capacity changed from 0 to 1.",
            **({"Origin": route[0], "Destination": route[1]} if route else {}),
        },
    )


def launch_unsuccessful(group: str, moment: datetime, region: str, zone: str, instance_type: str) -> dict:
    """Auto Scaling's event for a launch that failed for want of capacity in `zone` (no instance was made)."""
    activity = str(uuid.uuid4())
    return _envelope(
        "EC2 Instance Launch Unsuccessful",
        [_group_arn(group)],
        moment,
        {
            "StatusCode": "Failed",
            "AutoScalingGroupName": group,
            "ActivityId": activity,
            "Details": {"Availability Zone": zone, "Subnet ID": "subnet-00000000"},
            "RequestId": activity,
            "StatusMessage": f"We currently do not have sufficient {instance_type} capacity in the Availability Zone "
                             f"you requested ({zone}). Our system will be working on provisioning additional capacity. "
                             "You can currently get capacity by not specifying an Availability Zone in your request or "
                             "choosing a different Availability Zone. Launching EC2 instance failed.",
            "EndTime": moment.isoformat(),
            "EC2InstanceId": "",
            "StartTime": moment.isoformat(),
            "Cause": f"At {_iso(moment)} an instance was started in response to a difference between desired and "
                     "actual capacity, increasing the capacity from 0 to 1.",
        },
        region=region,
    )


def launch_lifecycle_action(group: str, instance_id: str, hook_name: str, moment: datetime,
                            route: tuple[str, str]) -> dict:
    """A launch hook holding the instance (Pending:Wait, or Warmed:Pending:Wait into the warm pool), as AWS's
    warm-pool examples show it."""
    return _envelope(
        "EC2 Instance-launch Lifecycle Action",
        [_group_arn(group)],
        moment,
        {
            "LifecycleActionToken": str(uuid.uuid4()),
            "AutoScalingGroupName": group,
            "LifecycleHookName": hook_name,
            "EC2InstanceId": instance_id,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
            "Origin": route[0],
            "Destination": route[1],
        },
    )


def terminate_lifecycle_action(group: str, instance_id: str, hook_name: str, moment: datetime,
                               origin: str = "AutoScalingGroup") -> dict:
    """`origin` WarmPool: an instance terminated from the warm pool, not from the group."""
    return _envelope(
        "EC2 Instance-terminate Lifecycle Action",
        [_group_arn(group)],
        moment,
        {
            "Origin": origin,
            "Destination": "EC2",
            "LifecycleActionToken": str(uuid.uuid4()),
            "AutoScalingGroupName": group,
            "LifecycleHookName": hook_name,
            "EC2InstanceId": instance_id,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        },
    )


def _epoch_ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def execution_status_change(execution, moment: datetime) -> dict:
    """What Step Functions sends when a Standard execution ends (moto's Execution as the source)."""
    status = getattr(execution.exec_status, "value", str(execution.exec_status))
    stopped = getattr(getattr(execution, "exec_worker", None), "env", None)
    program = stopped.program_state() if stopped else None
    error = execution.error or getattr(program, "error", None)
    cause = execution.cause or getattr(program, "cause", None)
    return _envelope(
        "Step Functions Execution Status Change",
        [execution.exec_arn],
        moment,
        {
            "executionArn": execution.exec_arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": status,
            "startDate": _epoch_ms(execution.start_date),
            "stopDate": _epoch_ms(execution.stop_date) or _epoch_ms(moment),
            "input": json.dumps(execution.input_data, separators=(",", ":")),
            "inputDetails": {"included": True},
            "output": None,
            "outputDetails": None,
            "error": error if isinstance(error, str) else None,
            "cause": cause if isinstance(cause, str) else None,
        },
        source="aws.states",
    )
