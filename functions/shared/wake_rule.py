"""One rule for every way in (a DNS lookup of the server's name, the status page's wake button): whether a wake
starts a sleeping server, counts as activity on a running one, waits out the cool-down after an idle stop, or is
ignored, and why. A wake is a wake whatever asked for it: one cool-down count on the group, one "why not".

Shared (functions/shared/): bundled into the asset of each function whose shared.txt names it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# The same tag keys as napstack/settings.py (a function is deployed on its own and cannot import it).
START_ON_TAG = "napstack:start-on"
COOLDOWN_TAG = "napstack:cooldown"
IDLE_STOP_TAG = "napstack:idle-stop-at"
COOLDOWN_COUNT_TAG = "napstack:cooldown-lookups"
LAST_LOOKUP_TAG = "napstack:last-lookup"
# Who woke it, "<ISO time> by <who>", written with the start: the hook reads it at the launch (the starting alert,
# the watchdog's ready figures: measured from when the player first asked) and deletes it at the stop. A lookup is named by the name and types asked, never by
# the resolver's address: that is the player's ISP's, or the player's own, and the alert goes to chats.
WOKEN_TAG = "napstack:woken"
TAG_VALUE_LIMIT = 256  # Auto Scaling's longest tag value
# "_minecraft._tcp": the SRV record published with SRV in Dns.StartOn. An SRV lookup starts the server only when it
# asks for `_<service>._<that protocol>.<its name>`, as the game's client does (any service label, RFC 6335's shape).
SRV_TAG = "napstack:srv"
SERVICE_LABEL = re.compile(r"_[a-z0-9][a-z0-9-]{0,14}")
LOOKUPS_OFF = "none"  # START_ON_TAG with StartOnLookup: false: no lookup wakes it, the status page does
DEFAULT_START_ON = ("A", "AAAA")

LOOKUP, PAGE = "lookup", "page"


@dataclass(frozen=True)
class Wake:
    """Someone asking for the server: a burst of lookups of its name (their query types), or the page's button."""

    source: str  # LOOKUP or PAGE
    lookups: tuple[tuple[str, str], ...] = ()  # a burst's (name asked, query type): the server's name or its SRV name
    at: datetime | None = None  # when it was first asked (a burst's first lookup); None: now

    @classmethod
    def lookup(cls, lookups: list[tuple[str, str]], at: datetime | None = None) -> Wake:
        return cls(LOOKUP, tuple(lookups), at)

    @classmethod
    def page(cls) -> Wake:
        return cls(PAGE)


@dataclass(frozen=True)
class Decision:
    name: str
    group: str | None
    action: str  # started | activity | already up | cooling down | ignored | no leaf
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


def srv_leaf(asked: str) -> str | None:
    """The name an SRV name asks about: `_minecraft._tcp.mc.example.com` -> `mc.example.com`; None for another."""
    service, _, rest = asked.partition(".")
    proto, _, name = rest.partition(".")
    return name if SERVICE_LABEL.fullmatch(service) and proto in ("_tcp", "_udp") and name else None


def _starts(name: str, asked: str, query_type: str, start_on: list[str], srv: str) -> bool:
    if query_type == "SRV" and "SRV" in start_on:
        return srv_leaf(asked) == name and asked.split(".")[1] == srv.rpartition(".")[2]
    return query_type in start_on and asked == name


def _only(name: str, start_on: list[str], srv: str) -> str:
    """`A AAAA`, or `SRV of _<service>._tcp.mc.example.com`: the lookups that start it."""
    return " ".join(f"SRV of _<service>.{srv.rpartition('.')[2]}.{name}" if t == "SRV" else t for t in start_on)


def _ignored(name: str, group_name: str, wake: Wake, tags: dict[str, str]) -> tuple[list[tuple[str, str]], Plan | None]:
    """The lookups that start it, or the plan that ignores the burst and says why."""
    start_on = tags.get(START_ON_TAG, " ".join(DEFAULT_START_ON)).split()
    srv = tags.get(SRV_TAG, "_tcp")
    starting = [(asked, t) for asked, t in wake.lookups if _starts(name, asked, t, start_on, srv)]
    if starting:
        return starting, None
    count, kinds = len(wake.lookups), ", ".join(sorted({t for _, t in wake.lookups}))
    why = ("lookups never wake it (StartOnLookup: false); the status page does" if start_on == [LOOKUPS_OFF]
           else f"only {_only(name, start_on, srv)} start it")
    return [], Plan(Decision(name, group_name, "ignored", f"{count} {kinds} lookup(s); {why}"))


def plan(name: str, group: dict | None, wake: Wake, now: datetime) -> Plan:
    """What `wake` does to the group serving `name` (a describe_auto_scaling_groups entry with its tags; None: no
    napstack leaf serves it)."""
    if group is None:
        return Plan(Decision(name, None, "no leaf", f"{len(wake.lookups)} lookup(s) of a name no napstack leaf serves"))
    tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
    group_name = group["AutoScalingGroupName"]
    if wake.source == LOOKUP:
        starting, ignored = _ignored(name, group_name, wake, tags)
        if ignored:
            return ignored
        kinds = "/".join(sorted({t for _, t in starting}))
        asks, what, one = len(starting), f"{len(starting)} {kinds} lookup(s)", "lookup"
        who = f"a lookup of {starting[0][0]} ({kinds})"
    else:  # the page's button: one press, the page's own passphrase and limits decided it may ask
        asks, what, one, who = 1, "a wake from the status page", "wake", "the status page"
    stamp = now.isoformat()
    if group["DesiredCapacity"] > 0:
        if wake.source != LOOKUP:  # starting or up already: said, nothing changed
            return Plan(Decision(name, group_name, "already up", "already starting or up; nothing changed"))
        # Someone is trying to connect: the watchdog counts this as activity.
        return Plan(
            Decision(name, group_name, "activity", f"{asks} lookup(s) while up; the watchdog counts them"),
            tags={LAST_LOOKUP_TAG: stamp},
        )
    minutes, _, needed = tags.get(COOLDOWN_TAG, "0/1").partition("/")
    stopped = _parse_time(tags.get(IDLE_STOP_TAG))
    if stopped and now - stopped < timedelta(minutes=int(minutes or 0)):
        seen = int(tags.get(COOLDOWN_COUNT_TAG, "0")) + asks
        if seen < int(needed or 1):
            return Plan(
                Decision(name, group_name, "cooling down", f"{one} {seen} of {needed} within {minutes} min of an idle stop"),
                tags={COOLDOWN_COUNT_TAG: str(seen)},
            )
    return Plan(
        Decision(name, group_name, "started", f"{what}; desired 0 -> 1"),
        desired_capacity=1,
        tags={COOLDOWN_COUNT_TAG: "0", LAST_LOOKUP_TAG: stamp, WOKEN_TAG: wake_record(wake.at or now, who)},
    )


def wake_record(now: datetime, who: str) -> str:
    """`2026-12-01T18:00:00Z by a lookup of mc.example.com (A)`, in UTC, cut to fit a tag."""
    return f"{now.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ} by {who}"[:TAG_VALUE_LIMIT]


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
