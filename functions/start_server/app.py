"""start_server: Route53 query logs (a CloudWatch Logs subscription) start the leaf each looked-up name belongs to."""

from dataclasses import asdict

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from query_log import BadQueryLogLine, names_to_start, parse_line
from starter import start

logger = Logger()


class MalformedLogPayload(Exception):
    """The event is not a CloudWatch Logs subscription payload (base64 of gzipped JSON); nothing was scaled."""


@event_source(data_class=CloudWatchLogsEvent)
def handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict:
    try:
        logs = event.parse_logs_data()
    except Exception as error:  # base64, gzip and JSON each raise their own kind
        raise MalformedLogPayload(f"{type(error).__name__}: {error}") from None
    lookups, skipped = [], 0
    for log_event in logs.log_events:
        try:
            lookups.append(parse_line(log_event.message))
        except BadQueryLogLine as error:
            skipped += 1
            logger.warning("skipped a line", extra={"reason": str(error)})
    decisions = start(boto3.client("autoscaling"), names_to_start(lookups))
    for decision in decisions:
        logger.info(decision.reason, extra={"decision": asdict(decision)})
    return {"lookups": len(lookups), "skipped": skipped, "decisions": [asdict(d) for d in decisions]}
