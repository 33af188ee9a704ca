"""start / stop / status against the emulated stack (moto), as a user's credentials would see it."""

import subprocess
import sys
from datetime import timedelta

import boto3
import pytest

from napstack.config import load_config
from napstack.control import ControlError, render_status, set_running, status
from napstack.emulator.log_payload import lookup_payload
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.emulator.world import Emulator
from tests.conftest import ROOT

CONFIG = load_config(ROOT / "examples" / "minecraft-java.yaml")


def test_start_sets_desired_capacity_and_everything_follows():
    with Emulator(CONFIG, Scenario(then="active")) as emulator:
        autoscaling = emulator.client("autoscaling")
        assert "desired capacity 0 -> 1" in set_running(autoscaling, emulator.stack.asg_name, True)
        assert "already running" in set_running(autoscaling, emulator.stack.asg_name, True)
        emulator.run_until_settled(timedelta(minutes=30), stop_at_limit=False)
        data = status(boto3.Session(region_name="us-east-1"), emulator.stack.asg_name)
        (instance,) = data["instances"]
        assert data["desired"] == 1 and data["dns_name"] == "mc.example.com"
        assert data["dns_value"] == instance["public_ip"]
        assert data["watchdog"]["name"] == instance["id"] and data["watchdog"]["idle"] == "0/10"
        assert instance["up_minutes"] >= 0  # moto stamps launches with the wall clock, not the simulated one
        assert f"DNS mc.example.com -> {instance['public_ip']}" in render_status(data)


def test_stop_scales_to_zero_and_the_hook_resets_dns():
    with Emulator(CONFIG, Scenario(checks=[CheckReport(tcp=1, repeat=100)])) as emulator:
        autoscaling = emulator.client("autoscaling")
        set_running(autoscaling, emulator.stack.asg_name, True)
        emulator.run_until_settled(timedelta(minutes=5), stop_at_limit=False)
        assert "desired capacity 1 -> 0" in set_running(autoscaling, emulator.stack.asg_name, False)
        emulator.run_until_settled()
        data = status(boto3.Session(region_name="us-east-1"), emulator.stack.asg_name)
        assert (data["desired"], data["instances"], data["dns_value"], data["watchdog"]) == (0, [], "192.0.2.1", None)


def test_an_unknown_stack_says_where_it_looked():
    with Emulator(CONFIG) as emulator:
        with pytest.raises(ControlError, match="no Auto Scaling group named Napstack-Nope in us-east-1"):
            set_running(emulator.client("autoscaling"), "Napstack-Nope", True)


def test_commands_need_credentials(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true")
    for command in ("start", "stop", "status"):
        result = subprocess.run([sys.executable, "-m", "napstack", command, "--stack", "Napstack-X"], cwd=ROOT, capture_output=True, text=True, env=env)
        assert result.returncode == 2 and "no AWS credentials are configured" in result.stderr


def test_a_lookup_while_running_counts_as_activity_for_the_watchdog():
    from napstack.emulator.replay import collect

    def lookup_now(emulator):
        return lookup_payload(emulator.clock.now(), CONFIG.base.hosted_zone_id, "example.com", "mc.example.com")

    slow_start = Scenario(checks=[CheckReport(listening=False, repeat=9)])  # grace until minute 10, then idle
    with Emulator(CONFIG, slow_start) as emulator:  # nobody ever connects
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=15, seconds=30), stop_at_limit=False)
        emulator.deliver(lookup_now(emulator))  # a player waiting for DNS at 20:15:30
        emulator.run_until_settled()
        result = collect(emulator, [], emulator.clock.now(), True)
    decisions = [d.result["decisions"][0]["action"] for d in emulator.stack.deliveries if d.result]
    assert decisions == ["activity"]
    # Without the lookup the 10th idle check is check 19; the lookup makes check 16 active, so 26.
    assert result.scaled_down_after_check == 26


