"""`napstack notify-test`: what each chat would get, shown locally with the notify function's own builders
(functions/notify/chat_messages.py, loaded from its file); with --live, one test message sent through the deployed
function, its parameters and its webhooks."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from botocore.exceptions import BotoCoreError, ClientError

from napstack.config import NapstackConfig
from napstack.function_modules import FUNCTIONS_DIR, load_function_module

CHAT_MESSAGES_FILE = FUNCTIONS_DIR / "notify" / "chat_messages.py"
NOTIFY_FUNCTION_PREFIX = "NotifyFunction"  # the logical id stacks/notify.py gives the function, and a hash


class NotifyTestError(Exception):
    """The deployed stack has no notify function, or answered something else; the message says what to do."""


def _chat_messages():
    return load_function_module("napstack_chat_messages", CHAT_MESSAGES_FILE)


def sample_alerts(config: NapstackConfig) -> dict[str, tuple[str, str]]:
    """(subject, message) of each kind, as the state machines word them, for this config."""
    name, address = config.leaf.name, f"{config.dns_name}:{config.leaf.watched_port}"
    woken_by = f"a lookup of {config.dns_name} (A)"  # the wake record start_server writes (or "the status page")
    return {
        "starting": (f"{name}: server starting", f"{name} is starting at {config.dns_name} (203.0.113.10), woken at "
                                                 f"2026-01-01T20:00:00Z by {woken_by}. Instance i-0123456789abcdef0."),
        "ready": (f"{name}: ready", f"{name} is ready: {address}, 1/20 players, 94 s after the wake ({woken_by})."),
        "stopped": (f"{name}: scaled down", f"{name} scaled down: idle for {config.leaf.watchdog.idle_checks} checks. "
                                            "Session: 2 h 05 min since 20:00 UTC, peak 2 players (Alex, Sam)."),
        "problem": (f"{name}: server could not start", f"{name} could not start and was set back to zero: "
                                                       "We currently do not have sufficient capacity."),
        "test": (f"{name}: test notification", f"A test of {name}'s notifications, sent by napstack notify-test."),
    }


def local_preview(config: NapstackConfig) -> list[dict]:
    """Each channel's body for each kind it takes: exactly what the function would post."""
    messages = _chat_messages()
    samples = sample_alerts(config)
    time = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return [
        {"channel": channel.channel, "parameter": channel.url_parameter, "kind": kind,
         "body": messages.BUILDERS[channel.channel](messages.Alert(config.leaf.name, kind, *samples[kind], time))}
        for channel in config.notify_channels for kind in channel.kinds
    ]


def sns_event(config: NapstackConfig) -> dict:
    """A `test` alert as SNS delivers it: the function sends it to every channel, whatever their kinds."""
    subject, message = sample_alerts(config)["test"]
    attributes = {"server": {"Type": "String", "Value": config.leaf.name}, "kind": {"Type": "String", "Value": "test"}}
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "napstack-notify-test",
                         "Sns": {"Type": "Notification", "MessageId": "napstack-notify-test", "TopicArn": "", "Subject": subject,
                                 "Message": message, "MessageAttributes": attributes,
                                 "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}}]}


def send_live(session, config: NapstackConfig) -> list[dict]:
    """Invoke the deployed notify function with a test alert; each channel's outcome (never its URL)."""
    try:
        return _invoke_deployed(session, config)
    except (BotoCoreError, ClientError) as error:
        raise NotifyTestError(f"AWS said: {error}") from None


def _invoke_deployed(session, config: NapstackConfig) -> list[dict]:
    stack = config.leaf.stack_name
    pages = session.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
    functions = [r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
                 if r["ResourceType"] == "AWS::Lambda::Function" and r["LogicalResourceId"].startswith(NOTIFY_FUNCTION_PREFIX)]
    if not functions:
        raise NotifyTestError(f"{stack} has no notify function: add Notify: channels to the config and deploy it first")
    response = session.client("lambda").invoke(FunctionName=functions[0], Payload=json.dumps(sns_event(config)))
    payload = json.loads(response["Payload"].read() or "null")
    if response.get("FunctionError") or not isinstance(payload, dict):
        raise NotifyTestError(f"the notify function failed: {str(payload)[:300]}")
    return payload.get("deliveries", [])
