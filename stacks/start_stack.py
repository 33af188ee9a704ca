"""The Start stack (us-east-1): Route53 query logging for the zone, and one start_server Lambda for every leaf in it.

Route53 writes query logs only to a log group in us-east-1 named /aws/route53/..., and a subscription filter
may only target a Lambda in the log group's region, so this stack lives there whatever the leaves' region;
start_server calls the leaves' region. One filter serves the whole zone (a log group allows two): adding a
game adds no filter and no zone, because each leaf's ASG carries its DNS name as a tag. The filter passes only
lookups of the base's games (napstack/query_filter.py), so www or MX queries never invoke start_server.

One stack per base (zone and LeafRegion, in its name): Route53 allows one query-logging configuration per zone,
so a zone that already has one (another tool's, or a first base's in another region) is named by QueryLogGroup
and this stack only subscribes to that group.
"""

import os

from aws_cdk import Duration, Environment, Stack, aws_iam as iam, aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from constructs import Construct

from napstack.config import BaseConfig
from napstack.query_filter import query_log_filter
from napstack.settings import DNS_NAME_TAG, START_SERVER, start_server_environment
from stacks.acknowledge import acknowledge_wildcards
from stacks.lambda_function import napstack_function
from stacks.query_logging import QueryLogging

QUERY_LOG_REGION = "us-east-1"


class StartOnLookupStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: BaseConfig, served: dict[str, tuple[str, ...]], **kwargs
    ) -> None:
        env = Environment(region=QUERY_LOG_REGION, account=os.environ.get("CDK_DEFAULT_ACCOUNT"))
        super().__init__(scope, construct_id, env=env, **kwargs)
        if config.query_log_group:  # the zone already logs queries there: subscribe only
            query_logs = logs.LogGroup.from_log_group_name(self, "QueryLogs", config.query_log_group)
        else:
            query_logs = QueryLogging(
                self, "QueryLogging", hosted_zone_id=config.hosted_zone_id, log_group_name=config.query_log_group_name
            ).log_group
        self.start_server = napstack_function(
            self,
            "StartServer",
            name=START_SERVER,
            environment=start_server_environment(config.leaf_region),
            timeout=Duration.seconds(30),
        )
        # Group names are not known here (leaves come and go): the DNS-name tag marks napstack's groups.
        self.start_server.add_to_role_policy(
            iam.PolicyStatement(
                actions=["autoscaling:SetDesiredCapacity", "autoscaling:CreateOrUpdateTags"],
                resources=["*"],
                conditions={"StringLike": {f"autoscaling:ResourceTag/{DNS_NAME_TAG}": "*"}},
            )
        )
        self.start_server.add_to_role_policy(
            iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingGroups"], resources=["*"])
        )
        acknowledge_wildcards(
            self.start_server,
            "Leaves are found at run time: writes are limited to groups tagged napstack:dns-name; "
            "DescribeAutoScalingGroups supports no resource scoping.",
            resources=["*"],
        )
        logs.SubscriptionFilter(
            self,
            "EveryLookup",
            log_group=query_logs,
            destination=destinations.LambdaDestination(self.start_server),
            filter_pattern=logs.FilterPattern.literal(query_log_filter(config.domain_name, served)),
            filter_name=construct_id,  # unique in a group two bases (two regions) may share
        )
