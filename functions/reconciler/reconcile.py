"""What a lost event left behind, found by comparing the group with the executions, ECS and DNS; and its repair.

EventBridge delivers Auto Scaling and Step Functions events best effort. The hook keeps four things in step with
the group: ECS, DNS, the watchdog and the alerts. This module finds where one event never reached the hook and
gives the hook that event (so the hook's own rules, retries and failure routes decide), or, for a server that is
gone, resets what the hook would have reset.

Why the rules are safe against races with the hook:
- nothing is done while a hook execution runs: whatever it is doing (a launch, a restart, a stop) ends in a state
  the next run reads;
- a launch event is resent only for an instance launched more than EVENT_GRACE ago, and is idempotent anyway:
  the hook names the watchdog after the instance, so if the real event arrives too, one of the two StartExecution
  calls fails with ExecutionAlreadyExists and that run ends quietly;
- a watchdog's end is resent only once its stop is older than EVENT_GRACE (its own event has had time to reach
  the hook), under an event id derived from the ended execution, so two resends restart it once;
- DNS is reset with one atomic change batch that deletes the exact value read and creates the asleep one: if the
  hook pointed the name at a new server in between, Route53 refuses the whole batch and nothing changes;
- ECS is set to 0 only when the group wants no instance and has none in service or pending: a start after the
  read needs an instance to boot (minutes) before the hook sets ECS to 1, far beyond this function's timeout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

EVENT_GRACE = timedelta(minutes=2)  # EventBridge delivers within seconds; a status-change event older is lost
IN_SERVICE = "InService"
LAUNCHING = ("Pending", "Pending:Wait", "Pending:Proceed", "Warmed:Pending")


@dataclass(frozen=True)
class Leaf:
    """What the reconciler is told about its leaf (the function's environment)."""

    group_name: str
    hook_arn: str
    watchdog_arn: str
    cluster_arn: str
    service_name: str
    hosted_zone_id: str
    record_name: str
    record_ttl: int
    asleep_ip: str
    topic_arn: str
    server_name: str


@dataclass
class Outcome:
    actions: list[dict] = field(default_factory=list)  # {"action": StateLikeName, "reason": ...}: what was repaired
    waiting: list[str] = field(default_factory=list)  # why something was left to the next run
    expecting: list[str] = field(default_factory=list)  # a change under way, which an event of its own completes

    @property
    def consistent(self) -> bool:
        return not self.actions and not self.waiting

    def did(self, action: str, reason: str) -> None:
        self.actions.append({"action": action, "reason": reason})

    def as_dict(self) -> dict:
        return {**asdict(self), "consistent": self.consistent}


class Clients:
    """The boto3 clients the reconciler uses, one attribute per service."""

    def __init__(self, autoscaling, stepfunctions, ecs, route53, ec2, sns) -> None:
        self.autoscaling, self.stepfunctions, self.ecs = autoscaling, stepfunctions, ecs
        self.route53, self.ec2, self.sns = route53, ec2, sns


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)


def reconcile(clients: Clients, leaf: Leaf, now: datetime) -> Outcome:
    outcome = Outcome()
    groups = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[leaf.group_name])
    if not groups["AutoScalingGroups"]:
        raise LookupError(f"no Auto Scaling group named {leaf.group_name}: is the stack deployed in this region?")
    group = groups["AutoScalingGroups"][0]
    running_hook = clients.stepfunctions.list_executions(
        stateMachineArn=leaf.hook_arn, statusFilter="RUNNING", maxResults=1
    )["executions"]
    if running_hook:
        outcome.waiting.append(f"the hook is running ({running_hook[0]['name']}): its end is read next time")
        return outcome
    states = {i["InstanceId"]: i["LifecycleState"] for i in group["Instances"]}
    in_service = sorted(i for i, state in states.items() if state == IN_SERVICE)
    launching = any(state in LAUNCHING for state in states.values())
    if group["DesiredCapacity"] == 0 and (in_service or launching):
        outcome.expecting.append("the group is scaling in: its terminate event resets ECS and DNS")
    elif group["DesiredCapacity"] == 0:
        _asleep(clients, leaf, outcome)
    elif launching or len(in_service) < group["DesiredCapacity"]:
        outcome.expecting.append("a launch is in progress (or retried by Auto Scaling): its event starts the watchdog")
    else:
        for instance in in_service:
            _watched(clients, leaf, instance, now, outcome)
    return outcome


