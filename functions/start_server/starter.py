"""Start the napstack leaf a name belongs to: find its group by tag, and set desired capacity 1 if it is 0."""

from __future__ import annotations

from dataclasses import dataclass

from query_log import DNS_NAME_TAG


@dataclass(frozen=True)
class Decision:
    name: str
    group: str | None
    action: str  # "started", "already running", "no leaf"
    reason: str


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


def start(autoscaling, names: dict[str, list[str]]) -> list[Decision]:
    groups = groups_by_name(autoscaling) if names else {}
    decisions = []
    for name, types in sorted(names.items()):
        group = groups.get(name)
        lookups = f"{len(types)} lookup(s) ({', '.join(sorted(set(types)))})"
        if group is None:
            decisions.append(Decision(name, None, "no leaf", f"{lookups} for a name no napstack leaf serves"))
        elif group["DesiredCapacity"] == 0:
            autoscaling.set_desired_capacity(
                AutoScalingGroupName=group["AutoScalingGroupName"], DesiredCapacity=1, HonorCooldown=False
            )
            decisions.append(Decision(name, group["AutoScalingGroupName"], "started", f"{lookups}; desired 0 -> 1"))
        else:
            decisions.append(
                Decision(name, group["AutoScalingGroupName"], "already running", f"{lookups}; desired already {group['DesiredCapacity']}")
            )
    return decisions
