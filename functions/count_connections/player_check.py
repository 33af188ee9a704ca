"""Ask the game itself how many players are online: at the instance's public address and the query port the game
already opens to players, as a player's client does (no new port, nothing on the host)."""

from __future__ import annotations

from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

from game_query import QueryFailed, query
from watch_logic import Players, QuerySettings

SECONDS_KEPT_FOR_THE_REST = 3  # of the function's time: a slow game is a failed query, never a Lambda timeout
_addresses: dict[str, str] = {}  # instance id -> public IP, for this execution environment's life


def public_address(ec2, instance_id: str) -> str:
    """The instance's public IP (fixed for its life, so asked once per environment and instance)."""
    if instance_id not in _addresses:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        address = next((i.get("PublicIpAddress") for r in reservations for i in r["Instances"]), None)
        if not address:
            raise QueryFailed(f"{instance_id} has no public IP address to ask")
        _addresses[instance_id] = address
    return _addresses[instance_id]


def ask_players(ec2, instance_id: str, settings: QuerySettings, seconds_left: Callable[[], float]):
    """(Players, None) when the game answered, (None, why not) when it did not: the check then counts connections.
    The query never outlasts its timeout, whatever the game sends, and its counts and names are already checked."""
    timeout = min(settings.TimeoutSeconds, seconds_left() - SECONDS_KEPT_FOR_THE_REST)
    if timeout <= 0:
        return None, "no time left in the check to ask the game"
    try:
        answer = query(settings.Protocol, public_address(ec2, instance_id), settings.Port, timeout)
    except QueryFailed as failed:
        return None, str(failed)
    except (ClientError, BotoCoreError) as failed:  # DescribeInstances refused or unreachable: ask next check
        return None, f"the instance's address is unknown ({failed})"
    return Players(Count=answer.players, Max=answer.max_players, Names=answer.names, Version=answer.version), None
