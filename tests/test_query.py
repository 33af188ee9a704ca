"""`napstack query` against protocol responders on 127.0.0.1 that answer byte for byte as the protocols document
(Minecraft Server List Ping, RakNet unconnected pong, A2S with its challenge), and against malformed, truncated,
silent and hostile ones (dripping bytes, announcing huge answers, compression bombs, escapes in their text,
impossible counts): wrong bytes are a failed query, never a crash, a hang or unbounded memory."""

import bz2
import contextlib
import io
import json
import socket
import struct
import threading
import time
import tracemalloc
import unicodedata

import pytest

from napstack.cli import main
from napstack.query import QueryFailed, query

TIMEOUT = 1.0
WRONG_ANSWER_TIMEOUT = 0.3  # a wrong or missing answer: nothing to wait for but the timeout itself
SCHEDULING = 0.5  # what a loaded 2-core machine may add to a deadline before the test thread runs again


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
def tcp_server(serve):
    """A TCP server on 127.0.0.1 for one connection: `serve(conn)` does what it likes with it (bounded in time)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT * 3)

    def accept():
        with contextlib.suppress(OSError, IndexError):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(TIMEOUT * 3)
                serve(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        thread.join(TIMEOUT * 4)


def tcp_responder(answer):
    """A Minecraft Java server on 127.0.0.1: `answer(request_body)` is what it sends for each packet read."""

    def serve(conn):
        while True:
            reply = answer(conn.recv(read_varint(conn)))
            if reply:
                conn.sendall(reply)

    return tcp_server(serve)


STATUS = {"version": {"name": "1.21.1", "protocol": 767}, "players": {"max": 20, "online": 2,
          "sample": [{"name": "alex", "id": "4566e69f-c907-48ee-8d71-d7ba5aa00d20"},
                     {"name": "steve", "id": "4566e69f-c907-48ee-8d71-d7ba5aa00d21"}]},
          "description": {"text": "napstack"}}


def java_status(status: dict):
    """A Server List Ping responder answering `status` (pinged back when asked)."""

    def answer(body: bytes) -> bytes | None:
        if body[:1] == b"\x00" and len(body) > 1:  # handshake: nothing to answer
            return None
        if body == b"\x00":  # status request
            text = json.dumps(status).encode()
            return packet(b"\x00" + varint(len(text)) + text)
        if body[:1] == b"\x01":  # ping: pong with the same payload
            return packet(body)
        return None

    return answer


minecraft_java = java_status(STATUS)


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
        ("a2s", lambda d: [A2S + b"A" + bytes(4)]),  # challenges for ever
    ],
    ids=["bedrock-malformed", "bedrock-truncated", "bedrock-silent", "a2s-truncated", "a2s-malformed", "a2s-silent",
         "a2s-endless-challenges"],
)
def test_wrong_or_no_udp_answers_are_a_failed_query(protocol, answer):
    with udp_responder(answer) as port:
        with pytest.raises(QueryFailed, match=f"127.0.0.1:{port}"):
            query(protocol, "127.0.0.1", port, WRONG_ANSWER_TIMEOUT)


@pytest.mark.parametrize(
    "answer",
    [lambda body: packet(b"\x00" + varint(5) + b"{nope") if body == b"\x00" else None,  # not JSON
     lambda body: b"\x05\x00\x03" if body == b"\x00" else None,  # truncated packet
     lambda body: None,  # silent
     lambda body: packet(b"\x00" + varint(60000) + b"[" * 60000) if body == b"\x00" else None],  # nested past recursion
    ids=["not-json", "truncated", "silent", "nested"],
)
def test_wrong_or_no_minecraft_java_answers_are_a_failed_query(answer):
    with tcp_responder(answer) as port:
        with pytest.raises(QueryFailed):
            query("minecraft-java", "127.0.0.1", port, WRONG_ANSWER_TIMEOUT)


# --- Hostile servers ---------------------------------------------------------------------------------------------

def read_request(conn):
    """Read what a Server List Ping client sends first: its handshake, then its status request."""
    for _ in range(2):
        conn.recv(read_varint(conn))


def status_packet(status: dict) -> bytes:
    text = json.dumps(status).encode()
    return packet(b"\x00" + varint(len(text)) + text)


def dripping(data: bytes, every: float):
    """A Java server that sends a valid answer one byte every `every` seconds."""

    def serve(conn):
        read_request(conn)
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return serve


def split(identity: int, parts: list[bytes]) -> list[bytes]:
    """A2S's split answer (Source format): ID, Total, Number, Size before each part."""
    return [b"\xfe\xff\xff\xff" + struct.pack("<LBBH", identity, len(parts), number, 1248) + part
            for number, part in enumerate(parts)]


