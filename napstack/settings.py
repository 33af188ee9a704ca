"""What the state machines are told about a config, computed once here for both the stacks and the emulator."""

from __future__ import annotations

import json

from napstack.config import BaseConfig, LeafConfig, NapstackConfig
from napstack.cost import hourly_while_up

# Where the record points while the server sleeps: TEST-NET-1 (RFC 5737) is never routed, so a client
# fails fast instead of reaching someone else's machine.
UNAVAILABLE_IP = "192.0.2.1"


COUNT_CONNECTIONS = "count_connections"
START_SERVER = "start_server"
DNS_RECORD = "dns_record"
QUERY_LOGGING = "query_logging"
LAUNCH_FAILURES = "launch_failures"
RECONCILER = "reconciler"
NOTIFY = "notify"
STATUS_PAGE = "status_page"
WARM_POOL_REFRESH = "warm_pool_refresh"
# Tags on each leaf's ASG, the contract between the leaf, start_server and the watchdog (functions/ repeat them).
DNS_NAME_TAG = "napstack:dns-name"  # start_server finds the leaf a looked-up name belongs to
# The leaf's base stack: a base's status page lists, wakes and may change only its own base's games (two bases, say two
# zones, can share an account and region).
BASE_TAG = "napstack:base"
START_ON_TAG = "napstack:start-on"  # query types that start it, space-separated; LOOKUPS_OFF: none does
LOOKUPS_OFF = "none"  # StartOnLookup: false in the game: only the status page wakes it
SRV_TAG = "napstack:srv"  # "_minecraft._tcp", with SRV in Dns.StartOn: the SRV name before the game's that wakes it
COOLDOWN_TAG = "napstack:cooldown"  # "<minutes>/<lookups>" after an idle stop
LAUNCH_FAILURES_TAG = "napstack:launch-failures"  # the hook's recent failed launches, until it gives up
# "<ISO time> by <who>" (a lookup of mc.example.com (A), the status page): written with the desired-capacity change
# that wakes the server (functions/shared/wake_rule.py), read by the hook at launch (the starting alert, the watchdog's ready figures), deleted when
# the server stops. A launch without one was started from the console (or by hand).
WOKEN_TAG = "napstack:woken"
# What the base's status page reads about each game from its group (functions/status_page/page_view.py).
LEAF_NAME_TAG = "napstack:leaf"  # on every resource of the leaf stack
ADDRESS_TAG = "napstack:address"  # host:port, as players join
QUERY_TAG = "napstack:query"  # "<protocol> <port> <timeout seconds>", only with Watchdog.Query
PASSPHRASE_TAG = "napstack:wake-passphrase"  # the game's own wake passphrase hash (StatusPage.PassphraseHash)
# The only tags the page writes (its role may write no other): the wake record, wake_rule's cool-down count and last
# wake (functions/shared/wake_rule.py), and one tag per wrong guess (functions/status_page/wake_guard.py), which alone
# it also deletes once too old to count.
WAKE_FAILURE_TAGS = "napstack:wake-failure-*"
PAGE_WRITES_TAGS = (WOKEN_TAG, "napstack:cooldown-lookups", "napstack:last-lookup", WAKE_FAILURE_TAGS)
READY_METRICS_NAMESPACE = "napstack"  # count_connections' ready figures (functions/count_connections/ready_metrics.py)
LAUNCH_DETAIL_TYPES = ["EC2 Instance Launch Successful", "EC2 Instance Launch Unsuccessful"]
TERMINATE_DETAIL_TYPE = "EC2 Instance-terminate Lifecycle Action"
# napstack's own terminate hook, by name: ECS managed draining puts a second hook on the group (named below),
# and Auto Scaling emits one lifecycle event per hook. ECS completes its own after stopping the game.
LIFECYCLE_HOOK_NAME = "napstack-terminating"
ECS_DRAINING_HOOK_NAME = "ecs-managed-draining-termination-hook"
# With Ec2.WarmPool: the launch hook that holds a new pool instance (Warmed:Pending:Wait) until its user data has
# pulled the game's image, and every instance leaving for the group (Pending:Wait) until it has booted; the instance
# completes it itself (stacks/ecs_asg.py).
WARM_POOL_HOOK_NAME = "napstack-warming"
# Where an instance comes from and goes to, in the events of a group with a warm pool (and only of such a group).
FROM_EC2, IN_GROUP, IN_WARM_POOL = "EC2", "AutoScalingGroup", "WarmPool"


