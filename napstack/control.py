"""`python -m napstack start|stop|status --config FILE` (or `--stack NAME [--region R]`): the manual path, with the
user's own AWS credentials, in the region the leaf is deployed to.

Start and stop only change the group's desired capacity, exactly as a DNS lookup or the watchdog would;
the AsgStateChangeHook then moves ECS, DNS, the watchdog and the alerts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from napstack.settings import DNS_NAME_TAG, watchdog_state_machine_name


class ControlError(Exception):
    """The stack cannot be found or reached; the message says what to check."""


def _group(autoscaling, stack: str) -> dict:
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[stack])["AutoScalingGroups"]
    if not groups:
        region = autoscaling.meta.region_name
        raise ControlError(f"no Auto Scaling group named {stack} in {region}: is the stack deployed there? "
                           "(--config asks the config's LeafRegion; --stack asks --region or your profile's)")
    return groups[0]


def set_running(autoscaling, stack: str, running: bool) -> str:
    group, wanted = _group(autoscaling, stack), 1 if running else 0
    if group["DesiredCapacity"] == wanted:
        return f"{stack} is already {'running' if running else 'stopped'} (desired capacity {wanted}); nothing changed"
    autoscaling.set_desired_capacity(AutoScalingGroupName=stack, DesiredCapacity=wanted, HonorCooldown=False)
    follow = "the hook points DNS and ECS at the new instance" if running else "the hook resets DNS and ECS, data stays on EFS"
    return f"{stack}: desired capacity {group['DesiredCapacity']} -> {wanted}; {follow}"


def a_record_value(route53, zone_id: str, name: str) -> str | None:
    """The address the server's A record points at now, or None when there is no record."""
    records = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A")
    for record in records["ResourceRecordSets"]:
        if record["Name"].rstrip(".") == name and record["Type"] == "A":
            return record["ResourceRecords"][0]["Value"]
    return None


def _dns_value(route53, name: str | None) -> str | None:
    """Find the zone from the name (the tag on the group) and read its A record."""
    if not name:
        return None
    domain = name.split(".", 1)[1]
    zones = route53.list_hosted_zones_by_name(DNSName=domain)["HostedZones"]
    zone = next((z for z in zones if z["Name"].rstrip(".") == domain), None)
    return a_record_value(route53, zone["Id"], name) if zone else None


def _watchdog(sfn, arn: str) -> dict | None:
    running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
    if not running:
        return None
    execution = running[0]
    history = sfn.get_execution_history(executionArn=execution["executionArn"], reverseOrder=True, maxResults=50)["events"]
    idle = None
    for event in history:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == "CountConnections":
            output = json.loads(details["output"])
            idle = f"{output['Watch']['IdleCount']}/{output['Settings']['IdleChecks']}"
            break
    return {"name": execution["name"], "since": execution["startDate"].isoformat(), "idle": idle}


def deployed_state_machine_arn(session, name: str) -> str:
    """The ARN a napstack state machine has in the account and region the session names."""
    identity = session.client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    return f"arn:{partition}:states:{session.region_name}:{identity['Account']}:stateMachine:{name}"


def page_url(cloudformation, base_stack: str | None) -> str | None:
    """The status page's URL, the base stack's output; None without one (turned off, another version, no stack)."""
    if not base_stack:
        return None
    try:
        stacks = cloudformation.describe_stacks(StackName=base_stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for stack in stacks for o in stack.get("Outputs", [])}
    return outputs.get("StatusPageUrl")


def status(session, stack: str, now: datetime | None = None, base_stack: str | None = None) -> dict:
    autoscaling = session.client("autoscaling")
    group = _group(autoscaling, stack)
    tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
    ids = [i["InstanceId"] for i in group["Instances"]]
    instances = []
    if ids:
        for reservation in session.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]:
            for instance in reservation["Instances"]:
                up = (now or datetime.now(timezone.utc)) - instance["LaunchTime"]
                instances.append(
                    {"id": instance["InstanceId"], "public_ip": instance.get("PublicIpAddress"), "up_minutes": int(up.total_seconds() // 60)}
                )
    watchdog_arn = deployed_state_machine_arn(session, watchdog_state_machine_name(stack))
    return {
        "stack": stack,
        "desired": group["DesiredCapacity"],
        "instances": instances,
        "dns_name": tags.get(DNS_NAME_TAG),
        "dns_value": _dns_value(session.client("route53"), tags.get(DNS_NAME_TAG)),
        "watchdog": _watchdog(session.client("stepfunctions"), watchdog_arn),
        "status_page": page_url(session.client("cloudformation"), base_stack),
    }


def render_status(data: dict) -> str:
    lines = [f"{data['stack']}: desired {data['desired']}, {len(data['instances'])} instance(s)"]
    for instance in data["instances"]:
        lines.append(f"  {instance['id']}  {instance['public_ip'] or '(no public IP)'}  up {instance['up_minutes']} min")
    lines.append(f"  DNS {data['dns_name'] or '(no dns-name tag)'} -> {data['dns_value'] or '(no record)'}")
    watchdog = data["watchdog"]
    lines.append(
        f"  watchdog {watchdog['name']} since {watchdog['since']}, idle {watchdog['idle'] or '(no check yet)'}"
        if watchdog
        else "  watchdog: not running"
    )
    if data.get("status_page"):
        lines.append(f"  status page {data['status_page']}")
    return "\n".join(lines)
