"""What the lookups of one name do to its leaf: start it, count as activity, wait out a cool-down, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from query_log import (
    COOLDOWN_COUNT_TAG,
    COOLDOWN_TAG,
    DEFAULT_START_ON,
    DNS_NAME_TAG,
    IDLE_STOP_TAG,
    LAST_LOOKUP_TAG,
    START_ON_TAG,
)


@dataclass(frozen=True)
class Decision:
    name: str
    group: str | None
    action: str  # started | activity | cooling down | ignored | no leaf
    reason: str


@dataclass(frozen=True)
class Plan:
    """What to do to the group; the caller applies it (plain data, testable without AWS)."""

    decision: Decision
    desired_capacity: int | None = None
    tags: dict[str, str] | None = None


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def plan(name: str, group: dict | None, types: list[str], now: datetime) -> Plan:
    if group is None:
        return Plan(Decision(name, None, "no leaf", f"{len(types)} lookup(s) of a name no napstack leaf serves"))
    tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
    group_name = group["AutoScalingGroupName"]
    start_on = tags.get(START_ON_TAG, " ".join(DEFAULT_START_ON)).split()
    starting = [t for t in types if t in start_on]
    if not starting:
        kinds = ", ".join(sorted(set(types)))
        return Plan(Decision(name, group_name, "ignored", f"{len(types)} {kinds} lookup(s); only {' '.join(start_on)} start it"))
    stamp = now.isoformat()
    if group["DesiredCapacity"] > 0:
        # Someone is trying to connect: the watchdog counts this as activity.
        return Plan(
            Decision(name, group_name, "activity", f"{len(starting)} lookup(s) while up; the watchdog counts them"),
            tags={LAST_LOOKUP_TAG: stamp},
        )
    minutes, _, needed = tags.get(COOLDOWN_TAG, "0/1").partition("/")
    stopped = _parse_time(tags.get(IDLE_STOP_TAG))
    if stopped and now - stopped < timedelta(minutes=int(minutes or 0)):
        seen = int(tags.get(COOLDOWN_COUNT_TAG, "0")) + len(starting)
        if seen < int(needed or 1):
            return Plan(
                Decision(name, group_name, "cooling down", f"lookup {seen} of {needed} within {minutes} min of an idle stop"),
                tags={COOLDOWN_COUNT_TAG: str(seen)},
            )
    return Plan(
        Decision(name, group_name, "started", f"{len(starting)} {'/'.join(sorted(set(starting)))} lookup(s); desired 0 -> 1"),
        desired_capacity=1,
        tags={COOLDOWN_COUNT_TAG: "0", LAST_LOOKUP_TAG: stamp},
    )


def groups_by_name(autoscaling) -> dict[str, dict]:
    """{dns name: group} for every Auto Scaling group that carries the napstack DNS-name tag."""
    found = {}
    paginator = autoscaling.get_paginator("describe_auto_scaling_groups")
    for page in paginator.paginate(Filters=[{"Name": "tag-key", "Values": [DNS_NAME_TAG]}]):
        for group in page["AutoScalingGroups"]:
            for tag in group.get("Tags", []):
                if tag["Key"] == DNS_NAME_TAG:
                    found[tag["Value"].lower().rstrip(".")] = group
    return found


def apply(autoscaling, group_name: str, step: Plan) -> None:
    if step.desired_capacity is not None:
        autoscaling.set_desired_capacity(
            AutoScalingGroupName=group_name, DesiredCapacity=step.desired_capacity, HonorCooldown=False
        )
    if step.tags:
        autoscaling.create_or_update_tags(
            Tags=[
                {"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": key, "Value": value, "PropagateAtLaunch": False}
                for key, value in step.tags.items()
            ]
        )


def start(autoscaling, names: dict[str, list[str]], now: datetime) -> list[Decision]:
    groups = groups_by_name(autoscaling) if names else {}
    decisions = []
    for name, types in sorted(names.items()):
        step = plan(name, groups.get(name), types, now)
        if step.decision.group:
            apply(autoscaling, step.decision.group, step)
        decisions.append(step.decision)
    return decisions
