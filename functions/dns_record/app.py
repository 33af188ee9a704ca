"""dns_record: the server's A record as a CloudFormation resource whose value the hook rewrites at run time.

Created with the deploy, pointing at the asleep address, so the first lookups get a 30-s answer instead of an
NXDOMAIN cached for the zone's negative TTL. Deleted whatever it points at, so a destroy never leaves a name
pointing at a released public IP. Called by CDK's custom resource provider, which answers CloudFormation.
"""

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from record import RecordSpec, create_record, delete_record, record_id, same_record, update_record

logger = Logger()
route53 = boto3.client("route53")  # once per execution environment; botocore retries Route53's throttles


@event_source(data_class=CloudFormationCustomResourceEvent)
def handler(event: CloudFormationCustomResourceEvent, context: LambdaContext) -> dict:
    spec = RecordSpec.from_properties(event.resource_properties)
    # The id carries the zone and the name: a new one makes CloudFormation delete the old record after the update.
    physical_id = record_id(spec)
    if event.request_type == "Create":
        outcome = create_record(route53, spec)
    elif event.request_type == "Update":
        old = RecordSpec.from_properties(event.old_resource_properties)
        outcome = update_record(route53, old, spec)
        if same_record(old, spec):
            # The same record keeps the id it has, whatever its form: a new one would make CloudFormation delete it.
            physical_id = event.physical_resource_id
    else:
        outcome = delete_record(route53, spec)
        physical_id = event.physical_resource_id
    logger.info(outcome, extra={"request": event.request_type, "record": spec.name, "zone": spec.hosted_zone_id})
    return {"PhysicalResourceId": physical_id, "Data": {"Outcome": outcome}}