# --- the group is up: each instance in service has a running watchdog -----------------------------------------


def _execution_arn(leaf: Leaf, name: str) -> str:
    return leaf.watchdog_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def _of_instance(instance: str, name: str) -> bool:
    """The watchdog's executions are named after the instance: `i-...`, `i-...-<generation>`, `i-...-restart-...`."""
    return name == instance or name.startswith(f"{instance}-")


def _watched(clients: Clients, leaf: Leaf, instance: str, now: datetime, outcome: Outcome) -> None:
    sfn = clients.stepfunctions
    running = sfn.list_executions(stateMachineArn=leaf.watchdog_arn, statusFilter="RUNNING")["executions"]
    if any(_of_instance(instance, e["name"]) for e in running):
        return
    try:
        first = sfn.describe_execution(executionArn=_execution_arn(leaf, instance))
    except sfn.exceptions.ExecutionDoesNotExist:
        launched = _launch_time(clients, instance, now)
        if now - launched < EVENT_GRACE:
            outcome.waiting.append(f"{instance} launched at {_iso(launched)}: its launch event may be on its way")
            return
        _hand_to_hook(clients, leaf, _launch_event(leaf, instance, launched), instance, now, outcome,
                      "ResendLaunchEvent", f"{instance} is in service and was never watched: its launch event was lost")
        return
    # Newest first (ListExecutions' order): the instance's last watchdog is on the first page.
    ended = sfn.list_executions(stateMachineArn=leaf.watchdog_arn)["executions"]
    last = next((e for e in ended if _of_instance(instance, e["name"])), first)
    last = sfn.describe_execution(executionArn=last["executionArn"])
    if last.get("stopDate") and now - last["stopDate"] < EVENT_GRACE:
        outcome.waiting.append(f"watchdog {last['name']} ended at {_iso(last['stopDate'])}: its event may be on its way")
        return
    _hand_to_hook(clients, leaf, _ended_event(leaf, last, now), instance, now, outcome, "ResendWatchdogEnd",
                  f"{instance} is in service but its watchdog {last['name']} ended {last['status']} and nothing took over")


def _arn_part(leaf: Leaf, index: int) -> str:
    """The region (3) or account (4) of the leaf, from its hook's ARN."""
    return leaf.hook_arn.split(":")[index]


def _launch_time(clients: Clients, instance: str, now: datetime) -> datetime:
    found = clients.ec2.describe_instances(InstanceIds=[instance])["Reservations"]
    return found[0]["Instances"][0].get("LaunchTime", now) if found else now


def _launch_event(leaf: Leaf, instance: str, launched: datetime) -> dict:
    """The "EC2 Instance Launch Successful" event Auto Scaling sent for `instance`, as the hook reads it."""
    return {
        "version": "0",
        "id": f"reconciler-launch-{instance}",
        "detail-type": "EC2 Instance Launch Successful",
        "source": "aws.autoscaling",
        "account": _arn_part(leaf, 4),
        "time": _iso(launched),  # the watchdog's startup grace and uptime count from the real launch
        "region": _arn_part(leaf, 3),
        "resources": [f"arn:aws:ec2:{_arn_part(leaf, 3)}:{_arn_part(leaf, 4)}:instance/{instance}"],
        "detail": {
            "StatusCode": "InProgress",
            "AutoScalingGroupName": leaf.group_name,
            "EC2InstanceId": instance,
            "Description": f"Launching a new EC2 instance: {instance}",
            "Cause": "napstack's reconciler found the instance in service without a watchdog: the event was lost.",
        },
    }


def _epoch_ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _ended_event(leaf: Leaf, execution: dict, now: datetime) -> dict:
    """The "Step Functions Execution Status Change" event of an ended watchdog, as the hook's safety net reads it.
    Its id is the ended execution's: resent twice, the hook's RestartWatchdog (named after the id) starts once."""
    digest = hashlib.sha256(execution["executionArn"].encode()).hexdigest()[:16]
    return {
        "version": "0",
        "id": f"reconciler-{digest}",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": _arn_part(leaf, 4),
        "time": _iso(now),
        "region": _arn_part(leaf, 3),
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": leaf.watchdog_arn,
            "name": execution["name"],
            "status": execution["status"],
            "startDate": _epoch_ms(execution.get("startDate")),
            "stopDate": _epoch_ms(execution.get("stopDate")),
            "input": execution.get("input", "{}"),
            "error": execution.get("error"),
            "cause": execution.get("cause"),
        },
    }


