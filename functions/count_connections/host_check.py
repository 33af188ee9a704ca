"""Ask the instance, over SSM RunCommand, what count_connections.sh sees."""

from __future__ import annotations

import functools
import json
import shlex
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from watch_logic import HostReport

SCRIPT = Path(__file__).with_name("count_connections.sh")
DOCUMENT = "AWS-RunShellScript"
WAITING = {"Pending", "InProgress", "Delayed"}


class HostCheckFailed(Exception):
    """The check could not be made; the message says why (SSM status, or what the script printed)."""


@dataclass(frozen=True)
class GameContainer:
    """How the script finds the game: its ECS task family and container name, and the port to watch."""

    task_family: str
    container_name: str
    protocol: str
    port: int


def family_of(task_definition_arn: str) -> str:
    """`arn:aws:ecs:...:task-definition/family:7` -> `family` (any revision of the game counts)."""
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] if task_definition_arn else ""


def script_commands(game: GameContainer) -> list[str]:
    exports = {
        "NAPSTACK_PROTOCOL": game.protocol,
        "NAPSTACK_PORT": str(int(game.port)),
        "NAPSTACK_TASK_FAMILY": game.task_family,
        "NAPSTACK_CONTAINER_NAME": game.container_name,
    }
    return ["export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in exports.items()), _script()]


@functools.lru_cache(maxsize=1)
def _script() -> str:
    """The script, read once per Lambda environment (the code package does not change under it)."""
    return SCRIPT.read_text()


def parse_report(stdout: str) -> HostReport:
    """The last non-empty line of the script's output, as a HostReport."""
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if not lines:
        raise HostCheckFailed("BadHostOutput: the script printed nothing")
    try:
        return HostReport.model_validate(json.loads(lines[-1]))
    except (ValueError, ValidationError) as error:
        raise HostCheckFailed(f"BadHostOutput: {lines[-1][:200]!r} is not the expected JSON ({error.__class__.__name__})")


LAST_LOOKUP_TAG = "napstack:last-lookup"  # written by start_server (napstack/settings.py has the tag contract)


@dataclass(frozen=True)
class GroupView:
    """What one DescribeAutoScalingGroups says for a check: is the instance still in service, and when did a
    player's DNS lookup last reach start_server (its tag)."""

    in_service: bool
    last_lookup: datetime | None

    def looked_up_since(self, since: datetime) -> bool:
        return self.last_lookup is not None and self.last_lookup >= since


def read_group(autoscaling, group_name: str, instance_id: str) -> GroupView:
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    group = groups[0] if groups else {}
    in_service = any(
        i["InstanceId"] == instance_id and i["LifecycleState"] == "InService" for i in group.get("Instances", [])
    )
    last_lookup = None
    for tag in group.get("Tags", []):
        if tag["Key"] == LAST_LOOKUP_TAG:
            try:
                last_lookup = datetime.fromisoformat(tag["Value"].replace("Z", "+00:00"))
            except ValueError:
                last_lookup = None
    return GroupView(in_service, last_lookup)


# Stop polling with this much of the function's time left: enough to fold the check and return, so a slow
# command is a failed check the state machine counts, never a Lambda timeout.
SECONDS_KEPT_FOR_THE_REST = 5


def run_host_check(
    ssm,
    instance_id: str,
    game: GameContainer,
    seconds_left: Callable[[], float],
) -> HostReport:
    """Send the script and poll for its result until it arrives or the function's own deadline comes near."""
    try:
        command = ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName=DOCUMENT,
            Comment="napstack watchdog: count connections",
            TimeoutSeconds=30,
            Parameters={"commands": script_commands(game), "executionTimeout": ["20"]},
        )["Command"]
    except ssm.exceptions.ClientError as error:
        failed = error.response["Error"]  # the message names what was refused (an IAM denial: action, resource, role)
        raise HostCheckFailed(f"SendCommandFailed: {failed['Code']}: {failed.get('Message', '')}".rstrip(": ")) from None
    while True:
        try:
            invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:
            invocation = {"Status": "Pending"}  # SSM has not registered it yet
        except ssm.exceptions.ClientError as error:  # throttled or unavailable: ask again while time allows
            invocation = {"Status": "Pending", "StandardErrorContent": error.response["Error"]["Code"]}
        status = invocation["Status"]
        if status == "Success":
            return parse_report(invocation.get("StandardOutputContent", ""))
        if status not in WAITING or seconds_left() <= SECONDS_KEPT_FOR_THE_REST + 1:
            detail = (invocation.get("StandardErrorContent") or "").strip()[:200]
            raise HostCheckFailed(f"CommandNot{'Finished' if status in WAITING else 'Successful'}: {status} {detail}".strip())
        time.sleep(1)
