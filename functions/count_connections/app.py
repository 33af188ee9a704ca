"""count_connections: one watchdog check. Thin: parse, ask the host, fold the result, log and emit metrics."""

import os
from datetime import datetime, timedelta

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from game_service import service_stopped
from host_check import GameContainer, HostCheckFailed, family_of, read_group, run_host_check
from player_check import ask_players
from ready_metrics import CLIENT_CONFIG, put_ready_metrics
from watch_logic import Settings, Watch, next_watch, ready_figures

logger = Logger()
metrics = Metrics(namespace="napstack")
# Once per execution environment, as AWS's Lambda guidance says: every check after the first reuses them.
autoscaling = boto3.client("autoscaling")
ssm = boto3.client("ssm")
ec2 = boto3.client("ec2")
ecs = boto3.client("ecs")
cloudwatch = boto3.client("cloudwatch", config=CLIENT_CONFIG)


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
@event_parser(model=CheckEvent)
def handler(event: CheckEvent, context: LambdaContext) -> dict:
    logger.set_correlation_id(event.ExecutionName)
    report, error, looked_up, players, query_error, stopped = None, None, False, None, None, False
    group = read_group(autoscaling, event.AutoScalingGroupName, event.InstanceId)  # one call answers both
    in_service = group.in_service
    if in_service:
        try:
            game = GameContainer(
                task_family=family_of(os.environ.get("TASK_DEFINITION_ARN", "")),
                container_name=os.environ.get("CONTAINER_NAME", "game"),
                protocol=event.Settings.Protocol,
                port=event.Settings.Port,
            )
            report = run_host_check(ssm, event.InstanceId, game, seconds_left_in(context))
        except HostCheckFailed as failure:
            error = str(failure)
        if event.Settings.Query is not None:
            players, query_error = ask_players(ec2, event.InstanceId, event.Settings.Query, seconds_left_in(context))
        since = event.Now - timedelta(seconds=event.Settings.IntervalSeconds)
        looked_up = group.looked_up_since(since)
        stopped, unknown = service_stopped(ecs, os.environ.get("CLUSTER_ARN", ""), os.environ.get("SERVICE_NAME", ""))
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
        figures = ready_figures(watch, event.Now)
        not_recorded = put_ready_metrics(cloudwatch, event.Settings.ServerName, figures)
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
