"""IAM as AWS enforces it on the calls napstack makes, with the policies the templates give each role.

`Authorizer.check(role_arn, client, operation, params)` raises what AWS raises when no statement of the role's
policies allows the call (AccessDenied / AccessDeniedException / AuthorizationError / UnauthorizedOperation, by
service), naming the action, the resource ARN and the role. Actions and resources are matched by moto's policy
evaluator; the resource ARNs each call acts on come from the table `RESOURCES` below, and the condition keys of
each from the emulated resources (tags, record names). A call missing from the table, or a condition the
emulator cannot evaluate, fails as `NapstackEmulatorGap` instead of being let through.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Callable

from botocore.exceptions import ClientError
from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from napstack.emulator.template import ACCOUNT_ID

GAP = "NapstackEmulatorGap"
DENIED_CODES = {"autoscaling": "AccessDenied", "route53": "AccessDenied", "sns": "AuthorizationError",
                "ec2": "UnauthorizedOperation"}  # the JSON-protocol services say AccessDeniedException
IAM_PREFIXES = {"stepfunctions": "states"}
IAM_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}


@dataclass
class Target:
    """A resource a call acts on, and the condition keys AWS evaluates for it."""

    arn: str
    context: dict[str, list[str]] = field(default_factory=dict)


def _backend(module: str, region: str):
    import importlib

    from moto.core import DEFAULT_ACCOUNT_ID

    return getattr(importlib.import_module(f"moto.{module}.models"), f"{module}_backends")[DEFAULT_ACCOUNT_ID][region]


def _tag_context(prefix: str, tags: dict[str, str]) -> dict[str, list[str]]:
    context = {f"aws:ResourceTag/{key}": [value] for key, value in tags.items()}
    context.update({f"{prefix}:ResourceTag/{key}": [value] for key, value in tags.items()})
    return context


def _group(region: str, name: str) -> Target:
    group = _backend("autoscaling", region).autoscaling_groups.get(name)
    if group is None:  # AWS authorizes against the name's ARN pattern; the call itself then fails
        return Target(f"arn:aws:autoscaling:{region}:{ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/{name}")
    tags = {tag["Key"]: tag["Value"] for tag in group.tags}
    return Target(group.arn, _tag_context("autoscaling", tags))


def _group_of(region: str, instance_id: str) -> Target:
    """The group an instance belongs to, its warm pool's included (AWS authorizes against the group's ARN)."""
    from moto.ec2.exceptions import InvalidInstanceIdError

    try:
        group = getattr(_backend("ec2", region).get_instance(instance_id), "autoscaling_group", None)
    except InvalidInstanceIdError:  # an unknown instance: the call itself fails after
        group = None
    return _group(region, group.name) if group is not None else Target(
        f"arn:aws:autoscaling:{region}:{ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*")


def _tagging(region: str, params: dict) -> list[Target]:
    """A tagging call's groups, each with the keys the request names for it (`aws:TagKeys`, which a policy can
    limit with ForAllValues)."""
    keys: dict[str, list[str]] = {}
    for tag in params["Tags"]:
        keys.setdefault(tag["ResourceId"], []).append(tag["Key"])
    targets = []
    for name, names in keys.items():
        target = _group(region, name)
        target.context["aws:TagKeys"] = names
        targets.append(target)
    return targets


def _instance(region: str, instance_id: str) -> Target:
    backend = _backend("ec2", region)
    tags = backend.describe_tags(filters={"resource-id": [instance_id]})
    return Target(
        f"arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{instance_id}",
        _tag_context("ssm", {tag["key"]: tag["value"] for tag in tags}),
    )


def _document(region: str, name: str) -> Target:
    owner = "" if name.startswith("AWS-") else ACCOUNT_ID  # AWS's own documents have no account in their ARN
    return Target(f"arn:aws:ssm:{region}:{owner}:document/{name}")


def _parameter(region: str, name: str) -> Target:
    """A parameter's ARN has no second slash for a name starting with one: parameter/napstack/discord."""
    return Target(f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter/{name.removeprefix('/')}")


def _tagged(region: str, params: dict) -> Target:
    """The resource an SSM tagging call names; napstack tags only parameters (notify's dead-webhook mark)."""
    if params.get("ResourceType") != "Parameter":
        raise NotImplementedError(f"{GAP}: SSM tags on a {params.get('ResourceType')} are not modelled")
    return _parameter(region, params["ResourceId"])


def _service(region: str, cluster: str, service: str) -> Target:
    if service.startswith("arn:"):
        return Target(service)
    cluster_name = cluster.rsplit("/", 1)[-1] if cluster else "default"
    return Target(f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster_name}/{service}",
                  {"ecs:cluster": [f"arn:aws:ecs:{region}:{ACCOUNT_ID}:cluster/{cluster_name}"]})


