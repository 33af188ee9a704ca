"""Replay an event through the emulated leaf stack and report what happened, as the console would show it."""

from __future__ import annotations

import binascii
import re
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from datetime import datetime, timedelta, timezone
from typing import Callable

from napstack.config import NapstackConfig
from napstack.control import a_record_value
from napstack.emulator.event_shapes import wrong_type, wrong_type_in_logs
from napstack.emulator.faults import FaultPlan
from napstack.emulator.log_payload import decoded_lines, inflated_data
from napstack.emulator.scenario import Scenario
from napstack.emulator.world import Emulator
from napstack.inputs import InputError, read_text
from napstack.settings import (
    ECS_DRAINING_HOOK_NAME, LIFECYCLE_HOOK_NAME, RECONCILER, START_SERVER, UNAVAILABLE_IP, WARM_POOL_HOOK_NAME,
    watchdog_settings,
)

NAPSTACK_GROUP_PREFIX = "Napstack-"
LAUNCH, LAUNCH_FAILED, TERMINATING, LAUNCHING = (
    "EC2 Instance Launch Successful",
    "EC2 Instance Launch Unsuccessful",
    "EC2 Instance-terminate Lifecycle Action",
    "EC2 Instance-launch Lifecycle Action",
)
QUIET_STATES = {
    "WaitForNextCheck", "CountConnections", "IdleLongEnough", "LoadSettings", "ReadSettings", "WhichEvent",
    "ReplacementComing", "CountFailedCheck", "TooManyFailedChecks", "ExplainFailedChecks", "UseExplanation",
    "StartedCleanly", "StillInService", "WatchedBefore", "ReadEndedWatchdog", "HowDidItEnd", "EndedWithErrorAndCause",
    "EndedWithError", "EndedWithCause", "EndedWithoutReason", "CountFailedLaunch", "GiveUpLaunching",
    "ExplainUncountedLaunchFailure", "ReadWake", "WhoWokeIt", "WokenByRecord", "StartedFromConsole", "WakeNotRead",
}


EARLIEST_EVENT = datetime(2006, 1, 1, tzinfo=timezone.utc)  # before AWS there were no AWS events


class EventError(Exception):
    """An event file that is not an event; the message says what is wrong."""


@dataclass
class TimelineRow:
    time: str
    state_machine: str
    execution: str
    state: str
    detail: str = ""


@dataclass
class ExecutionReport:
    state_machine: str
    name: str
    status: str
    error: str | None
    cause: str | None
    states: list[str]
    transitions: int
    output: dict | None = None
    scaled_down_after_check: int | None = None  # the watchdog set the group to 0 after this check
    stopped_by_napstack: bool = False  # a watchdog the hook stopped as its instance terminated: by design


@dataclass
class ReplayResult:
    dns_name: str
    notes: list[str]
    timeline: list[TimelineRow]
    executions: list[ExecutionReport]
    asg_desired: int
    ecs_desired: int
    dns_value: str | None
    notifications: list[str]
    watchdog_checks: int
    scaled_down_after_check: int | None
    lifecycle_actions_completed: int
    started_at: str
    ended_at: str
    rule_matched: bool = field(default=False)
    function_errors: list[str] = field(default_factory=list)
    faults_injected: int = 0
    faults_not_fired: list[str] = field(default_factory=list)  # a call never made, a check past the end
    deployment: dict = field(default_factory=dict)  # what was replayed: stacks, templates' digest, where from
    webhook_posts: list[dict] = field(default_factory=list)  # {"channel", "kind", "body"}: what the chats would get
    # The ready figures count_connections put in CloudWatch (seconds from the wake): {"WakeToReadySeconds": 94, ...}
    ready_figures: dict = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return not self.function_errors and all(e.status == "SUCCEEDED" or e.stopped_by_napstack for e in self.executions)

    def as_json(self) -> dict:
        data = asdict(self)
        data["timeline"] = [asdict(row) for row in self.timeline]
        return data


def _line_time(line: str) -> datetime | None:
    try:
        return datetime.fromisoformat(line.split()[1].replace("Z", "+00:00")).replace(microsecond=0)
    except (IndexError, ValueError):
        return None


