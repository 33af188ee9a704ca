"""`napstack query` against protocol responders on 127.0.0.1 that answer byte for byte as the protocols document
(Minecraft Server List Ping, RakNet unconnected pong, A2S with its challenge), and against malformed, truncated
and silent ones: wrong bytes are a failed query, never a crash or a hang."""

import contextlib
import io
import json
import socket
import struct
import threading

import pytest

from napstack.cli import main
from napstack.query import QueryFailed, query

TIMEOUT = 1.0
WRONG_ANSWER_TIMEOUT = 0.3  # a wrong or missing answer: nothing to wait for but the timeout itself


def varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def read_varint(conn: socket.socket) -> int:
    value, shift = 0, 0
    while True:
        byte = conn.recv(1)[0]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7


def packet(body: bytes) -> bytes:
    return varint(len(body)) + body


@contextlib.contextmanager
def tcp_responder(answer):
    """A Minecraft Java server on 127.0.0.1: `answer(request_body)` is what it sends for each packet read."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT * 3)

    def serve():
        with contextlib.suppress(OSError, IndexError):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(TIMEOUT * 3)
                while True:
                    body = conn.recv(read_varint(conn))
                    reply = answer(body)
                    if reply:
                        conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        thread.join(TIMEOUT * 4)


def minecraft_java(body: bytes) -> bytes | None:
    if body[:1] == b"\x00" and len(body) > 1:  # handshake: nothing to answer
        return None
    if body == b"\x00":  # status request
        status = {"version": {"name": "1.21.1", "protocol": 767}, "players": {"max": 20, "online": 2,
                  "sample": [{"name": "alex", "id": "4566e69f-c907-48ee-8d71-d7ba5aa00d20"},
                             {"name": "steve", "id": "4566e69f-c907-48ee-8d71-d7ba5aa00d21"}]},
                  "description": {"text": "napstack"}}
        text = json.dumps(status).encode()
        return packet(b"\x00" + varint(len(text)) + text)
    if body[:1] == b"\x01":  # ping: pong with the same payload
        return packet(body)
    return None


@contextlib.contextmanager
def udp_responder(answer):
    """A UDP server on 127.0.0.1: `answer(datagram)` is the list of datagrams it sends back (none: silent)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, client = server.recvfrom(2048)
            except (TimeoutError, OSError):
                continue
            for reply in answer(data):
                server.sendto(reply, client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(TIMEOUT * 2)
        server.close()


RAKNET_MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")


def bedrock(datagram: bytes) -> list[bytes]:
    if datagram[:1] != b"\x01":
        return []
    motd = b"MCPE;napstack;685;1.21.0;3;10;1234567890123;world;Survival;1;19132;19133;"
    return [b"\x1c" + datagram[1:9] + struct.pack(">q", 42) + RAKNET_MAGIC + struct.pack(">H", len(motd)) + motd]


A2S = b"\xff\xff\xff\xff"
CHALLENGE = b"\x0a\x0b\x0c\x0d"


def a2s_server(datagram: bytes) -> list[bytes]:
    """A2S_INFO and A2S_PLAYER with the challenge step Valve's servers use since 2020."""
    if datagram.startswith(A2S + b"TSource Engine Query\x00"):
        if not datagram.endswith(CHALLENGE):
            return [A2S + b"A" + CHALLENGE]
        info = (A2S + b"I" + bytes([17]) + b"napstack\x00Valheim\x00valheim\x00Valheim\x00" + struct.pack("<h", 0)
                + bytes([3, 10, 0]) + b"dl" + bytes([0, 0]) + b"0.218.21\x00" + bytes([0]))
        return [info]
    if datagram.startswith(A2S + b"U"):
        if datagram[5:9] != CHALLENGE:
            return [A2S + b"A" + CHALLENGE]
        players = b"".join(bytes([i]) + name + b"\x00" + struct.pack("<lf", 0, 60.0) for i, name in enumerate([b"ragnar", b"freya", b"loki"]))
        return [A2S + b"D" + bytes([3]) + players]
    return []


def test_minecraft_java_server_list_ping():
    with tcp_responder(minecraft_java) as port:
        result = query("minecraft-java", "127.0.0.1", port, TIMEOUT)
    assert (result.players, result.max_players, result.names, result.version) == (2, 20, ["alex", "steve"], "1.21.1")
    assert result.latency_ms >= 0


def test_minecraft_bedrock_unconnected_pong():
    with udp_responder(bedrock) as port:
        result = query("minecraft-bedrock", "127.0.0.1", port, TIMEOUT)
    assert (result.players, result.max_players, result.names, result.version) == (3, 10, [], "1.21.0")


def test_a2s_info_and_players_through_the_challenge():
    with udp_responder(a2s_server) as port:
        result = query("a2s", "127.0.0.1", port, TIMEOUT)
    assert (result.players, result.max_players, result.version) == (3, 10, "0.218.21")
    assert result.names == ["ragnar", "freya", "loki"]


@pytest.mark.parametrize(
    "protocol,answer",
    [
        ("minecraft-bedrock", lambda d: [b"hello"]),  # malformed
        ("minecraft-bedrock", lambda d: [bedrock(d)[0][:20]] if bedrock(d) else []),  # truncated
        ("minecraft-bedrock", lambda d: []),  # silent
        ("a2s", lambda d: [A2S + b"I\x11Valh"]),  # truncated info
        ("a2s", lambda d: [b"\x00\x01garbage"]),  # malformed
        ("a2s", lambda d: []),  # silent
    ],
    ids=["bedrock-malformed", "bedrock-truncated", "bedrock-silent", "a2s-truncated", "a2s-malformed", "a2s-silent"],
)
def test_wrong_or_no_udp_answers_are_a_failed_query(protocol, answer):
    with udp_responder(answer) as port:
        with pytest.raises(QueryFailed, match=f"127.0.0.1:{port}"):
            query(protocol, "127.0.0.1", port, WRONG_ANSWER_TIMEOUT)


@pytest.mark.parametrize(
    "answer",
    [lambda body: packet(b"\x00" + varint(5) + b"{nope") if body == b"\x00" else None,  # not JSON
     lambda body: b"\x05\x00\x03" if body == b"\x00" else None,  # truncated packet
     lambda body: None],  # silent
    ids=["not-json", "truncated", "silent"],
)
def test_wrong_or_no_minecraft_java_answers_are_a_failed_query(answer):
    with tcp_responder(answer) as port:
        with pytest.raises(QueryFailed):
            query("minecraft-java", "127.0.0.1", port, WRONG_ANSWER_TIMEOUT)


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def test_query_cli_prints_json_and_exits_1_without_an_answer():
    with udp_responder(a2s_server) as port:
        code, out, _ = cli("query", "--protocol", "a2s", "--host", "127.0.0.1", "--port", str(port), "--json")
    assert code == 0
    data = json.loads(out)
    assert {key: data[key] for key in ("players", "max_players", "names", "version")} == {
        "players": 3, "max_players": 10, "names": ["ragnar", "freya", "loki"], "version": "0.218.21"}
    assert isinstance(data["latency_ms"], float)
    with udp_responder(lambda d: []) as port:
        code, _, err = cli("query", "--protocol", "a2s", "--host", "127.0.0.1", "--port", str(port), "--timeout", "0.5")
    assert code == 1 and ("no answer" in err or "did not answer" in err)


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "70000"], ["--timeout", "nan"], ["--protocol", "quake"]])
def test_query_cli_bad_arguments_exit_2(args):
    base = {"--protocol": "a2s", "--host": "127.0.0.1", "--port": "27015"}
    base.update(dict(zip(args[::2], args[1::2])))
    code, _, err = cli("query", *[item for pair in base.items() for item in pair])
    assert code == 2 and "Traceback" not in err
