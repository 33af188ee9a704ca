"""The check handler's metrics: Players when the game answered, QueryUnanswered when connections were counted instead,
HostCheckFailed whenever the host check failed, even when the game's answer decided the check."""

import importlib.util
import json
import types
from datetime import datetime, timezone

import pytest

from tests.conftest import ROOT
from host_check import GroupView, HostCheckFailed
from watch_logic import HostReport, Players

SETTINGS = {
    "ServerName": "mc", "Protocol": "tcp", "Port": 25565, "UdpPacketThreshold": 10, "CountSsh": True,
    "IntervalSeconds": 60, "IdleChecks": 3, "MaxFailedChecks": 3, "StartupGraceMinutes": 0, "MaxUptimeHours": 12,
    "MaxUptimeAction": "alert",
    "Query": {"Protocol": "minecraft-java", "Port": 25565, "Transport": "tcp", "TimeoutSeconds": 2},
}


@pytest.fixture
def app(monkeypatch):
    spec = importlib.util.spec_from_file_location("count_connections_app", ROOT / "functions" / "count_connections" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "read_group", lambda autoscaling, group, instance: GroupView(True, None))
    monkeypatch.setattr(module, "run_host_check", lambda *args: HostReport(container_running=True, listening=True, tcp=3, udp_packets=0, ssh=0))
    return module


def stand_in(app, monkeypatch, **clients) -> list[str]:
    """The handler's clients for these services are `clients`; the others are botocore's. Returns the services the
    handler asked a client for, in order (each client is created on first use)."""
    asked, real = [], app.client
    monkeypatch.setattr(app, "client", lambda service: asked.append(service) or clients.get(service) or real(service))
    return asked


def invoke(app, settings=SETTINGS) -> dict:
    event = {"ExecutionName": "i-0abc", "Now": datetime(2026, 1, 1, 20, 5, tzinfo=timezone.utc).isoformat(),
             "InstanceId": "i-0abc", "AutoScalingGroupName": "Napstack-Mc", "Settings": settings,
             "Watch": {"LaunchedAt": "2026-01-01T20:00:00+00:00"}}
    context = types.SimpleNamespace(function_name="count", memory_limit_in_mb=256, aws_request_id="1",
                                    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:count",
                                    get_remaining_time_in_millis=lambda: 50_000)
    return app.handler(event, context)


def check(app, capsys, settings=SETTINGS):
    result = invoke(app, settings)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(line for line in lines if "_aws" in line)
    return result["Check"], emf


def test_a_check_the_game_answered_reports_its_players(app, monkeypatch, capsys):
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=2, Max=20, Names=["alex", "steve"]), None))
    result, emf = check(app, capsys)
    assert (result["Counted"], result["Players"], result["Names"]) == ("players", 2, ["alex", "steve"])
    assert emf["Players"] == [2.0] and emf["Connections"] == [3.0] and "QueryUnanswered" not in emf


def test_a_check_the_game_did_not_answer_counts_connections_and_says_so(app, monkeypatch, capsys):
    monkeypatch.setattr(app, "ask_players", lambda *args: (None, "no answer from 203.0.113.7:25565 within 2 s"))
    result, emf = check(app, capsys)
    assert (result["Counted"], result["Result"], result["QueryError"]) == ("connections", "active", "no answer from 203.0.113.7:25565 within 2 s")
    assert emf["QueryUnanswered"] == [1.0] and "Players" not in emf


def test_a_failed_host_check_shows_even_when_the_game_answered(app, monkeypatch, capsys):
    def refused(*args):
        raise HostCheckFailed("SendCommandFailed: AccessDeniedException: not authorized to perform: ssm:SendCommand")

    monkeypatch.setattr(app, "run_host_check", refused)
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=0, Max=20), None))
    result, emf = check(app, capsys)
    assert (result["Counted"], result["Result"], result["Players"]) == ("players", "idle", 0)
    assert result["Error"].startswith("SendCommandFailed: AccessDeniedException")
    assert emf["HostCheckFailed"] == [1.0] and emf["Players"] == [0.0] and "Connections" not in emf


def test_a_failed_host_check_without_a_query_is_counted_too(app, monkeypatch, capsys):
    def throttled(*args):
        raise HostCheckFailed("CommandNotFinished: InProgress")

    monkeypatch.setattr(app, "run_host_check", throttled)
    result, emf = check(app, capsys, {**SETTINGS, "Query": None})
    assert result["Result"] == "failed" and emf["HostCheckFailed"] == [1.0]


