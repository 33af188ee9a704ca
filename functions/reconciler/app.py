"""reconciler: every few minutes (EventBridge Scheduler), whatever a lost event left behind goes back in step.

Thin: parse the schedule's event, read the leaf from the environment, reconcile, log what was repaired.
"""

import os
from datetime import datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from pydantic import AwareDatetime, BaseModel

from reconcile import Clients, Leaf, reconcile

logger = Logger()
# AWS's transient errors (throttling, 5xx) are retried by botocore; a run that still fails is retried by the next.
RETRIES = Config(retries={"mode": "standard", "max_attempts": 3})
# Once per execution environment, as AWS's Lambda guidance says.
clients = Clients(*(boto3.client(service, config=RETRIES) for service in ("autoscaling", "stepfunctions", "ecs", "route53", "ec2", "sns")))
leaf = Leaf(
    group_name=os.environ.get("GROUP_NAME", ""),
    hook_arn=os.environ.get("HOOK_STATE_MACHINE_ARN", ""),
    watchdog_arn=os.environ.get("WATCHDOG_STATE_MACHINE_ARN", ""),
    cluster_arn=os.environ.get("CLUSTER_ARN", ""),
    service_name=os.environ.get("SERVICE_NAME", ""),
    hosted_zone_id=os.environ.get("HOSTED_ZONE_ID", ""),
    record_name=os.environ.get("RECORD_NAME", ""),
    record_ttl=int(os.environ.get("RECORD_TTL", "30")),
    asleep_ip=os.environ.get("ASLEEP_IP", ""),
    topic_arn=os.environ.get("ALERT_TOPIC_ARN", ""),
    server_name=os.environ.get("SERVER_NAME", ""),
)


class ScheduledRun(BaseModel):
    """What the schedule sends: the time this run was scheduled for (`<aws.scheduler.scheduled-time>`)."""

    ScheduledTime: AwareDatetime


@event_parser(model=ScheduledRun)
def handler(event: ScheduledRun, context: LambdaContext) -> dict:
    now: datetime = event.ScheduledTime
    outcome = reconcile(clients, leaf, now)
    for action in outcome.actions:
        logger.warning(action["reason"], extra={"repaired": action["action"]})
    if outcome.waiting:
        logger.info("left to the next run", extra={"waiting": outcome.waiting})
    return outcome.as_dict()