def _event_time(event: dict) -> datetime | None:
    """When the event happened: EventBridge's `time`, or the earliest readable query-log line's time (a line
    that cannot be read does not move the clock)."""
    try:
        if "awslogs" in event:
            times = [t for t in map(_line_time, decoded_lines(event)) if t and t.tzinfo]
            return min(times, default=None)
        # Whole seconds as EventBridge writes them, or with milliseconds as some of AWS's documented examples do.
        stamp = event["time"]
        pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if isinstance(stamp, str) and "." in stamp else "%Y-%m-%dT%H:%M:%SZ"
        return datetime.strptime(stamp, pattern).replace(tzinfo=timezone.utc, microsecond=0)
    except (KeyError, TypeError, ValueError, IndexError, OSError, binascii.Error, EOFError):
        return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def load_event(path) -> dict:
    """An event file as EventBridge or CloudWatch Logs would deliver it; EventError says what is wrong."""
    try:
        text = read_text(path)
    except InputError as error:
        raise EventError(str(error).removeprefix(f"{path}: ")) from None
    try:
        event = json.loads(text, parse_constant=_no_constant)  # strict JSON: no NaN or Infinity
    except (ValueError, RecursionError) as error:
        raise EventError(f"not JSON ({error})") from None
    return validate_event(event)


MAX_EVENT_NESTING = 32  # AWS's events are a few levels deep


def _nesting(value, limit: int = MAX_EVENT_NESTING) -> int:
    stack, deepest = [(value, 1)], 0
    while stack and deepest <= limit:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def validate_event(event) -> dict:
    if not isinstance(event, dict):
        raise EventError(f"expected one event as a JSON object, got {type(event).__name__}")
    if not ({"detail-type", "source", "awslogs"} & set(event)):
        raise EventError(
            "neither an EventBridge event (no 'source', no 'detail-type') nor a CloudWatch Logs payload (no 'awslogs')"
        )
    if _nesting(event) > MAX_EVENT_NESTING:
        raise EventError(f"nested more than {MAX_EVENT_NESTING} levels deep; no AWS event is")
    problem = wrong_type(event)
    if problem:
        raise EventError(problem)
    if "awslogs" in event and not (isinstance(event["awslogs"], dict) and isinstance(event["awslogs"].get("data"), str)):
        raise EventError("'awslogs' must be an object with 'data' (base64 of gzipped JSON), as CloudWatch Logs sends it")
    if "awslogs" in event:
        try:
            problem = wrong_type_in_logs(inflated_data(event))
        except ValueError as error:
            raise EventError(str(error)) from None
        if problem:
            raise EventError(problem)
    if "time" in event:
        moment = _event_time(event)
        if moment is None:
            raise EventError(f"'time' {event['time']!r} is not an ISO 8601 UTC time such as 2026-01-01T20:00:00Z")
        if not EARLIEST_EVENT <= moment <= datetime.now(timezone.utc) + timedelta(days=366):
            raise EventError(f"'time' {event['time']} is not a plausible event time (2006 to a year from now)")
    return event


def _bind_task_event(emulator: Emulator, event: dict, notes: list[str]) -> dict:
    """An ECS task event about this leaf's cluster, with the game running as the event implies."""
    cluster = str(event["detail"].get("clusterArn", ""))
    name = cluster.rsplit("/", 1)[-1]
    if name.startswith(NAPSTACK_GROUP_PREFIX) and name != emulator.config.leaf.stack_name:  # exact, as the rule matches
        notes.append(f"event names another napstack cluster ({name}): this leaf's rule should ignore it")
        return event
    if cluster != emulator.stack.cluster_arn:
        notes.append(f"bound cluster {name or '(none)'} to {emulator.stack.cluster_arn.rsplit('/', 1)[-1]}")
        event["detail"]["clusterArn"] = emulator.stack.cluster_arn
    _server_running(emulator, notes)
    return event


def _server_running(emulator: Emulator, notes: list[str]) -> str:
    """The server up (ASG 1, ECS 1, DNS at the instance), as an event about a running game implies; its instance."""
    emulator.set_desired_capacity(1, quietly=True)
    instance = emulator.instance_ids()[0]
    _as_if_launched(emulator, instance)
    notes.append("set up as the event implies: the server running (ASG 1, ECS 1, DNS at the instance) before it")
    return instance