def test_a_lookup_soon_after_an_idle_stop_waits_for_repeats():
    import tempfile
    from pathlib import Path

    import yaml

    folder = Path(tempfile.mkdtemp())
    game = yaml.safe_load((ROOT / "examples" / "minecraft-java.yaml").read_text())
    game["Dns"].update(CooldownMinutes=30, CooldownLookups=2)
    (folder / "game.yaml").write_text(yaml.safe_dump(game))
    (folder / "base.yaml").write_text((ROOT / "examples" / "base.yaml").read_text())
    config = load_config(folder / "game.yaml")

    def lookup(emulator):
        return lookup_payload(emulator.clock.now(), config.base.hosted_zone_id, "example.com", "mc.example.com")

    with Emulator(config) as emulator:
        emulator.deliver(lookup(emulator))  # starts; nobody joins; the watchdog stops it after grace + 10 idle
        emulator.run_until_settled()
        emulator.run_until_settled(timedelta(minutes=5), stop_at_limit=False)  # 5 quiet minutes later
        emulator.deliver(lookup(emulator))  # a scanner's lookup: held
        first = emulator.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"]
        emulator.deliver(lookup(emulator))  # the player tries again: starts
        second = emulator.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"]
        emulator.run_until_settled(timedelta(minutes=5))
        actions = [d.result["decisions"][0]["action"] for d in emulator.stack.deliveries if d.result]
    assert actions == ["started", "cooling down", "started"]
    assert (first, second) == (0, 1)


def test_start_and_status_ask_the_leaf_region_not_the_profiles(tmp_path):
    """The profile says us-east-1 (AWS_DEFAULT_REGION); the game is deployed to eu-west-1 (LeafRegion)."""
    import json
    import os
    from unittest import mock

    from tests.conftest import napstack_cli as cli

    def napstack_cli(*args):  # the emulator sets the leaf's region for its handlers: the user's profile says another
        with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):
            return cli(*args)

    for name in ("minecraft-java.yaml", "base.yaml"):
        (tmp_path / name).write_text((ROOT / "examples" / name).read_text())
    with (tmp_path / "base.yaml").open("a") as base:
        base.write("LeafRegion: eu-west-1\n")
    config_file = str(tmp_path / "minecraft-java.yaml")
    config = load_config(config_file)
    with Emulator(config, Scenario(then="active")) as emulator:
        started = napstack_cli("start", "--config", config_file)
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("Napstack-MinecraftJava: desired capacity 0 -> 1")
        emulator.run_until_settled(timedelta(minutes=10), stop_at_limit=False)
        data = json.loads(napstack_cli("status", "--config", config_file, "--json").stdout)
        assert data["desired"] == 1 and len(data["instances"]) == 1 and data["watchdog"]["idle"] is not None
        # By name, the profile's region is asked (and said), unless --region names the leaf's.
        by_name = napstack_cli("stop", "--stack", "Napstack-MinecraftJava")
        assert by_name.returncode == 2 and "no Auto Scaling group named Napstack-MinecraftJava in us-east-1" in by_name.stderr
        stopped = napstack_cli("stop", "--stack", "Napstack-MinecraftJava", "--region", "eu-west-1")
        assert stopped.returncode == 0 and "desired capacity 1 -> 0" in stopped.stdout


def test_region_goes_with_stack_not_with_config():
    from tests.conftest import napstack_cli

    result = napstack_cli("status", "--config", "examples/minecraft-java.yaml", "--region", "eu-west-1")
    assert result.returncode == 2 and result.stderr.strip() == (
        "napstack: --region goes with --stack; with --config the stack is asked in the config's LeafRegion")


def test_a_region_that_is_not_a_leaf_region_is_refused_before_any_call():
    from tests.conftest import napstack_cli

    result = napstack_cli("start", "--stack", "Napstack-MinecraftJava", "--region", "us-east-9")
    assert result.returncode == 2
    assert "argument --region: 'us-east-9' is not a region a leaf can be deployed to (one of: af-south-1" in result.stderr
