"""query_logging: the zone's query-logging configuration, created once Route53 may write to the log group.

Called by CDK's custom resource provider, which answers CloudFormation. The configuration's id is the resource's
physical id: a new zone or group creates a new one, and CloudFormation then deletes the old.
"""

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from logging_config import create, delete

logger = Logger()
route53 = boto3.client("route53")  # once per execution environment


@event_source(data_class=CloudFormationCustomResourceEvent)
def handler(event: CloudFormationCustomResourceEvent, context: LambdaContext) -> dict:
    properties = event.resource_properties
    zone_id, log_group_arn = properties["HostedZoneId"], properties["LogGroupArn"]
    if event.request_type == "Delete":
        outcome = delete(route53, event.physical_resource_id)
        logger.info(outcome)
        return {"PhysicalResourceId": event.physical_resource_id}
    old = (event.old_resource_properties or {}) if event.request_type == "Update" else {}
    if old.get("HostedZoneId") == zone_id and old.get("LogGroupArn") == log_group_arn:
        return {"PhysicalResourceId": event.physical_resource_id}
    if old.get("HostedZoneId") == zone_id:  # one configuration per zone: the old one goes before the new one
        delete(route53, event.physical_resource_id)
    config_id = create(route53, zone_id, log_group_arn)
    logger.info("query logging on", extra={"zone": zone_id, "log_group": log_group_arn, "id": config_id})
    return {"PhysicalResourceId": config_id}
