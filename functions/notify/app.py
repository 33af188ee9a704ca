"""notify: each alert of this server (SNS, filtered by server and kind) posted to the chats and webhooks its config
names. Each webhook URL is read from its SecureString parameter with decryption at run time; it is never logged.

A delivery that fails (the webhook deleted, its token revoked, the service down past the retries) is told by e-mail
on the alerts topic, tagged `undelivered` so that it is not sent to the chats again; a webhook that is gone is told
once per URL (dead_webhooks.py). The server's state machines never wait for or hear about any of this.
"""

import json
import os

import boto3
from botocore.config import Config
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from chat_messages import Alert
from dead_webhooks import DeadWebhooks
from notify_logic import Channel, deliver

logger = Logger()
# Once per execution environment. Throttling, 5xx and connection errors retried (the SDK's standard mode); short
# timeouts keep the function's time for the posts.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
ssm = boto3.client("ssm", config=CLIENT_CONFIG)
sns = boto3.client("sns", config=CLIENT_CONFIG)
CHANNELS = [Channel(**c) for c in json.loads(os.environ.get("NOTIFY_CHANNELS", "[]"))]
SERVER_NAME = os.environ.get("SERVER_NAME", "")
ALERTS_TOPIC_ARN = os.environ.get("ALERTS_TOPIC_ARN", "")


def _alert(record) -> Alert:
    attributes = record.sns.message_attributes or {}
    kind = attributes["kind"].value if "kind" in attributes else "problem"
    server = attributes["server"].value if "server" in attributes else SERVER_NAME
    return Alert(server=server, kind=kind, subject=record.sns.subject or "", message=record.sns.message or "",
                 time=record.sns.timestamp or "")


def _read_parameter(parameter: str) -> tuple[str, int]:
    """The webhook URL, and the parameter's Version: a new URL is a new Version."""
    found = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]
    return found["Value"], found["Version"]


def _alert_undelivered(alert: Alert, text: str) -> None:
    sns.publish(
        TopicArn=ALERTS_TOPIC_ARN,
        Subject=f"{alert.server}: a notification could not be delivered"[:99],
        Message=text,
        MessageAttributes={"server": {"DataType": "String", "StringValue": alert.server},
                           "kind": {"DataType": "String", "StringValue": "undelivered"}},
    )


@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict:
    results = []
    for record in event.records:
        alert = _alert(record)
        seconds_left = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
        for result in deliver(alert, CHANNELS, _read_parameter, seconds_left, _alert_undelivered, DeadWebhooks(ssm)):
            logger.info("notification", extra=result)
            results.append(result)
    return {"deliveries": results}