def test_a_check_reads_the_games_service_and_asks_for_it_back_when_a_deploy_set_it_to_zero(app, monkeypatch, capsys):
    asked = []
    monkeypatch.setenv("CLUSTER_ARN", "arn:aws:ecs:us-east-1:123456789012:cluster/Napstack-Mc")
    monkeypatch.setenv("SERVICE_NAME", "game")
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=1), None))

    class Ecs:
        def describe_services(self, cluster, services):
            asked.append((cluster, services))
            return {"services": [{"serviceName": "game", "desiredCount": 0}]}

    stand_in(app, monkeypatch, ecs=Ecs())
    result = invoke(app)
    assert asked == [("arn:aws:ecs:us-east-1:123456789012:cluster/Napstack-Mc", ["game"])]
    assert result["Watch"]["Verdict"] == "RestartGame"


class RecordingCloudWatch:
    """Stands in for the CloudWatch client: records PutMetricData, or fails it as AWS would after retries."""

    def __init__(self, error: Exception | None = None):
        self.calls, self.error = [], error

    def put_metric_data(self, **params):
        self.calls.append(params)
        if self.error:
            raise self.error


def invoke_woken(app, woken: str) -> dict:
    event = {"ExecutionName": "i-0abc", "Now": "2026-01-01T20:01:34+00:00", "InstanceId": "i-0abc",
             "AutoScalingGroupName": "Napstack-Mc", "Settings": SETTINGS,
             "Watch": {"LaunchedAt": "2026-01-01T20:00:50+00:00", "Woken": woken}}
    context = types.SimpleNamespace(function_name="count", memory_limit_in_mb=256, aws_request_id="1",
                                    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:count",
                                    get_remaining_time_in_millis=lambda: 50_000)
    return app.handler(event, context)


def test_ready_records_the_seconds_from_the_wake_in_the_napstack_namespace(app, monkeypatch):
    cloudwatch = RecordingCloudWatch()
    stand_in(app, monkeypatch, cloudwatch=cloudwatch)
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=0, Max=20), None))
    result = invoke_woken(app, "2026-01-01T20:00:00Z by a lookup of mc.example.com (A)")
    assert result["Watch"]["Verdict"] == "AlertReady" and "94 s after the wake" in result["Watch"]["Reason"]
    [call] = cloudwatch.calls
    assert call["Namespace"] == "napstack"
    assert {d["MetricName"]: d["Value"] for d in call["MetricData"]} == {
        "WakeToLaunchSeconds": 50.0, "WakeToRunningTaskSeconds": 94.0, "WakeToReadySeconds": 94.0}
    assert all(d["Dimensions"] == [{"Name": "Server", "Value": "mc"}] and d["Unit"] == "Seconds" for d in call["MetricData"])


def test_a_metric_cloudwatch_refuses_never_affects_the_watch(app, monkeypatch, caplog):
    from botocore.exceptions import ClientError

    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: cloudwatch:PutMetricData"}},
                          "PutMetricData")
    stand_in(app, monkeypatch, cloudwatch=RecordingCloudWatch(refused))
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=0, Max=20), None))
    result = invoke_woken(app, "2026-01-01T20:00:00Z by the status page")
    assert result["Watch"]["Verdict"] == "AlertReady" and result["Watch"]["ReadyAlerted"]
    assert "the ready metrics were not recorded (An error occurred (AccessDenied)" in caplog.text


def test_a_console_start_puts_no_metric(app, monkeypatch):
    """Not even CloudWatch's client is made: its service model is loaded only for a ready check with figures."""
    cloudwatch = RecordingCloudWatch(RuntimeError("must not be called"))
    asked = stand_in(app, monkeypatch, cloudwatch=cloudwatch)
    monkeypatch.setattr(app, "ask_players", lambda *args: (Players(Count=0, Max=20), None))
    assert "started from the console" in invoke_woken(app, "")["Watch"]["Reason"] and cloudwatch.calls == []
    assert "cloudwatch" not in asked


def test_a_check_without_a_query_never_loads_ec2s_service_model(app, monkeypatch):
    """EC2's is botocore's largest model (tens of milliseconds of a cold start): only a query needs the address."""
    asked = stand_in(app, monkeypatch)
    settings = {key: value for key, value in SETTINGS.items() if key != "Query"}
    assert invoke(app, settings)["Check"]["Counted"] == "connections"
    assert asked == ["autoscaling", "ssm", "ecs"]


def test_an_event_of_another_shape_fails_the_check_with_what_is_wrong(app):
    """As Powertools' parser failed it: a pydantic ValidationError naming the field (the watchdog counts a failed check)."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Settings.IdleChecks"):
        invoke(app, {**SETTINGS, "IdleChecks": "ten"})
