"""StatusPage: the base's page friends open to see every game and wake one (issue 23), a Lambda function URL.

No API Gateway or CloudFront: a function URL costs nothing beyond the function's own requests, so the page costs
nothing while nobody opens it. AuthType NONE, since a friend has no AWS credentials: the function itself refuses what
it must (a wrong passphrase, a cross-site post), and reserved concurrency, where the account allows one
(StatusPage.ReservedConcurrency), bounds what a flood of requests can cost.
Its role reads groups and instances, and changes only this base's own leaves (their base tag), and of their tags only
the few the page writes.
"""

from aws_cdk import ArnFormat, CfnOutput, Duration, Stack, aws_iam as iam, aws_lambda as lambda_
from constructs import Construct

from napstack.config import BaseConfig
from napstack.settings import BASE_TAG, PAGE_WRITES_TAGS, STATUS_PAGE, WAKE_FAILURE_TAGS, status_page_environment
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.lambda_function import napstack_function

# Every game's query waits at most 1.5 s (functions/status_page/app.py); a wrong passphrase waits a quarter second more.
TIMEOUT = Duration.seconds(20)


class StatusPage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: BaseConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.function = napstack_function(self, "Function", name=STATUS_PAGE, environment=status_page_environment(config),
                                          timeout=TIMEOUT)
        # None (the default) leaves the property out: not reserved (napstack/config.py says why).
        self.function.node.default_child.reserved_concurrent_executions = config.status_page.reserved_concurrency
        self.url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        # CDK grants both lambda:InvokeFunctionUrl and, since October 2025 required too, lambda:InvokeFunction
        # through the URL only (InvokedViaFunctionUrl), to everyone: AuthType NONE.
        CfnOutput(stack, "StatusPageUrl", value=self.url.url, description="The status page: every game, and its wake button")
        groups = stack.format_arn(service="autoscaling", resource="autoScalingGroup",
                                  resource_name="*:autoScalingGroupName/Napstack-*", arn_format=ArnFormat.COLON_RESOURCE_NAME)
        # The base tag's value, not just its presence: another base in this account and region has its own games
        # (and its own passphrase), which this page must neither wake nor retag.
        own_base = {"StringEquals": {f"autoscaling:ResourceTag/{BASE_TAG}": config.base_stack_name}}
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["autoscaling:SetDesiredCapacity"], resources=[groups], conditions=own_base,
        ))
        # Only the tags the page writes: a bug or a compromised package in this public function cannot rewrite a
        # game's passphrase hash, start-on types, cool-down or names.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["autoscaling:CreateOrUpdateTags"], resources=[groups],
            conditions={**own_base, "ForAllValues:StringLike": {"aws:TagKeys": list(PAGE_WRITES_TAGS)}},
        ))
        self.function.add_to_role_policy(iam.PolicyStatement(  # wrong guesses too old to count
            actions=["autoscaling:DeleteTags"], resources=[groups],
            conditions={**own_base, "ForAllValues:StringLike": {"aws:TagKeys": [WAKE_FAILURE_TAGS]}},
        ))
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "cloudwatch:GetMetricStatistics"],
            resources=["*"],
        ))
        acknowledge_wildcards(
            self.function,
            "Games are found at run time: writes are limited to this base's groups (named Napstack-*, their "
            "napstack:base tag this base's name; tags: only the page's own keys); DescribeAutoScalingGroups, DescribeInstances and GetMetricStatistics support no "
            "resource scoping.",
            resources=["*", nag_arn(self, "autoscaling", "autoScalingGroup:*:autoScalingGroupName/Napstack-*")],
        )