def _record_changes(params: dict) -> Target:
    changes = params.get("ChangeBatch", {}).get("Changes", [])
    sets = [change.get("ResourceRecordSet", {}) for change in changes]
    return Target(
        f"arn:aws:route53:::hostedzone/{params['HostedZoneId'].rsplit('/', 1)[-1]}",
        {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [s.get("Name", "").rstrip(".").lower() for s in sets],
            "route53:ChangeResourceRecordSetsRecordTypes": [s.get("Type", "") for s in sets],
            "route53:ChangeResourceRecordSetsActions": [change.get("Action", "") for change in changes],
        },
    )


def _zone(params: dict) -> Target:
    return Target(f"arn:aws:route53:::hostedzone/{params['HostedZoneId'].rsplit('/', 1)[-1]}")


def _function(region: str, name: str) -> Target:
    return Target(name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}")


ANY = lambda region, params: [Target("*")]  # noqa: E731  (actions that support no resource-level permissions)

# (botocore service, operation) -> the resources the call acts on. Every call napstack's state machines and
# handlers make is here; a new one fails as NapstackEmulatorGap until it is added.
RESOURCES: dict[tuple[str, str], Callable[[str, dict], list[Target]]] = {
    ("autoscaling", "DescribeAutoScalingGroups"): ANY,
    ("autoscaling", "DescribeAutoScalingInstances"): ANY,
    ("autoscaling", "SetDesiredCapacity"): lambda r, p: [_group(r, p["AutoScalingGroupName"])],
    ("autoscaling", "CompleteLifecycleAction"): lambda r, p: [_group(r, p["AutoScalingGroupName"])],
    ("autoscaling", "CreateOrUpdateTags"): _tagging,
    ("autoscaling", "DeleteTags"): _tagging,
    ("autoscaling", "DescribeTags"): ANY,
    ("autoscaling", "DescribeWarmPool"): ANY,
    ("autoscaling", "TerminateInstanceInAutoScalingGroup"): lambda r, p: [_group_of(r, p["InstanceId"])],
    # No resource-level permissions; the namespace is a condition key (cloudwatch:namespace).
    ("cloudwatch", "PutMetricData"): lambda r, p: [Target("*", {"cloudwatch:namespace": [p.get("Namespace", "")]})],
    ("cloudwatch", "GetMetricStatistics"): ANY,
    ("ec2", "DescribeInstances"): ANY,
    ("ecs", "UpdateService"): lambda r, p: [_service(r, p.get("cluster", ""), p["service"])],
    ("ecs", "DescribeServices"): lambda r, p: [_service(r, p.get("cluster", ""), s) for s in p["services"]],
    ("route53", "ChangeResourceRecordSets"): lambda r, p: [_record_changes(p)],
    ("route53", "ListResourceRecordSets"): lambda r, p: [_zone(p)],
    ("route53", "CreateQueryLoggingConfig"): lambda r, p: [_zone(p)],
    ("route53", "ListQueryLoggingConfigs"): ANY,
    ("route53", "DeleteQueryLoggingConfig"): lambda r, p: [Target(f"arn:aws:route53:::queryloggingconfig/{p['Id']}")],
    ("ssm", "SendCommand"): lambda r, p: [_document(r, p["DocumentName"])] + [_instance(r, i) for i in p.get("InstanceIds", [])],
    ("ssm", "GetCommandInvocation"): ANY,
    ("ssm", "GetParameter"): lambda r, p: [_parameter(r, p["Name"])],
    ("ssm", "ListTagsForResource"): lambda r, p: [_tagged(r, p)],
    ("ssm", "AddTagsToResource"): lambda r, p: [_tagged(r, p)],
    ("stepfunctions", "StartExecution"): lambda r, p: [Target(p["stateMachineArn"])],
    ("stepfunctions", "ListExecutions"): lambda r, p: [Target(p["stateMachineArn"])],
    ("stepfunctions", "StopExecution"): lambda r, p: [Target(p["executionArn"])],
    ("stepfunctions", "DescribeExecution"): lambda r, p: [Target(p["executionArn"])],
    ("sns", "Publish"): lambda r, p: [Target(p.get("TopicArn") or p.get("TargetArn", ""))],
    ("lambda", "Invoke"): lambda r, p: [_function(r, p["FunctionName"])],
}


