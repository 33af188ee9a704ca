"""napstack's lifecycle hooks on the group (the terminate hook the state machine completes, the warm pool's launch hook
the instance completes): named, so rules and instances tell them from ECS's own, and let go with CONTINUE when
nobody completes them, so an instance never hangs in a wait state."""

from aws_cdk import Duration, aws_autoscaling as autoscaling

HEARTBEAT = Duration.minutes(5)


def continuing_hook(group: autoscaling.AutoScalingGroup, construct_id: str, name: str,
                    transition: autoscaling.LifecycleTransition) -> autoscaling.LifecycleHook:
    return group.add_lifecycle_hook(construct_id, lifecycle_hook_name=name, lifecycle_transition=transition,
                                    heartbeat_timeout=HEARTBEAT, default_result=autoscaling.DefaultResult.CONTINUE)
