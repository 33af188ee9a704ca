"""count_connections: one watchdog check. Thin: parse, ask the host, fold the result, log and emit metrics."""

import functools
import os
from datetime import datetime, timedelta

import botocore.session
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from game_service import service_stopped
from host_check import GameContainer, HostCheckFailed, family_of, read_group, run_host_check
from player_check import ask_players
from ready_metrics import CLIENT_CONFIG, put_ready_metrics
from watch_logic import Settings, Watch, next_watch, ready_figures

logger = Logger()
metrics = Metrics(namespace="napstack")
_session = functools.cache(botocore.session.get_session)


@functools.cache
def client(service: str):
    """Created on first use, then kept for the execution environment's life (every check after the first reuses it,
    as AWS's Lambda guidance says). Not at import, so a cold start loads only the service models it uses: EC2's, the
    largest (~80 ms), only for a check with Watchdog.Query, CloudWatch's only at the ready check. From botocore, not
    boto3: boto3 adds s3transfer and its resource layer to every cold start, for clients that are the same.

    The trade: Lambda runs init on a full vCPU whatever the memory, an invocation at 256 MB on about a seventh of one,
    so the clients every check needs cost a cold environment's first check a few hundred milliseconds more than at
    init. That check is off the players' path (the game runs whatever it says; ready is told within the second);
    start_server, which a waiting player is on, makes its client at init (`make bench` shows both figures)."""
    return _session().create_client(service, config=CLIENT_CONFIG if service == "cloudwatch" else None)


class CheckEvent(BaseModel):
    ExecutionName: str
    Now: datetime
    InstanceId: str
    AutoScalingGroupName: str
    Settings: Settings
    Watch: Watch


def seconds_left_in(context: LambdaContext):
    return lambda: context.get_remaining_time_in_millis() / 1000


@metrics.log_metrics
def handler(payload: dict, context: LambdaContext) -> dict:
    # What Powertools' event_parser does (a pydantic ValidationError for a bad event), without importing its parser
    # package: its envelopes and AWS event models cost a cold start ~60 ms and this check uses none of them.
    event = CheckEvent.model_validate(payload)
    logger.set_correlation_id(event.ExecutionName)
    report, error, looked_up, players, query_error, stopped = None, None, False, None, None, False
    group = read_group(client("autoscaling"), event.AutoScalingGroupName, event.InstanceId)  # one call answers both
    in_service = group.in_service
    if in_service:
        try:
            game = GameContainer(
                task_family=family_of(os.environ.get("TASK_DEFINITION_ARN", "")),
                container_name=os.environ.get("CONTAINER_NAME", "game"),
                protocol=event.Settings.Protocol,
                port=event.Settings.Port,
            )
            report = run_host_check(client("ssm"), event.InstanceId, game, seconds_left_in(context))
        except HostCheckFailed as failure:
            error = str(failure)
        if event.Settings.Query is not None:
            players, query_error = ask_players(client("ec2"), event.InstanceId, event.Settings.Query, seconds_left_in(context))
        since = event.Now - timedelta(seconds=event.Settings.IntervalSeconds)
        looked_up = group.looked_up_since(since)
        stopped, unknown = service_stopped(client("ecs"), os.environ.get("CLUSTER_ARN", ""), os.environ.get("SERVICE_NAME", ""))
        if unknown:
            logger.warning("service not read", extra={"why": unknown})
    watch, check = next_watch(
        event.Settings, event.Watch, event.Now, report, error, in_service, looked_up, players, query_error, stopped
    )

    metrics.add_dimension(name="Server", value=event.Settings.ServerName)
    if report is not None:
        metrics.add_metric(name="Connections", unit=MetricUnit.Count, value=report.tcp)
        metrics.add_metric(name="UdpPackets", unit=MetricUnit.Count, value=check.UdpPackets or 0)
        metrics.add_metric(name="SshSessions", unit=MetricUnit.Count, value=report.ssh)
    if error is not None:  # also when the game's answer decided the check: a broken SSM path must show
        metrics.add_metric(name="HostCheckFailed", unit=MetricUnit.Count, value=1)
    if players is not None:
        metrics.add_metric(name="Players", unit=MetricUnit.Count, value=players.Count)
    elif event.Settings.Query is not None and in_service:  # connections were counted instead
        metrics.add_metric(name="QueryUnanswered", unit=MetricUnit.Count, value=1)
    if watch.Verdict == "AlertReady":  # once a session: how long the players waited, from the wake
        figures = ready_figures(watch, event.Now)  # none after a start from the console: no wake to measure from
        not_recorded = put_ready_metrics(client("cloudwatch"), event.Settings.ServerName, figures) if figures else None
        if not_recorded:
            logger.warning(not_recorded)
        else:
            logger.info("ready", extra={"figures": figures})
    logger.info("check", extra={"check": check.model_dump(), "verdict": watch.Verdict, "idle_count": watch.IdleCount})
    return {
        "InstanceId": event.InstanceId,
        "AutoScalingGroupName": event.AutoScalingGroupName,
        "Settings": event.Settings.model_dump(),
        "Watch": watch.model_dump(mode="json"),
        "Check": check.model_dump(),
    }