def _bind_execution_event(emulator: Emulator, event: dict, notes: list[str]) -> dict:
    """A watchdog execution's "Execution Status Change": about this leaf's watchdog, which watched this group's
    running instance with this config's settings."""
    detail = event["detail"]
    name = str(detail.get("stateMachineArn", "")).rsplit(":", 1)[-1]
    ours = emulator.stack.watchdog_arn.rsplit(":", 1)[-1]
    if name.startswith(NAPSTACK_GROUP_PREFIX) and name != ours:  # exact, as the rule matches
        notes.append(f"event names another napstack state machine ({name}): this leaf's rule should ignore it")
        return event
    if name != ours:
        notes.append(f"bound state machine {name or '(none)'} to {ours}")
        detail["stateMachineArn"] = emulator.stack.watchdog_arn
    instance = _server_running(emulator, notes)
    try:
        watched = json.loads(detail.get("input") or "null")
    except ValueError:
        watched = None
    if isinstance(watched, dict):  # otherwise the hook meets the input as it is
        if watched.get("InstanceId") != instance:
            notes.append(f"bound instance {watched.get('InstanceId')} to {instance}")
        watched.update(InstanceId=instance, AutoScalingGroupName=emulator.stack.asg_name,
                       Settings=watchdog_settings(emulator.config))
        detail["input"] = json.dumps(watched)
    return event


def _bind(emulator: Emulator, event: dict, notes: list[str]) -> dict:
    """Make a captured or documented event about *this* group and instance, and set the world up as it implies."""
    detail = event.get("detail")
    if event.get("source") == "aws.ecs" and isinstance(detail, dict):
        return _bind_task_event(emulator, event, notes)
    if event.get("source") == "aws.states" and isinstance(detail, dict):
        return _bind_execution_event(emulator, event, notes)
    if event.get("source") != "aws.autoscaling" or not isinstance(detail, dict):
        return event
    group = detail.get("AutoScalingGroupName")
    if isinstance(group, str) and group != emulator.stack.asg_name:
        if group.startswith(NAPSTACK_GROUP_PREFIX):
            notes.append(f"event names another napstack group ({group}): this leaf's rule should ignore it")
            return event
        notes.append(f"bound group {group} to {emulator.stack.asg_name}")
        detail["AutoScalingGroupName"] = emulator.stack.asg_name
        event["resources"] = [
            r.replace(f"autoScalingGroupName/{group}", f"autoScalingGroupName/{emulator.stack.asg_name}")
            for r in event.get("resources", [])
        ]
    kind, old_instance = event.get("detail-type"), detail.get("EC2InstanceId")
    hook = detail.get("LifecycleHookName")
    if kind == TERMINATING and isinstance(hook, str) and hook not in (LIFECYCLE_HOOK_NAME, ECS_DRAINING_HOOK_NAME):
        notes.append(f"bound lifecycle hook {hook} to {LIFECYCLE_HOOK_NAME}")
        detail["LifecycleHookName"] = LIFECYCLE_HOOK_NAME
    if kind in (LAUNCH, TERMINATING):
        emulator.set_desired_capacity(1, quietly=True)  # the instance the event speaks of
        instance = emulator.instance_ids()[0]
        if kind == TERMINATING:
            _as_if_launched(emulator, instance)
            emulator.set_desired_capacity(0, quietly=True)  # the scale-in that raised this event
            notes.append("set up as the event implies: a running server (ECS 1, DNS at it) whose group was just set to 0")
        if old_instance and old_instance != instance:
            notes.append(f"bound instance {old_instance} to {instance}")
            event = json.loads(json.dumps(event).replace(old_instance, instance))
    elif kind == LAUNCH_FAILED:
        emulator.hold_desired_capacity_without_instances(1)
    return event


def _as_if_launched(emulator: Emulator, instance: str) -> None:
    """The state a launch leaves behind (task running, DNS at the instance) before a terminate event."""
    emulator.client("ecs").update_service(
        cluster=emulator.stack.cluster_arn, service=emulator.stack.service_name, desiredCount=1
    )
    ip = emulator.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    _upsert(emulator, ip.get("PublicIpAddress", "203.0.113.10"))


