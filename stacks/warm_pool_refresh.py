"""WarmPoolRefresh: after a deploy that gives the group a new launch template version, the pooled instances launched
from the old one are ended (functions/warm_pool_refresh), so the pool refills from the new one and the next wake never
starts an instance with the old type, image or user data. A custom resource inside WarmPool, keyed on the version.
"""

from aws_cdk import CustomResource, Duration, aws_ec2 as ec2, aws_iam as iam
from constructs import Construct

from napstack.settings import WARM_POOL_REFRESH, function_environment
from stacks.acknowledge import acknowledge_wildcards, nag_arn
from stacks.custom_resource import provider_for
from stacks.lambda_function import napstack_function

RESOURCE_TYPE = "Custom::NapstackWarmPoolRefresh"


class WarmPoolRefresh(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, group_name: str, group_arn: str,
                 launch_template: ec2.LaunchTemplate) -> None:
        super().__init__(scope, construct_id)
        # Two minutes: botocore's retries and the waits for a busy group (pool_refresh.BUSY_WAITS) fit inside.
        function = napstack_function(self, "Function", name=WARM_POOL_REFRESH,
                                     environment=function_environment(WARM_POOL_REFRESH), timeout=Duration.minutes(2))
        grant = iam.Policy(
            self,
            "EndStalePooledInstances",
            roles=[function.role],
            statements=[
                # Describe calls support no resource-level permissions in Auto Scaling.
                iam.PolicyStatement(actions=["autoscaling:DescribeWarmPool"], resources=["*"]),
                iam.PolicyStatement(actions=["autoscaling:TerminateInstanceInAutoScalingGroup"], resources=[group_arn]),
            ],
        )
        acknowledge_wildcards(
            grant, "DescribeWarmPool supports no resource-level permissions; termination is granted on this group only "
            "(its ARN's generated id is `*` beside the fixed name).",
            resources=["*", nag_arn(self, "autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{group_name}")],
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider_for(self, function).service_token,
            resource_type=RESOURCE_TYPE,
            # The cluster, file system and image are in the user data: any change to them is a new version too.
            properties={"AutoScalingGroupName": group_name, "LaunchTemplateId": launch_template.launch_template_id,
                        "LaunchTemplateVersion": launch_template.latest_version_number},
        )
        self.resource.node.add_dependency(grant)
