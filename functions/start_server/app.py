"""start_server: Route53 query logs (a CloudWatch Logs subscription) start the leaf each looked-up name belongs to."""

import os
from dataclasses import asdict
from datetime import datetime, timezone

import botocore.session
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from query_log import BadQueryLogLine, asked_at, parse_line
from starter import start

logger = Logger()
# Once per execution environment, at init, which Lambda runs on a full vCPU whatever the memory (an invocation at
# 256 MB gets about a seventh of one). The leaves live in their own region; this function sits beside the log group
# in us-east-1. botocore's client, not boto3's: boto3 adds s3transfer to every cold start, for the same client.
autoscaling = botocore.session.get_session().create_client("autoscaling", region_name=os.environ.get("LEAF_REGION"))


class MalformedLogPayload(Exception):
    """The event is not a CloudWatch Logs subscription payload (base64 of gzipped JSON); nothing was scaled."""


@event_source(data_class=CloudWatchLogsEvent)
def handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict:
    try:
        logs = event.parse_logs_data()
        log_events = list(logs.log_events)  # a decodable payload of another shape fails here, not later
        messages = [log_event.message for log_event in log_events]
    except Exception as error:  # base64, gzip, JSON and the payload's shape each raise their own kind
        raise MalformedLogPayload(f"{type(error).__name__}: {error}") from None
    lookups, skipped = [], 0
    for message in messages:
        try:
            lookups.append(parse_line(message))
        except BadQueryLogLine as error:
            skipped += 1
            logger.warning("skipped a line", extra={"reason": str(error)})
    now = max(map(asked_at, lookups), default=datetime.now(timezone.utc))
    decisions = start(autoscaling, lookups, now)
    for decision in decisions:
        logger.info(decision.reason, extra={"decision": asdict(decision)})
    return {"lookups": len(lookups), "skipped": skipped, "decisions": [asdict(d) for d in decisions]}