def _upsert(emulator: Emulator, value: str) -> None:
    emulator.client("route53").change_resource_record_sets(
        HostedZoneId=emulator.stack.hosted_zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": emulator.stack.record_name,
                        "Type": "A",
                        "TTL": emulator.config.leaf.dns.ttl,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def _counts(check: dict) -> str:
    """What a check counted: the players the game reported, or the connections (and why not the players)."""
    if check["Result"] == "failed":
        return f"error: {check['Error']}"
    if check["Result"] == "gone":
        return "instance gone"
    if check.get("Counted") == "players":
        names = f" ({', '.join(check['Names'])})" if check.get("Names") else ""
        ssh = f" ssh={check['Ssh']}" if check.get("Ssh") else ""
        host = f"; host check failed: {check['Error']}" if check.get("Error") else ""  # the game's answer decided
        return f"players={check['Players']}{names}{ssh}{host}"
    query = f"; query unanswered: {check['QueryError']}" if check.get("QueryError") else ""
    return f"tcp={check['Tcp']} udp={check['UdpPackets']} ssh={check['Ssh']}{query}"


def _detail(state: str, phase: str, data: dict) -> str:
    """The few values that matter for a state, from its input (entered) or output (exited)."""
    try:
        if phase == "exited" and state == "CountConnections":
            check, watch, settings = data["Check"], data["Watch"], data["Settings"]
            counts = _counts(check)
            return (
                f"check {check['Number']}: {check['Result']} ({counts}); idle {watch['IdleCount']}/"
                f"{settings['IdleChecks']}, failed {watch['FailedCount']}/{settings['MaxFailedChecks']}"
                + (f" -> {watch['Verdict']}" if watch["Verdict"] != "Watching" else "")
            )
        if phase == "entered" and state == "RecordFailedCheck":
            return (
                f"check {data['Counted']['Checks']}: failed ({data['CheckError']['Error']}); "
                f"failed {data['Counted']['FailedCount']}/{data['Settings']['MaxFailedChecks']}"
            )
        if phase == "entered" and state in ("AlertScaledDown", "AlertAndKeepWatching", "StartGameTaskAgain"):
            return data["Watch"]["Reason"]
        if phase == "entered" and state in ("AlertLaunchRetrying", "AlertLaunchFailed"):
            return data["Launch"]["Message"]
        if phase == "entered" and state in ("ScaleDownUnwatched", "RestartWatchdog"):
            how = data.get("HowItEnded", {}).get("Text") or data["detail"]["status"]
            return data.get("Why", {}).get("Text", "") or f"after {data['detail']['name']} {how}"
        if phase == "entered":
            return {
                "StartGameTask": "ECS desired count -> 1",
                "StopGameTask": "ECS desired count -> 0",
                "PointDnsAtServer": f"DNS -> {data.get('Instance', {}).get('PublicIp')}",
                "PointDnsAtNothing": f"DNS -> {UNAVAILABLE_IP} (nothing)",
                "StartWatchdog": f"watchdog {data.get('detail', {}).get('EC2InstanceId')}; "
                                 f"{data.get('Woken', {}).get('Text', '')}".rstrip("; "),
                "ForgetWake": "wake record forgotten (the server stops)",
                "ScaleDownToZero": "ASG desired capacity -> 0",
                "ResetDesiredCapacity": "ASG desired capacity -> 0",
                "ContinueTermination": "lifecycle action CONTINUE",
                "ContinueTerminationAfterError": "lifecycle action CONTINUE (after an error)",
                "ContinueAsNewExecution": "continue as a new execution",
            }.get(state, "")
    except (KeyError, TypeError):
        return ""
    return ""


def _without_stack_trace(cause) -> str:
    """A Lambda function's error message, as AWS's console heads it, without the stack trace (whose file paths,
    here, would be this machine's); any other cause as it is. The error's type is the task's error already."""
    try:
        error = json.loads(cause)
        return str(error["errorMessage"])
    except (TypeError, ValueError, KeyError):
        return str(cause)


def _stops(emulator: Emulator, executions: list[dict]) -> dict[str, str]:
    """Executions that napstack's own state machines stopped (the hook stops a terminating instance's watchdog),
    with the cause they gave, as the stopping execution's history shows it (moto's DescribeExecution drops it)."""
    stopped = {}
    for execution in executions:
        if execution["stateMachineArn"] != emulator.stack.hook_arn:
            continue
        for event in emulator.history(execution["executionArn"]):
            details = event.get("taskScheduledEventDetails") or {}
            if details.get("resource") == "stopExecution":
                parameters = json.loads(details.get("parameters") or "{}")
                stopped[parameters.get("ExecutionArn")] = (f"stopped by hook {execution['name']}: "
                                                           f"{parameters.get('Cause') or 'no cause given'}")
    return stopped


def _report(emulator: Emulator, execution: dict, stopped_by_napstack: dict[str, str]) -> tuple[ExecutionReport, list[TimelineRow]]:
    sfn = emulator.client("stepfunctions")
    short = "watchdog" if execution["stateMachineArn"] == emulator.stack.watchdog_arn else "hook"
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    history = emulator.history(execution["executionArn"])
    stopped_by = emulator.stop_causes.get(execution["executionArn"]) or stopped_by_napstack.get(execution["executionArn"])
    rows, states, scaled_after = [], [], None
    failure, failed_with, attempts = None, "", 0  # the last task failure shown, to fold its retries into one row
    for event in history:
        stamp = event["timestamp"].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            states.append(details["name"])
            if details["name"] not in QUIET_STATES:
                text = _detail(details["name"], "entered", json.loads(details.get("input") or "{}"))
                rows.append(TimelineRow(stamp, short, execution["name"], details["name"], text))
        elif kind == "TaskFailed" and states:  # what AWS answered; the state's Retry or Catch decides what follows
            details = event["taskFailedEventDetails"]
            cause = re.sub(r", Request ID: [^)]*", "", _without_stack_trace(details.get("cause")))  # retries differ only there
            text = f"failed: {details.get('error')}: {cause}"
            if failure is not None and rows and rows[-1] is failure and failed_with == text:  # the same, retried
                attempts += 1
                failure.detail = f"{text} (attempt {attempts})"
            else:
                failure, failed_with, attempts = TimelineRow(stamp, short, execution["name"], states[-1], text), text, 1
                rows.append(failure)
        elif kind.endswith("StateExited") and event["stateExitedEventDetails"]["name"] == "CountConnections":
            details = event["stateExitedEventDetails"]
            text = _detail(details["name"], "exited", json.loads(details.get("output") or "{}"))
            rows.append(TimelineRow(stamp, short, execution["name"], details["name"], text))
        elif kind.endswith("StateExited") and event["stateExitedEventDetails"]["name"] == "ScaleDownToZero":
            # The group's desired capacity is 0: scaled down, whatever comes next (an alert that fails, a stop).
            scaled_after = json.loads(event["stateExitedEventDetails"].get("output") or "{}").get("Watch", {}).get("Checks")
        elif kind in ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut", "ExecutionSucceeded"):
            text = described.get("error") or stopped_by or ""
            rows.append(TimelineRow(stamp, short, execution["name"], kind.removeprefix("Execution").upper(), text))
    output = json.loads(described["output"]) if described.get("output") else None
    report = ExecutionReport(
        state_machine=short,
        name=execution["name"],
        status=described["status"],
        error=described.get("error") or ("Stopped" if stopped_by else None),
        cause=described.get("cause") or stopped_by,
        states=states,
        transitions=len(states),
        output=output if short == "watchdog" else None,
        scaled_down_after_check=scaled_after,
        stopped_by_napstack=execution["executionArn"] in stopped_by_napstack and described["status"] == "ABORTED",
    )
    return report, rows


def _dns_value(emulator: Emulator) -> str | None:
    return a_record_value(emulator.client("route53"), emulator.stack.hosted_zone_id, emulator.stack.record_name)


def _notifications(emulator: Emulator) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    topic = sns_backends[DEFAULT_ACCOUNT_ID][emulator.stack.topic_arn.split(":")[3]].topics[emulator.stack.topic_arn]
    return [subject or message for _, message, subject, _, _ in topic.sent_notifications]


def _ready_figures(emulator: Emulator) -> dict[str, float]:
    """What the leaf's functions put in CloudWatch under napstack's namespace (PutMetricData), by metric name: the
    ready figures, as a dashboard of the metrics would show them."""
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    from napstack.settings import READY_METRICS_NAMESPACE

    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][emulator.stack.topic_arn.split(":")[3]]
    return {datum.name: datum.value for datum in backend.metric_data
            if isinstance(datum, MetricDatum) and datum.namespace == READY_METRICS_NAMESPACE}