def auto_scaling_group_name(leaf: LeafConfig) -> str:
    """A plain, known name: IAM statements, rules and the emulator can name the group without tokens."""
    return leaf.stack_name


WATCHDOG_SUFFIX, HOOK_SUFFIX = "-Watchdog", "-AsgStateChangeHook"


def watchdog_state_machine_name(leaf: LeafConfig | str) -> str:
    """`<stack>-Watchdog`, from a leaf config or (for deployed stacks) its stack name."""
    return f"{leaf if isinstance(leaf, str) else leaf.stack_name}{WATCHDOG_SUFFIX}"


def hook_state_machine_name(leaf: LeafConfig | str) -> str:
    return f"{leaf if isinstance(leaf, str) else leaf.stack_name}{HOOK_SUFFIX}"


def asg_launch_pattern(group_name: str, warm_pool: bool = False) -> dict:
    """The hook's first rule: this group's launches and failed launches, nothing else. A group with a warm pool also
    launches into the pool (Destination WarmPool: a refill, not a start, nobody waiting): those are left out, and an
    event without Destination (AWS adds it "if that information is available") is still taken."""
    detail: dict = {"AutoScalingGroupName": [group_name]}
    if warm_pool:
        detail["$or"] = [{"Destination": [IN_GROUP]}, {"Destination": [{"exists": False}]}]
    return {"source": ["aws.autoscaling"], "detail-type": LAUNCH_DETAIL_TYPES, "detail": detail}


def asg_terminate_pattern(group_name: str) -> dict:
    """The hook's second rule: this group's terminations held by napstack's own hook (ECS's hook is left to ECS)."""
    return {
        "source": ["aws.autoscaling"],
        "detail-type": [TERMINATE_DETAIL_TYPE],
        "detail": {"AutoScalingGroupName": [group_name], "LifecycleHookName": [LIFECYCLE_HOOK_NAME]},
    }


CRASH_STOP_CODES = ["EssentialContainerExited", "TaskFailedToStart"]


def ecs_crash_pattern(cluster_arn: str) -> dict:
    """The hook's second rule: this cluster's game task stopped on its own (not stopped by the hook or a deploy)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {"clusterArn": [cluster_arn], "lastStatus": ["STOPPED"], "stopCode": CRASH_STOP_CODES},
    }


WATCHDOG_ENDED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"]


def watchdog_ended_pattern(watchdog_state_machine_arn: str) -> dict:
    """The hook's safety net: a watchdog execution that ended without scaling down (no Catch saw it)."""
    return {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": WATCHDOG_ENDED_STATUSES, "stateMachineArn": [watchdog_state_machine_arn]},
    }


def function_environment(name: str, **variables: str) -> dict[str, str]:
    """A napstack Lambda's environment, as the stack sets it and the emulator reproduces it."""
    return {"POWERTOOLS_SERVICE_NAME": name, **variables}


def start_server_environment(leaf_region: str) -> dict[str, str]:
    return function_environment(START_SERVER, LEAF_REGION=leaf_region)


