"""What the lookups of each name do to the leaf serving it: the wake rule (wake_rule, shared with the status page)
decides, this finds the leaf by its DNS-name tag and applies the decision."""

from __future__ import annotations

from datetime import datetime

from query_log import DNS_NAME_TAG, Lookup, asked_at
from wake_rule import Decision, Wake, apply, plan, srv_leaf


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


def by_leaf(lookups: list[Lookup], groups: dict[str, dict]) -> dict[str, list[Lookup]]:
    """{name: its lookups}, a server's SRV name (`_minecraft._tcp.mc.example.com`) counted as its own: a burst of
    lookups of one server is one decision."""
    found: dict[str, list[Lookup]] = {}
    for lookup in lookups:
        leaf = srv_leaf(lookup.name)
        found.setdefault(leaf if leaf in groups and lookup.name not in groups else lookup.name, []).append(lookup)
    return found


def start(autoscaling, lookups: list[Lookup], now: datetime) -> list[Decision]:
    groups = groups_by_name(autoscaling) if lookups else {}
    decisions = []
    for name, asked in sorted(by_leaf(lookups, groups).items()):
        wake = Wake.lookup([(l.name, l.query_type) for l in asked], min(map(asked_at, asked)))
        step = plan(name, groups.get(name), wake, now)
        if step.decision.group:
            apply(autoscaling, step.decision.group, step)
        decisions.append(step.decision)
    return decisions
