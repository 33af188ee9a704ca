"""Notify in the emulated world: the alerts topic delivers to the real notify handler (filter policy, message
attributes), the handler reads each parameter the emulator created with a placeholder URL, and the post is recorded
instead of sent. The evening session tells the chat: starting, ready, stopped."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from napstack.config import load_config
from napstack.emulator.faults import load_faults
from napstack.emulator.replay import load_event, replay
from napstack.emulator.scenario import load_scenario
from tests.conftest import ROOT, napstack_cli

CHANNELS = [{"Channel": "discord", "UrlParameter": "/napstack/discord"},
            {"Channel": "slack", "UrlParameter": "/napstack/slack", "Kinds": ["ready", "problem"]}]


@pytest.fixture(scope="module")
def notify_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notify-replay")
    shutil.copy(ROOT / "examples" / "base.yaml", folder / "base.yaml")
    leaf = yaml.safe_load((ROOT / "examples" / "minecraft-java.yaml").read_text())
    (folder / "minecraft-java.yaml").write_text(yaml.safe_dump({**leaf, "Notify": CHANNELS}))
    return folder / "minecraft-java.yaml"


@pytest.fixture(scope="module")
def evening(notify_file):
    return replay(load_config(notify_file), load_event(ROOT / "events" / "asg-launch-successful.json"),
                  load_scenario(ROOT / "events" / "scenarios" / "evening-session.yaml"))


def test_the_evening_tells_the_chat_starting_ready_stopped_in_that_order(evening):
    assert evening.succeeded
    discord = [post for post in evening.webhook_posts if post["channel"] == "discord"]
    assert [post["kind"] for post in discord] == ["starting", "ready", "stopped"]
    starting, ready, stopped = (post["body"] for post in discord)
    assert starting["embeds"][0]["title"] == "minecraft-java: server starting"
    assert "mc.example.com:25565" in ready["embeds"][0]["description"] and "1/20 players" in ready["embeds"][0]["description"]
    assert "peak 2 players (Alex, Sam)" in stopped["embeds"][0]["description"]
    assert all(post["body"]["allowed_mentions"] == {"parse": []} for post in discord)
    # Slack takes ready and problems only: one post, Slack's shape.
    (slack,) = [post for post in evening.webhook_posts if post["channel"] == "slack"]
    assert slack["kind"] == "ready" and slack["body"]["text"].startswith("minecraft-java: ready\n")
    # Nothing failed: no "could not be delivered" mail; the e-mails are as before.
    assert evening.notifications == ["minecraft-java: server starting", "minecraft-java: ready",
                                     "minecraft-java: scaled down", "minecraft-java: server stopped"]
    rows = [(row.state_machine, row.execution, row.state) for row in evening.timeline if row.state_machine == "notify"]
    assert rows == [("notify", "discord", "starting"), ("notify", "discord", "ready"), ("notify", "slack", "ready"),
                    ("notify", "discord", "stopped")]


def test_replay_shows_a_row_per_notification_and_lists_them_in_json(notify_file):
    args = ("replay", "events/asg-launch-successful.json", "--config", str(notify_file),
            "--scenario", "events/scenarios/evening-session.yaml")
    text = napstack_cli(*args)
    assert text.returncode == 0, text.stderr
    assert any(line.split()[2:4] == ["notify:discord", "starting"] for line in text.stdout.splitlines()), text.stdout
    data = json.loads(napstack_cli(*args, "--json").stdout)
    assert {"channel", "kind", "body"} == set(data["webhook_posts"][0])
    assert data["webhook_posts"][0]["channel"] == "discord" and data["webhook_posts"][0]["kind"] == "starting"
    assert "napstack.invalid" not in text.stdout  # not even the placeholder URL is shown


def replay_with(notify_file, tmp_path, faults: list[dict] | Path):
    path = faults if isinstance(faults, Path) else tmp_path / "faults.yaml"
    if path != faults:
        path.write_text(yaml.safe_dump(faults))
    return replay(load_config(notify_file), load_event(ROOT / "events" / "asg-launch-successful.json"),
                  load_scenario(ROOT / "events" / "scenarios" / "evening-session.yaml"), faults=load_faults(path))


UNDELIVERED = "minecraft-java: a notification could not be delivered"


def test_a_parameter_that_cannot_be_read_is_told_once_and_the_server_is_not_affected(notify_file, tmp_path):
    """SSM throttles notify's read of the Discord URL for the starting alert: that notification is lost and the owner
    told by one e-mail; the hook, the watchdog and the stop run as without it, and later alerts reach the chat."""
    result = replay_with(notify_file, tmp_path, [{"call": "ssm:GetParameter", "error": "ThrottlingException"}])
    assert result.succeeded and result.faults_not_fired == []
    assert [post["kind"] for post in result.webhook_posts if post["channel"] == "discord"] == ["ready", "stopped"]
    assert result.notifications.count(UNDELIVERED) == 1
    assert [n for n in result.notifications if n != UNDELIVERED] == [
        "minecraft-java: server starting", "minecraft-java: ready", "minecraft-java: scaled down",
        "minecraft-java: server stopped"]
    clean = replay_with(notify_file, tmp_path, [])
    assert [(r.state_machine, r.state) for r in result.timeline if r.state_machine not in ("notify", "fault")] == [
        (r.state_machine, r.state) for r in clean.timeline if r.state_machine != "notify"]


def test_a_deleted_webhook_is_told_once_in_a_whole_session_with_the_grants_the_template_gives(notify_file, tmp_path):
    """Discord answers 404 to every post (the webhook was deleted): starting, ready and stopped each try it, the owner
    gets one e-mail, and the mark on the parameter (ListTagsForResource, AddTagsToResource) passes IAM as deployed."""
    result = replay_with(notify_file, tmp_path, ROOT / "events" / "faults" / "webhook-gone.yaml")
    assert result.succeeded and result.faults_not_fired == []
    assert [post["channel"] for post in result.webhook_posts] == ["slack"]  # Slack's ready still went out
    assert result.notifications.count(UNDELIVERED) == 1
    (row,) = [r for r in result.timeline if r.state_machine == "fault" and "webhook" in r.detail][:1]
    assert "the discord webhook answers HTTP 404" in row.detail


def test_a_lookup_wakes_it_and_the_starting_alert_and_the_chat_name_the_lookup(notify_file):
    """start_server writes the wake record with the start; the hook names it, notify passes it on (issue 24)."""
    from datetime import datetime, timezone

    from napstack.emulator.log_payload import lookup_payload

    config = load_config(notify_file)
    lookup = lookup_payload(datetime(2026, 12, 1, 18, tzinfo=timezone.utc), config.base.hosted_zone_id,
                            config.base.domain_name, config.dns_name, "A")
    result = replay(config, lookup, load_scenario(ROOT / "events" / "scenarios" / "evening-session.yaml"))
    assert result.succeeded and result.asg_desired == 0
    starting = next(post for post in result.webhook_posts if post["kind"] == "starting")["body"]["embeds"][0]
    assert "woken at 2026-12-01T18:00:00Z by a lookup of mc.example.com (A). Instance i-" in starting["description"]
    assert "s after the wake (a lookup of mc.example.com (A))" in next(
        post for post in result.webhook_posts if post["kind"] == "ready")["body"]["embeds"][0]["description"]
