"""A napstack function behind CDK's custom resource provider framework, which answers CloudFormation for it."""

from aws_cdk import Stack, aws_lambda as lambda_, custom_resources as cr
from constructs import Construct

from stacks.acknowledge import acknowledge, acknowledge_managed_policies, acknowledge_wildcards
from stacks.log_group import napstack_log_group


def provider_for(scope: Construct, function: lambda_.Function) -> cr.Provider:
    # The framework's own function logs to a group of this stack's too: otherwise Lambda creates one on first
    # use, kept forever, and destroy leaves it behind.
    provider = cr.Provider(
        scope, "Provider", on_event_handler=function, log_group=napstack_log_group(scope, "ProviderLogs")
    )
    acknowledge(provider, "AwsSolutions-L1", "CDK's provider framework picks its own Node.js runtime.")
    acknowledge_managed_policies(
        provider,
        ["service-role/AWSLambdaBasicExecutionRole"],
        "CDK's provider framework only writes its own logs with it.",
    )
    acknowledge_wildcards(
        provider,
        "CDK's provider framework invokes its handler and the handler's versions (`:*`), nothing else.",
        resources=[f"<{Stack.of(scope).get_logical_id(function.node.default_child)}.Arn>:*"],
    )
    return provider
