"""count_connections.sh against real sockets on this machine: ss and nstat are real, docker is a stub."""

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from host_check import SCRIPT, GameContainer, HostCheckFailed, parse_report, script_commands

pytestmark = pytest.mark.skipif(not all(Path(f"/usr/bin/{t}").exists() for t in ("ss", "nstat")), reason="needs iproute2")


def fake_docker(tmp_path: Path, container_pid: int | None) -> Path:
    """A docker on PATH that knows one container (whose network namespace is the pid's) or none, and logs its args."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "docker.log"
    script = bin_dir / "docker"
    body = f'echo "$@" >> {log}\n'
    if container_pid is not None:
        body += f'case "$1" in ps) echo 0123456789ab ;; inspect) echo {container_pid} ;; esac\n'
    script.write_text("#!/bin/bash\n" + body)
    script.chmod(0o755)
    return bin_dir


def run_script(tmp_path, port, protocol="tcp", container_pid=None, family="minecraft-task") -> dict:
    bin_dir = fake_docker(tmp_path, container_pid)
    exports, body = script_commands(GameContainer(family, "game", protocol, port))
    result = subprocess.run(
        ["bash", "-c", f"{exports}\n{body}"],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def tcp_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    clients, accepted = [], []
    yield server, clients, accepted
    for s in clients + accepted + [server]:
        s.close()


def connect(tcp_server, count):
    server, clients, accepted = tcp_server
    for _ in range(count):
        client = socket.create_connection(server.getsockname())
        clients.append(client)
        accepted.append(server.accept()[0])


@pytest.mark.parametrize("connections", [0, 1, 3])
def test_reports_established_tcp_connections_on_the_game_port(tmp_path, tcp_server, connections):
    connect(tcp_server, connections)
    report = run_script(tmp_path, tcp_server[0].getsockname()[1])
    assert report["tcp"] == connections
    assert report["listening"] is True
    assert report["container_running"] is False


def test_counts_inside_the_containers_network_namespace(tmp_path, tcp_server):
    connect(tcp_server, 2)
    # The "container" is this test process: nsenter enters its (the same) network namespace.
    report = run_script(tmp_path, tcp_server[0].getsockname()[1], container_pid=os.getpid())
    assert report["container_running"] is True and report["tcp"] == 2
    docker_calls = (tmp_path / "docker.log").read_text()
    assert "label=com.amazonaws.ecs.container-name=game" in docker_calls
    assert "label=com.amazonaws.ecs.task-definition-family=minecraft-task" in docker_calls


def test_a_port_nobody_listens_on_is_not_listening(tmp_path):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    report = run_script(tmp_path, port)
    assert report["listening"] is False and report["tcp"] == 0


def test_udp_datagram_counter_grows_by_what_was_sent(tmp_path):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port = receiver.getsockname()[1]
    try:
        before = run_script(tmp_path, port, protocol="udp")
        assert before["listening"] is True
        for _ in range(50):
            sender.sendto(b"ping", ("127.0.0.1", port))
            receiver.recv(16)  # the kernel counts a datagram when the game reads it, as a game server does
        after = run_script(tmp_path, port, protocol="udp")
    finally:
        sender.close()
        receiver.close()
    delta = after["udp_packets"] - before["udp_packets"]
    assert 50 <= delta < 50 + 500  # other loopback traffic on this machine may add a little


def test_output_is_one_line_the_handler_parses(tmp_path, tcp_server):
    bin_dir = fake_docker(tmp_path, None)
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "NAPSTACK_PORT": str(tcp_server[0].getsockname()[1])},
        capture_output=True,
        text=True,
    )
    assert len(result.stdout.strip().splitlines()) == 1
    assert parse_report(result.stdout).listening is True


@pytest.mark.parametrize("garbage", ["", "command not found", '{"tcp": "many"}', "{not json"])
def test_garbage_output_is_a_named_error(garbage):
    with pytest.raises(HostCheckFailed, match="BadHostOutput"):
        parse_report(garbage)