def leaf_tags(config: NapstackConfig) -> dict[str, str]:
    """What each leaf's ASG tells start_server and the status page about itself."""
    leaf = config.leaf
    dns, query = leaf.dns, leaf.watchdog.query
    tags = {
        DNS_NAME_TAG: config.dns_name,
        BASE_TAG: config.base.base_stack_name,
        START_ON_TAG: " ".join(leaf.lookup_types) or LOOKUPS_OFF,
        COOLDOWN_TAG: f"{dns.cooldown_minutes}/{dns.cooldown_lookups}",
        ADDRESS_TAG: f"{config.dns_name}:{leaf.watched_port}",
    }
    if leaf.start_on_lookup and leaf.srv_prefix:
        tags[SRV_TAG] = leaf.srv_prefix
    if query is not None:
        tags[QUERY_TAG] = f"{query.protocol} {leaf.query_port} {query.timeout_seconds:g}"
    if leaf.status_page.passphrase_hash:
        tags[PASSPHRASE_TAG] = leaf.status_page.passphrase_hash
    return tags


def status_page_environment(base: BaseConfig) -> dict[str, str]:
    """The base whose games the page shows (their BASE_TAG), and its passphrase hash (never the passphrase), when it
    sets one."""
    page_hash = base.status_page.passphrase_hash
    return function_environment(STATUS_PAGE, BASE_NAME=base.base_stack_name,
                                **({"PASSPHRASE_HASH": page_hash} if page_hash else {}))


def notify_environment(config: NapstackConfig, alerts_topic_arn: str) -> dict[str, str]:
    """The channels by parameter name (never a URL), and where an undelivered notification is told."""
    channels = [c.model_dump(by_alias=True) for c in config.notify_channels]
    return function_environment(NOTIFY, NOTIFY_CHANNELS=json.dumps(channels, separators=(",", ":")),
                                SERVER_NAME=config.leaf.name, ALERTS_TOPIC_ARN=alerts_topic_arn)


def count_connections_environment(
    task_definition_arn: str, container_name: str, cluster_arn: str, service_name: str
) -> dict[str, str]:
    return function_environment(
        COUNT_CONNECTIONS, TASK_DEFINITION_ARN=task_definition_arn, CONTAINER_NAME=container_name,
        CLUSTER_ARN=cluster_arn, SERVICE_NAME=service_name,
    )


def watchdog_settings(config: NapstackConfig) -> dict:
    """The watchdog execution's Settings: everything one check needs, so one state machine serves any config."""
    leaf = config.leaf
    watchdog = leaf.watchdog
    return {
        "ServerName": leaf.name,
        "Protocol": leaf.watched_protocol,
        "Port": leaf.watched_port,
        "UdpPacketThreshold": watchdog.udp_packet_threshold,
        "CountSsh": watchdog.count_ssh,
        "IntervalSeconds": watchdog.interval_seconds,
        "IdleChecks": watchdog.idle_checks,
        "MaxFailedChecks": watchdog.max_failed_checks,
        "StartupGraceMinutes": watchdog.startup_grace_minutes,
        "MaxUptimeHours": watchdog.max_uptime.hours,
        "MaxUptimeAction": watchdog.max_uptime.action,
        "Query": None if watchdog.query is None else {
            "Protocol": watchdog.query.protocol,
            "Port": leaf.query_port,
            "Transport": watchdog.query.transport,
            "TimeoutSeconds": watchdog.query.timeout_seconds,
        },
        "HourlyUsd": hourly_while_up(config, config.base.leaf_region),
        "Address": f"{config.dns_name}:{leaf.watched_port}",
    }


def hook_settings_json(config: NapstackConfig) -> str:
    """The hook's settings as the JSON text its LoadSettings state parses."""
    failures = config.leaf.ec2.launch_failures
    return json.dumps(
        {
            "RecordTtl": config.leaf.dns.ttl,
            "Watchdog": watchdog_settings(config),
            "LaunchFailures": {"GiveUpAfter": failures.give_up_after, "WithinMinutes": failures.within_minutes},
        },
        separators=(",", ":"),
    )


def json_string_body(text: str) -> str:
    """`text` escaped to sit between the quotes of a JSON string (definition substitutions are raw text)."""
    return json.dumps(text)[1:-1]
