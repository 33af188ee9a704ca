"""Which of the warm pool's instances a deploy left behind, and ending them so the pool refills from the group's
launch template as it is now.

Auto Scaling does not replace pooled instances when the group's launch template changes: a pooled instance keeps the
instance type, image and user data (cluster, file system, game image) it was launched with, and the next wake would
start it. Every such change is a new launch template version (the cluster and file system ids are in the user data),
so an instance launched from another template or version than the group's is stale. Only the pool's instances
(`Warmed:*`) are ever ended: the group's own instance, a game being played, is never touched; it goes at its stop,
and the pool refills from the current version then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

POOLED = "Warmed:"
ENDING = ("Warmed:Terminating", "Warmed:Terminated")  # already on their way out: nothing to end
# TerminateInstanceInAutoScalingGroup's faults while the group is busy (a refill, a wake), which botocore's retries
# leave alone: tried again after these waits (seconds), inside the function's timeout.
BUSY = ("ScalingActivityInProgress", "ResourceContention")
BUSY_WAITS = (5, 10, 20)


@dataclass(frozen=True)
class PoolTemplate:
    """The group and the launch template version its pool should hold, as the stack states them."""

    group_name: str
    launch_template_id: str
    version: str

    @classmethod
    def from_properties(cls, properties: dict) -> "PoolTemplate":
        return cls(group_name=properties["AutoScalingGroupName"], launch_template_id=properties["LaunchTemplateId"],
                   version=str(properties["LaunchTemplateVersion"]))  # CloudFormation passes every property as text


def pooled_instances(autoscaling, group_name: str) -> list[dict]:
    """DescribeWarmPool's instances, every page."""
    instances, token = [], None
    while True:
        page = autoscaling.describe_warm_pool(AutoScalingGroupName=group_name, **({"NextToken": token} if token else {}))
        instances += page.get("Instances", [])
        token = page.get("NextToken")
        if not token:
            return instances


def stale(instances: list[dict], wanted: PoolTemplate) -> list[str]:
    """The pooled instances launched from another template or version than `wanted` (or from one not reported:
    a refill costs a launch, a stale start costs a session)."""
    found = []
    for instance in instances:
        state = instance.get("LifecycleState", "")
        if not state.startswith(POOLED) or state.startswith(ENDING):
            continue
        template = instance.get("LaunchTemplate") or {}
        if (template.get("LaunchTemplateId"), str(template.get("Version"))) != (wanted.launch_template_id, wanted.version):
            found.append(instance["InstanceId"])
    return found


def end_instance(autoscaling, instance_id: str, wanted: PoolTemplate, sleep: Callable[[float], None]) -> None:
    """Terminate one pooled instance, the group's desired capacity (the game's) left as it is; the pool refills on its
    own. Busy (the pool's own activity under way) is waited out; a refusal is fine when the instance is gone meanwhile."""
    for wait in (*BUSY_WAITS, None):
        try:
            autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=instance_id, ShouldDecrementDesiredCapacity=False)
            return
        except autoscaling.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in BUSY and wait is not None:
                sleep(wait)
                continue
            if instance_id not in stale(pooled_instances(autoscaling, wanted.group_name), wanted):
                return  # ended or left the pool meanwhile
            raise


def refresh_pool(autoscaling, wanted: PoolTemplate, sleep: Callable[[float], None] = time.sleep) -> str:
    """End the pool's stale instances; what was done, in a sentence."""
    ended = stale(pooled_instances(autoscaling, wanted.group_name), wanted)
    for instance_id in ended:
        end_instance(autoscaling, instance_id, wanted, sleep)
    if not ended:
        return f"the warm pool of {wanted.group_name} holds launch template version {wanted.version} or nothing"
    return f"ended {', '.join(ended)} in the warm pool of {wanted.group_name}: it refills from version {wanted.version}"
