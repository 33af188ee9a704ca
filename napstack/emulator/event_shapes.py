"""The types AWS documents for each field of the events napstack reads: an event whose field has another type
was not sent by AWS, and is refused before it reaches the rules, the state machines or the handlers.

Sources: the EventBridge envelope, Auto Scaling's instance and lifecycle events, ECS's "Task State Change" and
Step Functions' "Execution Status Change" (AWS's documented examples, as in events/). A field that is absent
is left to what reads it (the hook fails fast on a missing instance id, as it would in AWS); only a present
field of the wrong type is refused.
"""

from __future__ import annotations

import json

# How the refusal names what AWS sends: "'time' is int, but AWS sends it as a string".
TEXT, NUMBER, OBJECT = "it as a string", "it as a number", "an object"
LIST_OF_TEXT, LIST_OF_OBJECTS = "a list of strings", "a list of objects"
TEXT_OR_NULL, NUMBER_OR_NULL, OBJECT_OR_NULL = "a string or null", "a number or null", "an object or null"

ENVELOPE = {
    "version": TEXT, "id": TEXT, "detail-type": TEXT, "source": TEXT, "account": TEXT, "time": TEXT, "region": TEXT,
    "resources": LIST_OF_TEXT, "detail": OBJECT,
}
DETAIL = {
    "aws.autoscaling": {
        **dict.fromkeys(
            ("StatusCode", "AutoScalingGroupName", "ActivityId", "RequestId", "EndTime", "StartTime", "EC2InstanceId",
             "Cause", "StatusMessage", "Description", "Origin", "Destination", "LifecycleActionToken",
             "LifecycleHookName", "LifecycleTransition", "NotificationMetadata"),
            TEXT,
        ),
        "Details": OBJECT,
    },
    "aws.ecs": {
        **dict.fromkeys(
            ("clusterArn", "containerInstanceArn", "taskArn", "taskDefinitionArn", "group", "lastStatus",
             "desiredStatus", "stopCode", "stoppedReason", "createdAt", "startedAt", "stoppingAt", "stoppedAt",
             "pullStartedAt", "pullStoppedAt", "executionStoppedAt", "launchType", "cpu", "memory",
             "availabilityZone", "connectivity", "connectivityAt", "healthStatus", "platformVersion", "updatedAt"),
            TEXT,
        ),
        "version": NUMBER, "containers": LIST_OF_OBJECTS, "attachments": LIST_OF_OBJECTS, "overrides": OBJECT,
    },
    "aws.states": {
        **dict.fromkeys(("executionArn", "stateMachineArn", "name", "status", "input"), TEXT),
        **dict.fromkeys(("output", "error", "cause"), TEXT_OR_NULL),
        "startDate": NUMBER, "stopDate": NUMBER_OR_NULL, "inputDetails": OBJECT_OR_NULL, "outputDetails": OBJECT_OR_NULL,
    },
}
# A CloudWatch Logs subscription's delivery, once its data is inflated, and each of its log events.
LOGS = {"messageType": TEXT, "owner": TEXT, "logGroup": TEXT, "logStream": TEXT, "subscriptionFilters": LIST_OF_TEXT,
        "logEvents": LIST_OF_OBJECTS}
LOG_EVENT = {"id": TEXT, "timestamp": NUMBER, "message": TEXT}
# What a task's containers carry (ECS's documented example).
CONTAINER = {"containerArn": TEXT, "name": TEXT, "lastStatus": TEXT, "taskArn": TEXT, "reason": TEXT,
             "exitCode": NUMBER_OR_NULL, "image": TEXT}


def _is(value, kind: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {
        TEXT: isinstance(value, str),
        NUMBER: number,
        OBJECT: isinstance(value, dict),
        LIST_OF_TEXT: isinstance(value, list) and all(isinstance(item, str) for item in value),
        LIST_OF_OBJECTS: isinstance(value, list) and all(isinstance(item, dict) for item in value),
        TEXT_OR_NULL: value is None or isinstance(value, str),
        NUMBER_OR_NULL: value is None or number,
        OBJECT_OR_NULL: value is None or isinstance(value, dict),
    }[kind]


def _type_name(value) -> str:
    return "null" if value is None else type(value).__name__


def _first_misfit(fields: dict, shape: dict, where: str) -> str | None:
    for key, kind in shape.items():
        if key in fields and not _is(fields[key], kind):
            return f"'{where}{key}' is {_type_name(fields[key])}, but AWS sends {kind}"
    return None


def wrong_type(event: dict) -> str | None:
    """What is wrong with the first field whose type is not the one AWS documents, or None."""
    problem = _first_misfit(event, ENVELOPE, "")
    detail = event.get("detail")
    if problem or not isinstance(detail, dict):
        return problem
    problem = _first_misfit(detail, DETAIL.get(event.get("source"), {}), "detail.")
    if problem or event.get("source") != "aws.ecs":
        return problem
    for index, container in enumerate(detail.get("containers", [])):
        problem = _first_misfit(container, CONTAINER, f"detail.containers.{index}.")
        if problem:
            return problem
    return None


def wrong_type_in_logs(data: bytes | None) -> str | None:
    """The same for a query-log delivery's inflated data; data that is not a JSON object is start_server's to refuse."""
    try:
        logs = json.loads(data) if data is not None else None
    except ValueError:
        return None
    if not isinstance(logs, dict):
        return None
    problem = _first_misfit(logs, LOGS, "awslogs.data.")
    for index, log_event in enumerate(logs.get("logEvents", []) if not problem else []):
        problem = problem or _first_misfit(log_event, LOG_EVENT, f"awslogs.data.logEvents.{index}.")
    return problem