def _other_hooks_action(delivery) -> str | None:
    """A terminate lifecycle event of a hook that is not napstack's (ECS managed draining's), or any launch lifecycle
    event: no rule takes it."""
    detail = delivery.event.get("detail") if isinstance(delivery.event, dict) else None
    hook = detail.get("LifecycleHookName") if isinstance(detail, dict) else None
    if not delivery.started and delivery.event.get("detail-type") == LAUNCHING and isinstance(hook, str):
        route = f" ({detail.get('Origin')} -> {detail.get('Destination')})" if "Destination" in detail else ""
        return (f"{detail.get('EC2InstanceId')}: launch lifecycle action{route} of hook {hook}; no rule takes it: "
                f"napstack's ({WARM_POOL_HOOK_NAME}, Ec2.WarmPool) is completed by the instance itself once booted")
    if delivery.started or delivery.event.get("detail-type") != TERMINATING or hook in (None, LIFECYCLE_HOOK_NAME):
        return None
    owner = "ECS drains the instance (the game stops and saves) and completes it" if hook == ECS_DRAINING_HOOK_NAME else "its owner completes it"
    return f"{detail.get('EC2InstanceId')}: lifecycle hook {hook} is not napstack's; {owner}"


def _scheduled_rows(run) -> list[TimelineRow]:
    """A scheduled run shows when it repaired something or failed; a run that found all in step is not news."""
    stamp = run.time.strftime("%Y-%m-%d %H:%M:%S")
    if run.refused:
        return [TimelineRow(stamp, "schedule", "-", "FailedInvocation", run.error)]
    if run.error:
        return [TimelineRow(stamp, run.started or "schedule", "-", "FAILED", f"{run.error} (the next run tries again)")]
    return [TimelineRow(stamp, RECONCILER, "-", a["action"], a["reason"]) for a in (run.result or {}).get("actions", [])]


