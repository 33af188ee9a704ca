"""Gap: moto stores a warm pool's settings (PutWarmPool) and nothing more: DescribeWarmPool lists no instances, a
scale-out always launches a new instance, a scale-in never refills the pool, and no event carries Origin or
Destination. This is the pool of the leaf's group as AWS runs it with napstack's settings (PoolState Stopped, at most
one instance prepared):

- at the deploy the pool fills: one instance launched, held by the launch hook while its per-boot script pulls the
  image (Warmed:Pending:Wait), completing that hook itself as its own role (IAM enforced), then stopped
  (Warmed:Stopped);
- a wake takes it: started, InService, its events carry Origin WarmPool, Destination AutoScalingGroup; with the pool
  empty the group launches a new instance (Origin EC2);
- a scale-in terminates the instance (ReuseOnScaleIn is unsupported for ECS) and the pool refills with a new launch,
  its events carrying Destination WarmPool;
- TerminateInstanceInAutoScalingGroup on a pooled instance (a deploy's new launch template version,
  functions/warm_pool_refresh) ends it, its terminate events carrying Origin WarmPool, and the pool refills from the
  group's launch template as it is now. Each pooled instance reports the launch template version it was launched from.

Each transition is kept (`history`) for the replay's timeline; with AWS's times modeled (aws_times.py) the refill
takes its boot and pull.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from napstack.emulator import aws_times
from napstack.emulator import events as asg_events
from napstack.emulator.moto_gaps import _Patches, calls_as
from napstack.settings import FROM_EC2, IN_WARM_POOL, WARM_POOL_HOOK_NAME

INSTANCE = "instance"  # the principal kind of an instance's own calls (its user data, with its instance role)


@dataclass(frozen=True)
class PoolTransition:
    time: datetime
    instance_id: str
    state: str
    detail: str


def instance_role_arn(deployment) -> str:
    """The ARN of the role the launch template's instances assume (trusted by ec2.amazonaws.com)."""
    for top in deployment.stacks.values():
        for stack in top.walk():
            for logical_id, resource in stack.resources.items():
                trust = json.dumps(resource.get("Properties", {}).get("AssumeRolePolicyDocument", ""))
                if resource["Type"] == "AWS::IAM::Role" and "ec2.amazonaws.com" in trust:
                    return deployment.attribute(stack, logical_id, "Arn")
    raise LookupError("the assembly has no role for the group's instances")


