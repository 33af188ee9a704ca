"""What the status page says about each game of the base: read live from its Auto Scaling group, its instance and
the game itself (the watchdog's own query), never from a copy that could go stale.

A game is a group in this region carrying this base's name in napstack's base tag (another base, say another zone, can
share the account and region: its games are not this page's); the leaf's tags say what the page needs (its name, the
address players join, how to ask the game, its own passphrase hash).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from wake_rule import IDLE_STOP_TAG, WOKEN_TAG  # the wake decision's own keys, bundled beside this (shared.txt)

# The same tag keys as napstack/settings.py (this folder is deployed on its own and cannot import it).
DNS_NAME_TAG = "napstack:dns-name"
BASE_TAG = "napstack:base"  # the leaf's base stack
LEAF_NAME_TAG = "napstack:leaf"
ADDRESS_TAG = "napstack:address"
QUERY_TAG = "napstack:query"  # "<protocol> <port> <timeout seconds>", only with Watchdog.Query
PASSPHRASE_TAG = "napstack:wake-passphrase"  # the game's own scrypt hash
STARTS_LOOKED_BACK = timedelta(days=30)  # past starts the estimate averages
TERMINATING = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated")


@dataclass
class ServerView:
    name: str
    group: str
    address: str
    state: str  # asleep | starting | ready | stopping
    since: str | None = None  # asleep: when it last stopped; starting: since when; ready: since the launch
    players: int | None = None
    max_players: int | None = None
    names: list[str] = field(default_factory=list)
    version: str | None = None
    motd: str | None = None
    estimate_seconds: int | None = None  # starting: the average of its past starts, wake to ready
    woken_by: str | None = None
    query: str | None = None  # why the game's figures are missing, when they are
    wake: bool = False  # a passphrase is set for it: the page shows the wake button

    def as_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if key != "group"}


def tags_of(group: dict) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}


def napstack_groups(autoscaling, base: str) -> list[dict]:
    """Every group in the region of the base named `base` (its base tag), by leaf name."""
    groups = []
    paginator = autoscaling.get_paginator("describe_auto_scaling_groups")
    for page in paginator.paginate(Filters=[{"Name": f"tag:{BASE_TAG}", "Values": [base]}]):
        groups.extend(page["AutoScalingGroups"])
    return sorted(groups, key=lambda g: tags_of(g).get(LEAF_NAME_TAG, g["AutoScalingGroupName"]))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def woken_at(tags: dict[str, str]) -> tuple[str | None, str | None]:
    """(ISO time, who) of the wake record, or Nones."""
    record = tags.get(WOKEN_TAG)
    if not record:
        return None, None
    moment, _, who = record.partition(" by ")
    return moment, who or None


def query_settings(tags: dict[str, str]) -> tuple[str, int, float] | None:
    try:
        protocol, port, timeout = tags[QUERY_TAG].split()
        return protocol, int(port), float(timeout)
    except (KeyError, ValueError):
        return None


def server_view(group: dict, base_hash: str | None, instance: Callable[[str], dict | None],
                ask: Callable[[str, str, int, float], object], estimate: Callable[[str], int | None]) -> ServerView:
    """`instance(instance id)` -> DescribeInstances' entry or None, `ask(protocol, host, port, timeout)` ->
    QueryResult (raises when the game does not answer), `estimate(server name)` -> seconds or None."""
    tags = tags_of(group)
    name = tags.get(LEAF_NAME_TAG, group["AutoScalingGroupName"])
    view = ServerView(name=name, group=group["AutoScalingGroupName"],
                      address=tags.get(ADDRESS_TAG, tags.get(DNS_NAME_TAG, "")), state="asleep",
                      wake=bool(tags.get(PASSPHRASE_TAG) or base_hash))
    instances = group.get("Instances", [])
    live = [i for i in instances if i["LifecycleState"] not in TERMINATING]
    woken, view.woken_by = woken_at(tags)
    if group["DesiredCapacity"] == 0:
        view.state = "stopping" if instances else "asleep"
        view.since = tags.get(IDLE_STOP_TAG)
        return view
    in_service = [i for i in live if i["LifecycleState"] == "InService"]
    view.state, view.since = "starting", woken
    if woken is None and live:  # started from the console: since its launch
        launched = (instance(live[0]["InstanceId"]) or {}).get("LaunchTime")
        view.since = _iso(launched) if isinstance(launched, datetime) else None
    if not in_service:
        view.estimate_seconds = estimate(name)
        return view
    settings = query_settings(tags)
    if settings is None:  # nothing to ask: in service is as ready as the page can tell
        view.state, view.query = "ready", "the game has no query set (Watchdog.Query)"
        return view
    host = (instance(in_service[0]["InstanceId"]) or {}).get("PublicIpAddress")
    protocol, port, timeout = settings
    try:
        if host is None:
            raise LookupError("the instance has no public address yet")
        answer = ask(protocol, host, port, timeout)
    except Exception as failed:  # noqa: BLE001 - a game that does not answer (yet) is starting, whatever it sent
        view.estimate_seconds = estimate(name)
        view.query = f"the game does not answer yet ({type(failed).__name__})"
        return view
    view.state = "ready"
    view.players, view.max_players = answer.players, answer.max_players
    view.names, view.version, view.motd = list(answer.names), answer.version, answer.motd
    return view


def estimate_of_starts(cloudwatch, now: datetime) -> Callable[[str], int | None]:
    """The average seconds from a wake to ready over the past month (count_connections' WakeToReadySeconds), per
    server; None without data or when CloudWatch cannot say (an estimate never fails the page)."""

    def estimate(server: str) -> int | None:
        try:
            points = cloudwatch.get_metric_statistics(
                Namespace="napstack", MetricName="WakeToReadySeconds",
                Dimensions=[{"Name": "Server", "Value": server}], StartTime=now - STARTS_LOOKED_BACK, EndTime=now,
                Period=int(STARTS_LOOKED_BACK.total_seconds()), Statistics=["Average"],
            )["Datapoints"]
        except Exception:  # noqa: BLE001 - throttled or refused: no estimate
            return None
        return round(points[0]["Average"]) if points else None

    return estimate


def instance_of(ec2) -> Callable[[str], dict | None]:
    def described(instance_id: str) -> dict | None:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return next((i for reservation in reservations for i in reservation["Instances"]), None)

    return described