def collect(emulator: Emulator, notes: list[str], started_at: datetime, rule_matched: bool) -> ReplayResult:
    reports, rows, execution_rows_all = [], [], []
    executions = emulator.executions()
    stopped_by_napstack = _stops(emulator, executions)
    for execution in executions:
        report, execution_rows = _report(emulator, execution, stopped_by_napstack)
        reports.append(report)
        execution_rows_all.extend(execution_rows)
    function_errors, left_to_their_hooks = [], []
    for delivery in emulator.stack.deliveries:
        stamp = delivery.time.strftime("%Y-%m-%d %H:%M:%S")
        other_hook = _other_hooks_action(delivery)
        if other_hook:
            left_to_their_hooks.append(TimelineRow(stamp, "rules", "-", "LeftToItsHook", other_hook))
        if delivery.refused:  # a rule's role or a function's resource policy that does not allow the delivery
            function_errors.append(delivery.error)
            rows.append(TimelineRow(stamp, "rules", "-", "FailedInvocation", delivery.error))
        if delivery.filtered_out:
            rows.append(TimelineRow(stamp, "logs", "-", "FilteredOut", delivery.error))
        if delivery.started != START_SERVER:
            continue
        if delivery.error:
            function_errors.append(f"{START_SERVER}: {delivery.error}")
            rows.append(TimelineRow(stamp, START_SERVER, "-", "FAILED", delivery.error))
        for decision in (delivery.result or {}).get("decisions", []):
            rows.append(TimelineRow(stamp, START_SERVER, "-", decision["action"], f"{decision['name']}: {decision['reason']}"))
    runs = emulator.stack.scheduled_runs
    for run in runs:
        rows.extend(_scheduled_rows(run))
    if runs and runs[-1].error:  # an earlier failed run was retried by the next one
        function_errors.append(f"{runs[-1].started or 'schedule'}: {runs[-1].error}")
    rows.extend(execution_rows_all)  # what start_server did comes before what it caused at the same second
    rows.extend(left_to_their_hooks)  # and a scale-in's events after the scale-in
    for move in emulator.pool.history if emulator.pool else ():  # the warm pool's instances, as DescribeWarmPool shows
        rows.append(TimelineRow(move.time.strftime("%Y-%m-%d %H:%M:%S"), "warm pool", move.instance_id, move.state,
                                move.detail))
    for post in emulator.stack.webhook_posts:  # after the alert that caused it, at the same second
        rows.append(TimelineRow(post.time.strftime("%Y-%m-%d %H:%M:%S"), "notify", post.channel, post.kind, post.subject))
    # An injected fault comes before what the system did about it at the same second.
    rows[:0] = [TimelineRow(f.time, "fault", "-", "Injected", f.description) for f in emulator.faults.fired]
    rows.sort(key=lambda row: row.time)
    scaled = [r.scaled_down_after_check for r in reports if r.scaled_down_after_check]
    group = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[emulator.stack.asg_name])
    service = emulator.client("ecs").describe_services(
        cluster=emulator.stack.cluster_arn, services=[emulator.stack.service_name]
    )
    return ReplayResult(
        dns_name=emulator.stack.record_name,
        notes=notes,
        timeline=rows,
        executions=reports,
        asg_desired=group["AutoScalingGroups"][0]["DesiredCapacity"],
        ecs_desired=service["services"][0]["desiredCount"],
        dns_value=_dns_value(emulator),
        notifications=_notifications(emulator),
        watchdog_checks=emulator.host.checks_answered,
        scaled_down_after_check=scaled[0] if scaled else None,
        lifecycle_actions_completed=len(emulator.completed_lifecycle_actions),
        started_at=started_at.isoformat(),
        ended_at=emulator.clock.now().isoformat(),
        rule_matched=rule_matched,
        function_errors=function_errors,
        faults_injected=len(emulator.faults.fired),
        faults_not_fired=emulator.faults.not_fired(),
        deployment=emulator.deployment_summary(),
        webhook_posts=[{"channel": p.channel, "kind": p.kind, "body": p.body} for p in emulator.stack.webhook_posts],
        ready_figures=_ready_figures(emulator),
    )