class Unevaluable(Exception):
    """A condition the emulator cannot evaluate: reported as a failed call, never ignored."""


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": fnmatchcase,
    "ArnEquals": lambda actual, expected: actual == expected,
    "ArnLike": fnmatchcase,
}


def _condition_holds(condition: dict, context: dict[str, list[str]]) -> bool:
    context = {key.lower(): values for key, values in context.items()}  # IAM's condition key names ignore case
    for operator, keys in condition.items():
        qualifier, _, name = operator.rpartition(":")
        compare = _OPERATORS.get(name)
        if compare is None or qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise Unevaluable(f"condition operator {operator}")
        for key, expected in keys.items():
            expected = expected if isinstance(expected, list) else [expected]
            if key.lower() not in context:
                raise Unevaluable(f"condition key {key}")
            matches = [any(compare(value, wanted) for wanted in expected) for value in context[key.lower()]]
            if not (all(matches) if qualifier == "ForAllValues" else any(matches)):
                return False
    return True


def _decision(documents: list[dict], action: str, target: Target) -> PermissionResult:
    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            without_condition = {key: value for key, value in statement.items() if key != "Condition"}
            result = IAMPolicyStatement(without_condition).is_action_permitted(action, target.arn)
            if result == PermissionResult.NEUTRAL or not _condition_holds(statement.get("Condition", {}), target.context):
                continue
            if result == PermissionResult.DENIED:
                return result
            allowed = True
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


def _error(client, operation: str, code: str, message: str) -> ClientError:
    response = {"Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())}}
    return client.exceptions.from_code(code)(response, operation)


class Authorizer:
    def __init__(self, policies: dict[str, list[dict]], managed_policies: dict[str, list[str]]) -> None:
        self.policies = policies
        self.managed_policies = managed_policies

    def check(self, role_arn: str, session: str, client, operation: str, params: dict) -> None:
        service = client.meta.service_model.service_name
        action = f"{IAM_PREFIXES.get(service, service)}:{operation}"
        action = IAM_ACTIONS.get(action, action)
        resources = RESOURCES.get((service, operation))
        if resources is None:
            raise _error(client, operation, GAP, f"the emulator's IAM table (napstack/emulator/iam.py) has no {action}: "
                                                 "add the resources it acts on before napstack calls it")
        for target in resources(client.meta.region_name, params):
            try:
                decision = _decision(self.policies.get(role_arn, []), action, target)
            except Unevaluable as what:
                raise _error(client, operation, GAP, f"the emulator cannot evaluate the {what} in the policy of "
                                                     f"{role_arn} for {action} on {target.arn}") from None
            if decision != PermissionResult.PERMITTED:
                role = role_arn.rsplit("/", 1)[-1]
                because = "an explicit deny in an identity-based policy" if decision == PermissionResult.DENIED else (
                    "no identity-based policy allows the " + action + " action")
                managed = self.managed_policies.get(role_arn)
                unread = f" (managed policies not evaluated: {', '.join(managed)})" if managed else ""
                raise _error(
                    client, operation, DENIED_CODES.get(service, "AccessDeniedException"),
                    f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session} is not authorized to perform: "
                    f"{action} on resource: {target.arn} because {because}{unread}",
                )