def _hand_to_hook(clients, leaf: Leaf, event: dict, instance: str, now: datetime, outcome: Outcome, action: str,
                  reason: str) -> None:
    """Start the hook with the event it missed; if even that fails, the server is stopped rather than unwatched."""
    name = f"reconciler-{instance}-{int(now.timestamp())}"
    try:
        clients.stepfunctions.start_execution(stateMachineArn=leaf.hook_arn, name=name, input=json.dumps(event))
    except Exception as error:  # botocore has retried the transient ones already
        _scale_down_unwatched(clients, leaf, f"{reason}, and the hook could not be started ({_error_code(error)})", outcome)
        return
    outcome.did(action, reason)


def _alert(clients: Clients, leaf: Leaf, subject: str, message: str) -> None:
    clients.sns.publish(
        TopicArn=leaf.topic_arn,
        Subject=f"{leaf.server_name}: {subject}",
        Message=message,
        # kind: what the chats' notify subscription selects on (every alert of the reconciler's is a problem).
        MessageAttributes={"server": {"DataType": "String", "StringValue": leaf.server_name},
                           "kind": {"DataType": "String", "StringValue": "problem"}},
    )


def _scale_down_unwatched(clients: Clients, leaf: Leaf, why: str, outcome: Outcome) -> None:
    try:
        clients.autoscaling.set_desired_capacity(AutoScalingGroupName=leaf.group_name, DesiredCapacity=0, HonorCooldown=False)
    except Exception as error:
        _alert(clients, leaf, "NOT WATCHED, stop it by hand",
               f"{why}. Scaling it down failed too ({_error_code(error)}): run `napstack stop --stack "
               f"{leaf.group_name}` or set the group to 0 in the console.")
        raise
    outcome.did("ScaleDownUnwatched", f"ASG desired capacity -> 0: {why}")
    _alert(clients, leaf, "scaled down, could not be watched", f"{why}; an unwatched server would never stop by itself.")


# --- the group is asleep: ECS at 0, DNS at the asleep address -----------------------------------------------------


def _asleep(clients: Clients, leaf: Leaf, outcome: Outcome) -> None:
    service = clients.ecs.describe_services(cluster=leaf.cluster_arn, services=[leaf.service_name])["services"]
    if service and service[0]["desiredCount"] > 0:
        clients.ecs.update_service(cluster=leaf.cluster_arn, service=leaf.service_name, desiredCount=0)
        outcome.did("StopGameTask", f"ECS desired count {service[0]['desiredCount']} -> 0 with no instance: a stop event was lost")
    found = clients.route53.list_resource_record_sets(
        HostedZoneId=leaf.hosted_zone_id, StartRecordName=leaf.record_name, StartRecordType="A", MaxItems="1"
    )["ResourceRecordSets"]
    name = leaf.record_name.rstrip(".").lower()
    record = next((r for r in found if (r["Name"].rstrip(".").lower(), r["Type"]) == (name, "A")), None)
    values = [r["Value"] for r in (record or {}).get("ResourceRecords", [])]
    if record is None or values == [leaf.asleep_ip]:
        return
    asleep = {"Name": leaf.record_name, "Type": "A", "TTL": leaf.record_ttl, "ResourceRecords": [{"Value": leaf.asleep_ip}]}
    try:  # one batch: the DELETE holds only while the record still has the values read
        clients.route53.change_resource_record_sets(
            HostedZoneId=leaf.hosted_zone_id,
            ChangeBatch={
                "Comment": f"napstack reconciler: {leaf.record_name} pointed at a server that no longer runs",
                "Changes": [{"Action": "DELETE", "ResourceRecordSet": record}, {"Action": "CREATE", "ResourceRecordSet": asleep}],
            },
        )
    except clients.route53.exceptions.InvalidChangeBatch:
        outcome.waiting.append(f"{leaf.record_name} changed while being reset: read again next time")
        return
    outcome.did("PointDnsAtNothing", f"DNS {', '.join(values)} -> {leaf.asleep_ip} (nothing): no instance runs there, a stop "
                "event was lost")