def timed_query(protocol, port, timeout=TIMEOUT):
    started = time.monotonic()
    with pytest.raises(QueryFailed) as failed:
        query(protocol, "127.0.0.1", port, timeout)
    return str(failed.value), time.monotonic() - started


SMALL = {"version": {"name": "1.21", "protocol": 767}, "players": {"max": 5, "online": 1}}


def test_a_java_server_dripping_a_valid_answer_gets_the_timeout_for_the_whole_query_not_each_read():
    answer = status_packet(SMALL)  # ~80 bytes at 25 ms each: 2 s, each byte well within a read's timeout
    with tcp_server(dripping(answer, 0.025)) as port:
        error, took = timed_query("minecraft-java", port)
    assert f"no answer from 127.0.0.1:{port} within 1 s" in error and took < TIMEOUT + SCHEDULING


def test_an_a2s_server_dripping_a_split_answer_gets_the_timeout_for_the_whole_query():
    info = bytes(a2s_server(A2S + b"TSource Engine Query\x00" + CHALLENGE)[0])
    parts = [info[i:i + 10] for i in range(0, 80, 10)] + [info[80:]]

    def drip(datagram):
        if datagram.startswith(A2S + b"TSource Engine Query\x00"):
            for part in split(7, parts):  # 9 packets, one every 0.18 s: 1.6 s
                time.sleep(0.18)
                yield part

    with udp_responder(drip) as port:
        error, took = timed_query("a2s", port)
    assert "no answer" in error and took < TIMEOUT + SCHEDULING


def peak_bytes(run):
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_java_server_announcing_a_2_gb_answer_is_refused_before_it_is_read():
    def flood(conn):
        read_request(conn)
        conn.sendall(varint(2**31 - 1))
        while True:
            conn.sendall(b"\x00" * 65536)

    failures = []
    with tcp_server(flood) as port:
        peak = peak_bytes(lambda: failures.append(timed_query("minecraft-java", port)))
    (error, took), = failures
    assert "announced 2,147,483,647 bytes; a status answer has at most 131,072" in error
    assert took < TIMEOUT and peak < 1_000_000  # refused at once, not timed out


@pytest.mark.parametrize(
    "parts,why",
    [([b"\x00" * 1400] * 255, "split answer over 65,536 bytes"),  # 357 KB by the protocol's own bounds
     ([struct.pack("<lL", 1000, 0) + bz2.compress(b"\x00" * 5_000_000)], "does not match its announced size"),
     ([struct.pack("<lL", 50_000_000, 0) + bz2.compress(b"\x00" * 5_000_000)], "announces 50,000,000 bytes")],
    ids=["too-many-parts", "bz2-bomb", "announced-too-big"],
)
def test_an_a2s_answer_is_bounded_in_size_and_decompression(parts, why):
    identity = 0x80000009 if len(parts) == 1 else 9  # the top bit: bzip2-compressed
    with udp_responder(lambda d: split(identity, parts + ([b""] if len(parts) == 1 else []))) as port:
        failures = []
        peak = peak_bytes(lambda: failures.append(timed_query("a2s", port)))
    (error, _), = failures
    assert why in error and peak < 2_000_000


HOSTILE_TEXT = "\x1b[2J\x1b]0;owned\x07§cHello\n\u202eWorld\x00\x07 \x9b31m!"


def printable(text: str) -> bool:
    return not any(unicodedata.category(ch)[0] == "C" for ch in text)


def test_escapes_and_control_characters_never_leave_the_query_and_text_is_bounded():
    sample = [{"name": "\x1b[31mevil\x1b[0m", "id": "0"}, {"name": "x" * 5000, "id": "1"}]
    sample += [{"name": f"p{i}\r\n", "id": str(i)} for i in range(100)]
    status = {"version": {"name": "\x1b]0;owned\x07 1.21\x1b[5m", "protocol": 767},
              "players": {"max": 200, "online": 102, "sample": sample}, "description": HOSTILE_TEXT + "y" * 10_000}
    with tcp_responder(java_status(status)) as port:
        result = query("minecraft-java", "127.0.0.1", port, TIMEOUT)
    assert result.version == "1.21" and result.motd.startswith("Hello World !yyy") and len(result.motd) == 200
    assert result.names[:3] == ["evil", "x" * 63 + "…", "p0"] and len(result.names) == 20
    assert all(printable(text) for text in [result.version, result.motd, *result.names])


