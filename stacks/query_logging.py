"""QueryLogging: the zone's query-log group, the resource policy that lets Route53 write to it, and the zone's
query-logging configuration, created by a custom resource that retries until that policy has propagated
(functions/query_logging). Route53 writes query logs only to us-east-1, to a group named /aws/route53/...
"""

from aws_cdk import ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, aws_iam as iam, aws_logs as logs
from constructs import Construct

from napstack.settings import QUERY_LOGGING, function_environment
from stacks.acknowledge import acknowledge_wildcards
from stacks.custom_resource import provider_for
from stacks.dns_record import hosted_zone_arn
from stacks.lambda_function import napstack_function

RESOURCE_TYPE = "Custom::NapstackQueryLogging"


class QueryLogging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, hosted_zone_id: str, log_group_name: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=logs.RetentionDays.ONE_WEEK,  # only start_server reads them, as they arrive
            removal_policy=RemovalPolicy.DESTROY,
        )
        route53_may_write = logs.ResourcePolicy(
            self,
            "Route53MayWrite",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("route53.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            ],
        )
        function = napstack_function(
            self, "Function", name=QUERY_LOGGING, environment=function_environment(QUERY_LOGGING),
            timeout=Duration.minutes(5),  # up to two minutes of waiting for the policy to propagate
        )
        zone = hosted_zone_arn(self, hosted_zone_id)
        function.add_to_role_policy(iam.PolicyStatement(actions=["route53:CreateQueryLoggingConfig"], resources=[zone]))
        # Listed for the account (the zone's is picked) only to name the group of a zone that already logs queries.
        function.add_to_role_policy(iam.PolicyStatement(actions=["route53:ListQueryLoggingConfigs"], resources=["*"]))
        # The configuration's id is Route53's: known only once created.
        configs = stack.format_arn(service="route53", region="", account="", resource="queryloggingconfig", resource_name="*")
        function.add_to_role_policy(iam.PolicyStatement(actions=["route53:DeleteQueryLoggingConfig"], resources=[configs]))
        acknowledge_wildcards(function, "Route53 names a query-logging configuration only when it creates it; listing "
                              "the account's configurations is read-only and names no resource.",
                              resources=["arn:<AWS::Partition>:route53:::queryloggingconfig/*", "*"])
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider_for(self, function).service_token,
            resource_type=RESOURCE_TYPE,
            properties={"HostedZoneId": hosted_zone_id, "LogGroupArn": self.log_group.log_group_arn},
        )
        self.resource.node.add_dependency(route53_may_write)