def replay(
    config: NapstackConfig,
    event: dict,
    scenario: Scenario | None = None,
    max_hours: float = 72,
    faults: FaultPlan | None = None,
    assembly: Path | None = None,
    progress: Callable[[timedelta, int], None] | None = None,
    aws_times: bool = False,
) -> ReplayResult:
    """Send `event` through the leaf stack's rules and run every execution it causes to its end, in the world the
    assembly deploys (`assembly`: a cdk.out; default: the config's, synthesized in-process). `progress`, while it
    runs: the simulated time since the event and the watchdog checks so far."""
    event = validate_event(json.loads(json.dumps(event)))
    start = _event_time(event) or datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
    notes: list[str] = []
    with Emulator(config, scenario, start=start, faults=faults, assembly=assembly, aws_times=aws_times) as emulator:
        edited = sorted(set(emulator.deployment.edited_since_synth))
        if edited:
            notes.append(f"{', '.join(edited)} differ from the assembly's copies (edited since the synth): the replay "
                         "runs this checkout's code; synthesize again to replay what deploys")
        event = _bind(emulator, event, notes)
        started = emulator.deliver(event)
        if not started and "awslogs" in event and not config.base.start_on_lookup:
            notes.append(f"StartOnLookup is false in the base config: {config.base.start_stack_name} is not deployed, "
                         "nothing reads query logs")
        elif not started and "awslogs" in event and emulator.stack.deliveries[-1].filtered_out:
            notes.append("the query-log subscription filter passed none of the lookups: start_server was not invoked")
        elif not started and not any(delivery.refused for delivery in emulator.stack.deliveries):
            notes.append("no rule of this stack matched the event: nothing ran")
        emulator.run_until_settled(
            timedelta(hours=max_hours), progress=progress and (lambda now, checks: progress(now - start, checks))
        )
        return collect(emulator, notes, start, bool(started))
