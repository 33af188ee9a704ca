"""warm_pool_refresh: after a deploy that changes the launch template, the warm pool's instances launched from the old
version are ended, so the next wake starts one with the new instance type, image and user data.

A CloudFormation custom resource whose properties are the group and its launch template version: a new version is
an Update. Create and Update alike make the pool current (a rollback's Update brings back the version its instance
has, and ends nothing); Delete does nothing (the pool goes with the group). Called by CDK's custom resource provider.
"""

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from pool_refresh import PoolTemplate, refresh_pool

logger = Logger()
# Standard mode retries throttling and 5xx with backoff; a call still failing fails the deploy, which rolls back to
# the version the pooled instance has.
autoscaling = boto3.client("autoscaling", config=Config(retries={"mode": "standard", "total_max_attempts": 5}))


@event_source(data_class=CloudFormationCustomResourceEvent)
def handler(event: CloudFormationCustomResourceEvent, context: LambdaContext) -> dict:
    wanted = PoolTemplate.from_properties(event.resource_properties)
    if event.request_type == "Delete":
        outcome = "nothing to do: the warm pool goes with its group"
    else:
        outcome = refresh_pool(autoscaling, wanted)
    logger.info(outcome, extra={"request": event.request_type, "group": wanted.group_name})
    return {"PhysicalResourceId": event.physical_resource_id or f"{wanted.group_name}/warm-pool",
            "Data": {"Outcome": outcome}}
