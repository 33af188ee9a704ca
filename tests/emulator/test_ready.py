"""Ready, said once (issue 23 part 3): the wake record the waker writes on the group names who woke the server in
the starting alert, the ready alert is measured from it, its figures reach CloudWatch through IAM, and the stop
forgets it."""

from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from napstack.config import load_config
from napstack.emulator.replay import _ready_figures
from napstack.emulator.scenario import CheckReport, Scenario
from napstack.emulator.world import Emulator
from napstack.settings import WOKEN_TAG
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "examples" / "minecraft-java.yaml")


def alerts(emulator) -> dict[str, str]:
    """{subject: message} of the alerts topic, in order."""
    topic = sns_backends[DEFAULT_ACCOUNT_ID][emulator.stack.topic_arn.split(":")[3]].topics[emulator.stack.topic_arn]
    return {subject.removeprefix("minecraft-java: "): message for _, message, subject, _, _ in topic.sent_notifications}


def woken_tag(emulator) -> list[str]:
    tags = emulator.client("autoscaling").describe_tags(
        Filters=[{"Name": "auto-scaling-group", "Values": [emulator.stack.asg_name]}, {"Name": "key", "Values": [WOKEN_TAG]}])
    return [tag["Value"] for tag in tags["Tags"]]


def wake(emulator, who: str) -> None:
    """What a wake does: the record and the desired-capacity change together."""
    stamp = emulator.clock.now().isoformat()
    emulator.client("autoscaling").create_or_update_tags(Tags=[{
        "ResourceId": emulator.stack.asg_name, "ResourceType": "auto-scaling-group", "Key": WOKEN_TAG,
        "Value": f"{stamp} by {who}", "PropagateAtLaunch": False}])
    emulator.set_desired_capacity(1)


SESSION = Scenario(checks=[CheckReport(running=False, listening=False, query="timeout"),  # the task is starting
                           CheckReport(listening=False, query="timeout"),  # running, the game still loading
                           CheckReport(players=0), CheckReport(players=2, names=["Alex", "Sam"])], then="idle")


def test_a_woken_server_says_who_woke_it_and_is_ready_measured_from_the_wake(config):
    with Emulator(config, SESSION) as emulator:
        wake(emulator, "a lookup of mc.example.com (A)")
        emulator.run_until_settled(timedelta(hours=2))
        sent = alerts(emulator)
        assert ", woken at " in sent["server starting"]
        assert "by a lookup of mc.example.com (A). Instance i-" in sent["server starting"]
        assert sent["ready"].startswith("minecraft-java is ready: mc.example.com:25565, 0/20 players, ")
        assert sent["ready"].endswith(" s after the wake (a lookup of mc.example.com (A)).")
        figures = _ready_figures(emulator)
        assert set(figures) == {"WakeToLaunchSeconds", "WakeToRunningTaskSeconds", "WakeToReadySeconds"}
        assert figures["WakeToLaunchSeconds"] <= figures["WakeToRunningTaskSeconds"] < figures["WakeToReadySeconds"]
        assert f"{int(figures['WakeToReadySeconds'])} s after the wake" in sent["ready"]
        assert list(sent).count("ready") == 1 and "scaled down" in sent
        assert woken_tag(emulator) == []  # the stop forgot the wake


def test_a_console_start_says_so_and_puts_no_figures(config):
    with Emulator(config, SESSION) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(hours=2))
        sent = alerts(emulator)
        assert "started from the console (no wake). Instance i-" in sent["server starting"]
        assert sent["ready"].endswith(" s after the launch (started from the console).")
        assert _ready_figures(emulator) == {}


def test_the_page_as_waker_is_named_too(config):
    with Emulator(config, SESSION) as emulator:
        wake(emulator, "the status page")
        emulator.run_until_settled(timedelta(hours=2))
        assert "by the status page. Instance i-" in alerts(emulator)["server starting"]