def test_a2s_names_and_server_name_are_cleaned_too():
    def server(datagram):
        if datagram.startswith(A2S + b"TSource Engine Query\x00"):
            return [A2S + b"I" + bytes([17]) + HOSTILE_TEXT.replace("\x00", "").encode() + b"\x00Valheim\x00valheim\x00Valheim\x00"
                    + struct.pack("<h", 0) + bytes([1, 10, 0]) + b"dl" + bytes([0, 0]) + b"0.218\x1b[8m\x00" + bytes([0])]
        if datagram.startswith(A2S + b"U"):
            return [A2S + b"D" + bytes([1]) + b"\x00\x1b]52;c;cm0gLXJmIH4=\x07ragnar\x00" + struct.pack("<lf", 0, 1.0)]
        return []

    with udp_responder(server) as port:
        result = query("a2s", "127.0.0.1", port, TIMEOUT)
    assert (result.motd, result.version, result.names) == ("Hello World !", "0.218", ["ragnar"])


@pytest.mark.parametrize(
    "players",
    [{"online": -3, "max": 5}, {"online": 1, "max": -5}, {"online": 10**9, "max": 20}, {"online": "3", "max": 20},
     {"online": 2.5, "max": 20}, {"online": True, "max": 20}, {"online": None, "max": 20}, {"online": 1, "max": "20"}],
    ids=["negative", "negative-max", "absurd", "string", "fraction", "boolean", "null", "string-max"],
)
def test_an_impossible_java_player_count_is_no_answer(players):
    with tcp_responder(java_status({"version": {"name": "1.21", "protocol": 767}, "players": players})) as port:
        error, _ = timed_query("minecraft-java", port)
    assert f"127.0.0.1:{port} answered its minecraft-java query with an impossible" in error


def test_an_impossible_bedrock_player_count_is_no_answer():
    def negative(datagram):
        motd = b"MCPE;napstack;685;1.21.0;-3;-5;1234567890123;world;Survival;1;19132;19133;"
        return [bedrock(datagram)[0][:35] + struct.pack(">H", len(motd)) + motd]

    with udp_responder(negative) as port:
        error, _ = timed_query("minecraft-bedrock", port)
    assert "an impossible player count (-3)" in error


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


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "70000"], ["--timeout", "nan"], ["--protocol", "quake"],
                                  ["--host", ""], ["--host", "a" * 64 + ".example.com"], ["--host", "mc.example.com" * 20],
                                  ["--host", "mc example.com"], ["--host", "\x1b[2Jmc.example.com"]])
def test_query_cli_bad_arguments_exit_2(args):
    base = {"--protocol": "a2s", "--host": "127.0.0.1", "--port": "27015"}
    base.update(dict(zip(args[::2], args[1::2])))
    code, _, err = cli("query", *[item for pair in base.items() for item in pair])
    assert code == 2 and "Traceback" not in err and "\x1b" not in err


@pytest.mark.parametrize("host", ["localhost", "LocalHost", "127.0.0.1"])
def test_query_cli_takes_a_name_or_an_address(host):
    with udp_responder(a2s_server) as port:
        code, out, _ = cli("query", "--protocol", "a2s", "--host", host, "--port", str(port), "--json")
    assert code == 0 and json.loads(out)["players"] == 3


def test_query_cli_json_says_why_when_the_game_does_not_answer():
    with udp_responder(lambda d: []) as port:
        code, out, _ = cli("query", "--protocol", "a2s", "--host", "127.0.0.1", "--port", str(port), "--timeout", "0.3",
                           "--json")
    assert code == 1 and json.loads(out) == {"protocol": "a2s", "host": "127.0.0.1", "port": port,
                                             "error": f"no answer from 127.0.0.1:{port} within 0.3 s (a2s)"}
    with tcp_responder(java_status({"version": {"name": "1.21", "protocol": 767}, "players": {"online": -3, "max": -5}})) as port:
        code, out, _ = cli("query", "--protocol", "minecraft-java", "--host", "127.0.0.1", "--port", str(port), "--json")
    assert code == 1 and "an impossible player count (-3)" in json.loads(out)["error"]


def test_query_cli_prints_the_server_text_without_its_escapes():
    status = {**STATUS, "description": HOSTILE_TEXT, "version": {"name": "\x1b[5m1.21.1", "protocol": 767}}
    with tcp_responder(java_status(status)) as port:
        code, out, _ = cli("query", "--protocol", "minecraft-java", "--host", "127.0.0.1", "--port", str(port))
    assert code == 0 and out.startswith(f'127.0.0.1:{port} minecraft-java "Hello World !": 2/20 players (alex, steve), '
                                        "version 1.21.1, ")
    assert printable(out.rstrip("\n"))


def test_an_ipv6_address_is_written_in_brackets_where_it_is_named():
    server = socket.socket(socket.AF_INET6)
    try:
        server.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    port = server.getsockname()[1]
    server.close()  # nobody listens there now: refused at once
    code, out, _ = cli("query", "--protocol", "minecraft-java", "--host", "::1", "--port", str(port), "--json")
    assert code == 1 and json.loads(out)["error"].startswith(f"[::1]:{port} did not answer")
