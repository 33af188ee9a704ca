"""The seconds from a wake to the launch, to a running task and to ready, as CloudWatch metrics (PutMetricData).

A metric is a figure for the owner, never part of the watch: whatever CloudWatch answers, the check goes on."""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

NAMESPACE = "napstack"  # the role may put metrics in this namespace only (cloudwatch:namespace condition)
# Throttling, 5xx and connection errors are retried by botocore's standard mode; short timeouts keep the check's
# own time for the check.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=3)


def metric_data(server: str, figures: dict[str, int]) -> list[dict]:
    return [
        {"MetricName": name, "Dimensions": [{"Name": "Server", "Value": server}], "Value": float(value), "Unit": "Seconds"}
        for name, value in figures.items()
    ]


def put_ready_metrics(cloudwatch, server: str, figures: dict[str, int]) -> str | None:
    """None when the figures were recorded (or there were none), else why not (logged by the caller)."""
    if not figures:
        return None
    try:
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=metric_data(server, figures))
    except (ClientError, BotoCoreError) as failed:  # after botocore's retries
        return f"the ready metrics were not recorded ({failed})"
    except Exception as failed:  # noqa: BLE001 - a metric never fails the check that carries the watch
        return f"the ready metrics were not recorded ({type(failed).__name__}: {failed})"
    return None
