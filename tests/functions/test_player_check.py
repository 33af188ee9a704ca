"""ask_players: the check asks the game at the instance's public address, with the real protocol clients, against
byte-exact responders on 127.0.0.1; anything but an answer is a reason to count connections, never a crash."""

import time

import boto3
import pytest
from botocore.stub import Stubber

import player_check
from player_check import ask_players
from tests.test_query import (SCHEDULING, SMALL, a2s_server, dripping, java_status, minecraft_java, status_packet,
                              tcp_responder, tcp_server, udp_responder)
from watch_logic import QuerySettings


def settings(protocol, port, transport="udp", timeout=1.0):
    return QuerySettings(Protocol=protocol, Port=port, Transport=transport, TimeoutSeconds=timeout)


@pytest.fixture
def ec2_at_localhost(monkeypatch):
    """DescribeInstances answers 127.0.0.1 (never another address), once: the address is kept."""
    monkeypatch.setattr(player_check, "_addresses", {})
    ec2 = boto3.client("ec2", region_name="us-east-1")
    stubber = Stubber(ec2)
    stubber.add_response("describe_instances", {"Reservations": [{"Instances": [{"PublicIpAddress": "127.0.0.1"}]}]},
                         {"InstanceIds": ["i-0abc"]})
    with stubber:
        yield ec2


def test_a_minecraft_java_server_answers_its_players_and_names(ec2_at_localhost):
    with tcp_responder(minecraft_java) as port:
        players, error = ask_players(ec2_at_localhost, "i-0abc", settings("minecraft-java", port, "tcp"), lambda: 50)
    assert error is None and players.Count == 2 and players.Names == ["alex", "steve"]


def test_an_a2s_server_answers_through_its_challenge_and_the_address_is_asked_once(ec2_at_localhost):
    with udp_responder(a2s_server) as port:
        first, _ = ask_players(ec2_at_localhost, "i-0abc", settings("a2s", port), lambda: 50)
        second, _ = ask_players(ec2_at_localhost, "i-0abc", settings("a2s", port), lambda: 50)  # no second stub
    assert first.Count == second.Count == 3 and first.Names == ["ragnar", "freya", "loki"]


def test_a_silent_game_is_a_reason_not_an_exception_after_one_ping(ec2_at_localhost):
    pings = []
    with udp_responder(lambda datagram: pings.append(datagram) or []) as port:
        players, error = ask_players(ec2_at_localhost, "i-0abc", settings("minecraft-bedrock", port, timeout=0.3), lambda: 50)
    assert players is None and f"no answer from 127.0.0.1:{port} within 0.3 s (minecraft-bedrock)" in error
    assert len(pings) == 1  # not mcstatus's three tries: the check's time is what the Lambda bills


def test_no_time_left_asks_nothing(ec2_at_localhost):
    players, error = ask_players(ec2_at_localhost, "i-0abc", settings("a2s", 27015), lambda: 2)
    assert players is None and error == "no time left in the check to ask the game"


def test_an_instance_without_a_public_address_or_a_refused_describe_is_a_reason(monkeypatch):
    monkeypatch.setattr(player_check, "_addresses", {})
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with Stubber(ec2) as stubber:
        stubber.add_response("describe_instances", {"Reservations": [{"Instances": [{}]}]})
        stubber.add_client_error("describe_instances", "UnauthorizedOperation", "not authorized to perform: ec2:DescribeInstances")
        assert ask_players(ec2, "i-0abc", settings("a2s", 27015), lambda: 50) == (None, "i-0abc has no public IP address to ask")
        players, error = ask_players(ec2, "i-0abc", settings("a2s", 27015), lambda: 50)
    assert players is None and "UnauthorizedOperation" in error


@pytest.mark.parametrize("timeout,seconds_left,budget", [(0.5, 50, 0.5), (30, 3.4, 0.4)],
                         ids=["its-timeout", "the-function-deadline"])
def test_a_game_dripping_its_answer_never_keeps_the_check_past_its_budget(ec2_at_localhost, timeout, seconds_left, budget):
    """The budget is the configured timeout, or what the function has left (less 3 s), whichever is smaller."""
    with tcp_server(dripping(status_packet(SMALL), 0.025)) as port:  # 2 s of valid bytes
        started = time.monotonic()
        players, error = ask_players(ec2_at_localhost, "i-0abc", settings("minecraft-java", port, "tcp", timeout),
                                     lambda: seconds_left)
        took = time.monotonic() - started
    assert players is None and f"within {budget:g} s" in error and took < budget + SCHEDULING


def test_an_impossible_player_count_is_a_reason_and_connections_decide(ec2_at_localhost):
    status = {"version": {"name": "1.21", "protocol": 767}, "players": {"online": -3, "max": -5}}
    with tcp_responder(java_status(status)) as port:
        players, error = ask_players(ec2_at_localhost, "i-0abc", settings("minecraft-java", port, "tcp"), lambda: 50)
    assert players is None and error == f"127.0.0.1:{port} answered its minecraft-java query with an impossible player count (-3)"
