"""Acknowledging cdk-nag findings, so every acknowledgment carries its reason.

cdk-nag 3 matches acknowledgments by exact finding id; IAM4 and IAM5 report one finding per managed policy
or wildcard (``AwsSolutions-IAM5[Resource::*]``), so those have their own helpers that build the id.
"""

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct

# How cdk-nag writes pseudo parameters inside finding ids.
PARTITION, REGION, ACCOUNT = "<AWS::Partition>", "<AWS::Region>", "<AWS::AccountId>"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept cdk-nag's `rule` on `scope` and everything below it, for the written `reason`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_managed_policies(scope: IConstruct, policy_names: list[str], reason: str) -> None:
    for name in policy_names:
        acknowledge(scope, f"AwsSolutions-IAM4[Policy::arn:{PARTITION}:iam::aws:policy/{name}]", reason)


def acknowledge_wildcards(
    scope: IConstruct, reason: str, resources: list[str] = (), actions: list[str] = ()
) -> None:
    """Accept exactly these wildcard resources and actions, as cdk-nag renders them."""
    for resource in resources:
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::{resource}]", reason)
    for action in actions:
        acknowledge(scope, f"AwsSolutions-IAM5[Action::{action}]", reason)


def nag_arn(scope: IConstruct, service: str, resource: str) -> str:
    """An ARN built with Stack.format_arn in `scope`'s stack, as cdk-nag renders it in a finding id (a stack
    pinned to a region has it written out)."""
    region = Stack.of(scope).region
    return f"arn:{PARTITION}:{service}:{REGION if Token.is_unresolved(region) else region}:{ACCOUNT}:{resource}"
