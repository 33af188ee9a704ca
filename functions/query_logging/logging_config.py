"""The zone's Route53 query-logging configuration as a CloudFormation resource that waits out propagation.

Route53 refuses CreateQueryLoggingConfig with InsufficientCloudWatchLogsResourcePolicy while the CloudWatch Logs
resource policy that lets it write "hasn't finished propagating yet" (Route53 API Reference, CreateQueryLoggingConfig,
Errors): a DependsOn on the policy orders the calls but cannot wait for that, so the call is retried here. A zone
that already has a configuration (Route53 allows one) is refused with the group it writes to and the key that reuses it.
"""

from __future__ import annotations

import time
from typing import Callable

from botocore.exceptions import ClientError

# Propagation takes seconds to a minute; throttles and concurrent changes are transient as well.
RETRIED = {"InsufficientCloudWatchLogsResourcePolicy", "ConcurrentModification", "Throttling", "ThrottlingException",
           "PriorRequestNotComplete", "ServiceUnavailable", "InternalFailure"}
DELAYS = (2, 4, 8, 15, 30, 30, 30)  # seconds between attempts: about two minutes in all


class ZoneAlreadyLogsQueries(Exception):
    """The zone has a query-logging configuration napstack did not make; the message says what to set."""


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def existing_log_group(route53, zone_id: str) -> str | None:
    """The log group the zone's configuration writes to, or None when it cannot be read (it only improves a message).
    Every configuration of the account is listed and the zone's picked: a handful, one per zone that logs."""
    try:
        pages = route53.get_paginator("list_query_logging_configs").paginate()
        arns = [c["CloudWatchLogsLogGroupArn"] for page in pages for c in page["QueryLoggingConfigs"]
                if c["HostedZoneId"] == zone_id]
    except ClientError:
        return None
    return arns[0].split(":log-group:", 1)[-1].removesuffix(":*") if arns else None


def create(route53, zone_id: str, log_group_arn: str, sleep: Callable[[float], None] = time.sleep) -> str:
    """The new configuration's id, after retrying what passes with time."""
    for attempt in range(len(DELAYS) + 1):
        try:
            return route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=log_group_arn)[
                "QueryLoggingConfig"]["Id"]
        except ClientError as error:
            if _code(error) == "QueryLoggingConfigAlreadyExists":
                group = existing_log_group(route53, zone_id) or "the group it names (Route53 console, Hosted zones)"
                raise ZoneAlreadyLogsQueries(
                    f"hosted zone {zone_id} already logs its queries to {group} and Route53 allows one query-logging "
                    f"configuration per zone: set QueryLogGroup: {group} in base.yaml so napstack subscribes to it"
                ) from None
            if _code(error) not in RETRIED or attempt == len(DELAYS):
                raise
            sleep(DELAYS[attempt])
    raise AssertionError("unreachable: the last attempt returns or raises")


def delete(route53, config_id: str) -> str:
    try:
        route53.delete_query_logging_config(Id=config_id)
    except ClientError as error:
        if _code(error) != "NoSuchQueryLoggingConfig":
            raise
        return f"{config_id} was already gone"
    return f"{config_id} deleted"