class EmulatedWarmPool:
    def __init__(self, emulator, group_name: str) -> None:
        self.emulator = emulator
        self.group_name = group_name
        self.role_arn = instance_role_arn(emulator.deployment)
        self._pooled: dict[str, object] = {}  # instance id -> moto's InstanceState, kept out of the group's
        self._templates: dict[str, dict] = {}  # instance id -> the launch template version it was launched from
        self.history: list[PoolTransition] = []

    def _group(self):
        from moto.autoscaling.models import autoscaling_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        return autoscaling_backends[DEFAULT_ACCOUNT_ID][self.emulator.region].autoscaling_groups[self.group_name]

    def _enter(self, instance_id: str, state: str, detail: str = "") -> None:
        self._pooled[instance_id].lifecycle_state = state
        self.history.append(PoolTransition(self.emulator.clock.now(), instance_id, state, detail))

    def describe(self) -> list[dict]:
        """DescribeWarmPool's Instances."""
        return [{"InstanceId": i, "InstanceType": s.instance_type, "AvailabilityZone": s.availability_zone,
                 "LifecycleState": s.lifecycle_state, "HealthStatus": "Healthy", "LaunchTemplate": self._templates[i]}
                for i, s in self._pooled.items()]

    def holds(self, instance_id: str) -> bool:
        return instance_id in self._pooled

    def end(self, instance_id: str) -> None:
        """TerminateInstanceInAutoScalingGroup on a pooled instance: terminated (the terminate hooks hear of it, Origin
        WarmPool), and the pool refills with a launch from the group's launch template as it is now."""
        state = self._pooled[instance_id]
        self._enter(instance_id, "Warmed:Terminating", "ended by request, the group's desired capacity unchanged")
        state.instance.terminate()
        del self._pooled[instance_id], self._templates[instance_id]
        self.history.append(PoolTransition(self.emulator.clock.now(), instance_id, "Warmed:Terminated", ""))
        self.emulator.deliver_after_latency(self.emulator.terminate_events(self.group_name, [instance_id], IN_WARM_POOL))
        self.fill(announced=True)

    def fill(self, announced: bool) -> None:
        """Launch one instance into the pool. `announced`: its events are sent (a refill), not at the deploy (no rule
        existed yet to hear them)."""
        group = self._group()
        before = list(group.instance_states)
        group.replace_autoscaling_group_instances(1, group.get_propagated_tags())  # moto's launch, into the group
        (state,) = [s for s in group.instance_states if s not in before]
        group.instance_states.remove(state)  # ...which AWS keeps apart: the pool is not the group
        instance_id = state.instance.id
        self._pooled[instance_id] = state
        self._templates[instance_id] = dict(group.launch_template)
        self._enter(instance_id, "Warmed:Pending:Wait", "launched into the warm pool, held by its launch hook")
        route = (FROM_EC2, IN_WARM_POOL)
        if announced:
            self.emulator.deliver_after_latency([asg_events.launch_lifecycle_action(
                self.group_name, instance_id, WARM_POOL_HOOK_NAME, self.emulator.clock.now(), route)])
        seconds = aws_times.REFILL.seconds if announced and self.emulator.aws_times else 0

        def warmed() -> None:
            if announced:  # at the deploy it did the same before anyone watched
                self.complete_own_launch(instance_id)
            self._enter(instance_id, "Warmed:Pending:Proceed", "its image pulled, the instance completed the hook")
            state.instance.stop()
            self._enter(instance_id, "Warmed:Stopped", "stopped: only its root volume is paid")
            if announced:
                self.emulator.deliver(asg_events.launch_successful(self.group_name, instance_id,
                                                                   self.emulator.clock.now(), route))

        if announced:
            self.emulator.later(seconds, warmed)
        else:
            with self.emulator.emulators_own_calls():  # the deploy: CloudFormation waits for the pool
                warmed()

    def complete_own_launch(self, instance_id: str) -> None:
        """What the instance's per-boot script does: complete napstack's launch hook, as the instance's role. When
        that fails (denied, throttled), the hook's heartbeat lets the instance go on with CONTINUE: said, not raised."""
        from botocore.exceptions import ClientError

        try:
            with calls_as((INSTANCE, instance_id)):
                self.emulator.client("autoscaling").complete_lifecycle_action(
                    AutoScalingGroupName=self.group_name, LifecycleHookName=WARM_POOL_HOOK_NAME, InstanceId=instance_id,
                    LifecycleActionResult="CONTINUE")
        except ClientError as failed:
            self.history.append(PoolTransition(self.emulator.clock.now(), instance_id, "LaunchHookNotCompleted",
                                               f"{failed}; its heartbeat (5 min) lets the instance go on"))

    def take(self, group) -> str | None:
        """A wake: the stopped instance started and moved into the group (None: the pool is empty or still warming)."""
        ready = [i for i, s in self._pooled.items() if s.lifecycle_state == "Warmed:Stopped"]
        if not ready:
            return None
        instance_id = ready[0]
        state = self._pooled[instance_id]
        state.instance.start()
        self._enter(instance_id, "Pending:Wait", "started from the warm pool, leaving it for the group")
        del self._pooled[instance_id], self._templates[instance_id]
        state.lifecycle_state = "InService"
        group.instance_states.append(state)
        return instance_id


def pooled_instances_in_describe_warm_pool(patches: _Patches, pools: dict[str, EmulatedWarmPool]) -> None:
    """DescribeWarmPool lists the emulated pool's instances and their lifecycle states."""
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    def describe_warm_pool(self) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        configuration = self.autoscaling_backend.describe_warm_pool(group_name=name)
        pool = pools.get(name)
        return ActionResult({"WarmPoolConfiguration": configuration, "Instances": pool.describe() if pool else []})

    patches.set(AutoScalingResponse, "describe_warm_pool", describe_warm_pool)


def pooled_instances_ended_on_request(patches: _Patches, pools: dict[str, EmulatedWarmPool]) -> None:
    """TerminateInstanceInAutoScalingGroup on a pooled instance (moto finds only the group's instances)."""
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    original = AutoScalingResponse.terminate_instance_in_auto_scaling_group

    def terminate_instance_in_auto_scaling_group(self) -> ActionResult:
        instance_id = self._get_param("InstanceId")
        pool = next((pool for pool in pools.values() if pool.holds(instance_id)), None)
        if pool is None:
            return original(self)
        pool.end(instance_id)
        return ActionResult({"Activity": {
            "ActivityId": str(uuid.uuid4()), "AutoScalingGroupName": pool.group_name, "StatusCode": "InProgress",
            "Description": f"Terminating EC2 instance: {instance_id}", "Progress": 0, "Details": "{}",
            "Cause": f"instance {instance_id} was taken out of the warm pool in response to a user request",
            "StartTime": pool.emulator.clock.now()}})

    patches.set(AutoScalingResponse, "terminate_instance_in_auto_scaling_group", terminate_instance_in_auto_scaling_group)
