"""The emulator itself: simulated time, nothing left running, no way out to AWS, same wiring as the stacks."""

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import boto3
import botocore.httpsession
import pytest

from napstack.config import load_config
from napstack.emulator.clock import SimulatedClock
from napstack.emulator.moto_gaps import RealEndpointBlocked, _Patches, block_real_endpoints
from napstack.emulator.scenario import Scenario
from napstack.emulator.world import Emulator
from tests.conftest import ROOT, napstack_cli

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "examples" / "minecraft-java.yaml")


def test_time_moves_only_when_every_participant_sleeps():
    clock, woke = SimulatedClock(START), []

    def participant(seconds):
        clock.sleep(seconds)
        woke.append((seconds, clock.now() - START))

    threads = []
    for seconds in (300, 60):
        ticket = clock.join()
        threads.append(threading.Thread(target=clock.run_as, args=(ticket, lambda s=seconds: participant(s))))
    for thread in threads:
        thread.start()
    assert clock.wait_until_idle(5)
    assert woke == [(60, timedelta(seconds=60)), (300, timedelta(seconds=300))]


def test_a_sleeper_wakes_when_interrupted():
    clock, stop = SimulatedClock(START), threading.Event()
    ticket, busy = clock.join(), clock.join()  # `busy` never sleeps, so time cannot move on
    thread = threading.Thread(target=clock.run_as, args=(ticket, lambda: clock.sleep(3600, interrupted=stop.is_set)))
    thread.start()
    stop.set()
    thread.join(2)
    assert not thread.is_alive() and clock.now() == START
    clock.run_as(busy, lambda: None)


def test_no_call_can_reach_a_real_endpoint():
    patches = _Patches()
    block_real_endpoints(patches)
    try:
        client = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
        with pytest.raises(RealEndpointBlocked):
            client.get_caller_identity()
    finally:
        patches.undo()


def test_the_emulator_blocks_real_endpoints_and_uses_fake_credentials(config):
    with Emulator(config):
        assert boto3.Session().get_credentials().access_key in ("testing", "FOOBARKEY")  # ours or moto's fakes
        with pytest.raises(RealEndpointBlocked):
            botocore.httpsession.URLLib3Session().send(type("Request", (), {"url": "https://sts.amazonaws.com"})())
    assert botocore.httpsession.URLLib3Session.send.__name__ == "send"  # put back on exit


def test_every_execution_is_stopped_on_exit(config):
    with Emulator(config, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(hours=1))  # players never leave: the limit stops the watchdog
        statuses = {e["name"]: e["status"] for e in emulator.executions()}
        clock = emulator.clock
    assert "RUNNING" not in statuses.values() and "ABORTED" in statuses.values(), statuses
    assert not clock.busy


run_cli = napstack_cli


def test_replay_json_output_has_what_scripts_need():
    result = run_cli("replay", "events/asg-launch-successful.json", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("executions", "asg_desired", "ecs_desired", "dns_value", "notifications", "watchdog_checks",
                "scaled_down_after_check", "dns_name"):
        assert key in data
    hook = data["executions"][0]
    assert {"state_machine", "name", "status", "error", "states", "transitions"} <= set(hook)
    assert hook["states"][:4] == ["LoadSettings", "ReadSettings", "WhichEvent", "StartGameTask"]
    assert data["dns_name"] == "mc.example.com"


def test_replay_exits_1_and_names_the_error_when_an_execution_fails():
    result = run_cli("replay", "events/bad-missing-detail-keys.json")
    assert result.returncode == 1
    assert "UnknownEvent" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["replay", "events/nope.json"], "cannot read the file"),
        (["replay", "README.md"], "not JSON"),
        (["replay", "examples/napstack.schema.json"], "neither an EventBridge event"),
        (["replay", "events/asg-launch-successful.json", "--scenario", "events/README.md"], "README.md"),
        (["replay", "events/asg-launch-successful.json", "--config", "events/README.md"], "problem"),
        (["replay"], "required"),
    ],
)
def test_replay_exits_2_on_a_bad_command_line_or_file(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_live_replay_refuses_without_yes():
    result = run_cli("replay", "events/asg-launch-successful.json", "--live", "Napstack-MinecraftJava")
    assert result.returncode == 2 and "add --yes" in result.stderr


def test_live_replay_says_when_no_credentials_are_configured(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "napstack", "replay", "events/asg-launch-successful.json", "--live", "Napstack-X", "--yes"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 2 and "no AWS credentials are configured" in result.stderr


def test_dns_lookup_event_is_a_query_log_delivery_for_the_configs_name():
    from napstack.emulator.log_payload import decoded_lines

    result = run_cli("dns-lookup-event", "--config", "examples/valheim.yaml", "--type", "AAAA")
    assert result.returncode == 0, result.stderr
    (line,) = decoded_lines(json.loads(result.stdout))
    fields = line.split()
    assert (fields[0], fields[2], fields[3], fields[4]) == ("1.0", "Z0123456789ABCDEFGHIJ", "valheim.example.com", "AAAA")


CONFIG = load_config(ROOT / "examples" / "minecraft-java.yaml")


def test_an_ecs_event_of_a_cluster_that_only_starts_like_this_leafs_is_not_bound():
    from napstack.emulator.replay import replay

    event = json.loads((ROOT / "events" / "ecs-task-stopped.json").read_text())
    event["detail"]["clusterArn"] = "arn:aws:ecs:us-east-1:111122223333:cluster/Napstack-MinecraftJava2"
    result = replay(CONFIG, event)
    assert not result.rule_matched and result.notifications == []
    assert any("another napstack cluster (Napstack-MinecraftJava2)" in note for note in result.notes)


def test_with_start_on_lookup_off_a_lookup_starts_nothing(tmp_path):
    from napstack.emulator.replay import replay
    from tests.test_config import GOOD, write_configs

    config = load_config(write_configs(tmp_path, GOOD, {"DomainName": "example.org", "HostedZoneId": "Z1234567890",
                                                        "StartOnLookup": False}))
    from napstack.emulator.log_payload import lookup_payload

    lookup = lookup_payload(datetime(2026, 1, 1, 20, tzinfo=timezone.utc), "Z1234567890", "example.org", config.dns_name, "A")
    result = replay(config, lookup)
    assert result.asg_desired == 0 and not result.executions
    assert any("StartOnLookup is false" in note for note in result.notes)


def test_a_replay_cut_by_its_limit_says_which_limit_and_how_to_raise_it():
    from napstack.emulator.replay import replay

    event = json.loads((ROOT / "events" / "asg-launch-successful.json").read_text())
    result = replay(CONFIG, event, Scenario(then="active"), max_hours=0.5)
    (watchdog,) = [e for e in result.executions if e.state_machine == "watchdog"]
    assert watchdog.status == "ABORTED" and watchdog.error == "Stopped"
    assert "limit of 0:30:00 of simulated time (raise it with --max-hours)" in watchdog.cause


def test_an_unreadable_query_log_line_does_not_move_the_clock():
    import base64
    import gzip

    from napstack.emulator.replay import _event_time

    lines = ["garbage", "1.0 2026-03-01T20:00:00Z Z0123456789ABCDEFGHIJ mc.example.com A NOERROR UDP IAD 1.2.3.4 -"]
    data = {"logEvents": [{"id": str(i), "timestamp": i, "message": line} for i, line in enumerate(lines)]}
    payload = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
    assert _event_time(payload) == datetime(2026, 3, 1, 20, tzinfo=timezone.utc)
