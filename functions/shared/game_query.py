"""Ask a running game server how many players are online, as a player's client does.

The watchdog's check asks through this module (the game's public address, the port the game already opens to
players), and so does `napstack query` (napstack/query.py loads this very file): what a user tries by hand is what
the watchdog does. Shared (functions/shared/): bundled into each function whose shared.txt names it; a function
that does lists `mcstatus` and `python-a2s` in its requirements.txt.

Protocols come from well-kept libraries, not hand-written packet code: `mcstatus` for Minecraft Java (Server List
Ping over TCP) and Bedrock (RakNet unconnected ping over UDP), `python-a2s` for Steam's A2S_INFO / A2S_PLAYER
(Valheim, ARK, Rust, CS2, 7 Days to Die, Project Zomboid, Enshrouded, ...).

A game server is hostile input: the query runs inside the watchdog Lambda, and what it answers is printed, logged
and sent in alerts. So the libraries' packet parsing is kept but their sockets are not: one deadline bounds the whole
query (each read waits only for what is left of it, so a server dripping one byte at a time cannot stretch it), a
length is refused before it is read when it is beyond what the protocol allows, the text is stripped of control
characters and terminal escapes and bounded, and an impossible player count is no answer. A server that does not
answer, or answers with bytes of the wrong shape, is a failed query (QueryFailed), never a crash or a hang.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import ipaddress
import re
import socket
import struct
import threading
import unicodedata
import zlib
from dataclasses import asdict, dataclass, field
from time import monotonic  # not `import time`: the emulator swaps a handler module's `time` for its clock

PROTOCOLS = ("minecraft-java", "minecraft-bedrock", "a2s")

# Minecraft Java: the status answer is a packet id and one String(32767), at most 4 UTF-8 bytes a character plus a
# 3-byte VarInt length (wiki.vg "Data types", the bound mcstatus's own read_utf applies after reading).
JAVA_STATUS_PACKET_BYTES = 1 + 32767 * 4 + 3
# A2S: "Steam uses a packet size of 1400 bytes + IP/UDP headers" and a split answer's Total is a byte (Valve
# Developer Community, "Server queries"): 255 x 1400 bytes at most. A2S_INFO fits one packet and A2S_PLAYER for its
# 255 players at most (the count is a byte) of 32-character Steam names needs under 36 KB, so 64 KiB bounds both
# answers with room to spare and keeps python-a2s's byte-at-a-time string reads cheap.
A2S_ANSWER_BYTES = 64 * 1024
UDP_DATAGRAM_BYTES = 65535  # one recv never holds more than a UDP datagram can carry
A2S_SIMPLE, A2S_SPLIT = b"\xff\xff\xff\xff", b"\xfe\xff\xff\xff"

PLAYERS_POSSIBLE = 1_000_000  # more online than the busiest Minecraft network ever had: not a real count
NAMES_KEPT = 20  # player names kept from one answer
NAME_CHARS, TEXT_CHARS = 64, 200  # a player name; the MOTD, the version and an error message


class QueryFailed(Exception):
    """The server did not answer the query in time, or not in the protocol's shape; the message says which."""


@dataclass(frozen=True)
class QueryResult:
    protocol: str
    players: int
    max_players: int
    names: list[str] = field(default_factory=list)
    version: str | None = None
    latency_ms: float = 0.0
    motd: str | None = None  # the server's description (A2S: its name)

    def as_json(self) -> dict:
        return asdict(self)


# Terminal escapes (CSI, OSC up to BEL or ST, two-character ESC sequences, 8-bit CSI) and Minecraft's § formatting
# codes are removed whole, so no "[31m" is left behind; other control and format characters go one by one.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|§.?", re.S)


def clean(text: object, limit: int = TEXT_CHARS) -> str:
    """Text a game server sent, safe to print, log and mail: one line, no control characters or escapes, bounded."""
    text = _ESCAPES.sub("", str(text)[: limit * 8])
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Deadline:
    """The query's one budget: every connect, send and read waits only for what is left of it."""

    def __init__(self, seconds: float):
        self._at = monotonic() + seconds

    def left(self) -> float:
        left = self._at - monotonic()
        if left <= 0:
            raise TimeoutError("the query's time is up")
        return left


def _resolve(host: str, port: int, deadline: _Deadline) -> str:
    """The host's address. The watchdog asks by address (nothing to look up); a name typed for `napstack query` is
    looked up in a daemon thread so a slow resolver counts against the deadline too."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    found: list = []

    def look_up():
        try:
            found.append(socket.getaddrinfo(host, port, socket.AF_INET)[0][4][0])
        except Exception as error:  # noqa: BLE001 - raised again in the caller's thread (gaierror, idna's UnicodeError)
            found.append(error)

    worker = threading.Thread(target=look_up, daemon=True)
    worker.start()
    worker.join(deadline.left())
    if not found:
        raise TimeoutError(f"looking {host!r} up took longer than the query's time")
    if isinstance(found[0], Exception):
        raise found[0]
    return found[0]


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


@functools.cache
def _java_connection():
    """mcstatus's reader and writer (BaseSyncConnection) over a TCP socket bounded by the deadline and by the largest
    packet a status answer can be (mcstatus's own reads neither; imported on first use, as the libraries are)."""
    from mcstatus._protocol.io.connection import BaseSyncConnection

    class BoundedConnection(BaseSyncConnection):
        def __init__(self, address: tuple[str, int], deadline: _Deadline):
            self._deadline = deadline
            self.socket = socket.create_connection(address, timeout=deadline.left())

        def read(self, length: int, /) -> bytes:
            if length > JAVA_STATUS_PACKET_BYTES:  # refused before a byte of it is read
                raise OSError(f"the server announced {length:,} bytes; a status answer has at most {JAVA_STATUS_PACKET_BYTES:,}")
            data = bytearray()
            while len(data) < length:
                self.socket.settimeout(self._deadline.left())
                chunk = self.socket.recv(length - len(data))
                if not chunk:
                    raise OSError("the server closed the connection mid-answer")
                data += chunk
            return bytes(data)

        def write(self, data: bytes | bytearray, /) -> None:
            self.socket.settimeout(self._deadline.left())
            self.socket.sendall(data)

    return BoundedConnection


def _minecraft_java(host: str, port: int, timeout: float) -> QueryResult:
    from mcstatus._net.address import Address
    from mcstatus._protocol.java_client import JavaClient

    deadline = _Deadline(timeout)
    connection = _java_connection()((_resolve(host, port, deadline), port), deadline)
    with contextlib.closing(connection.socket):
        client = JavaClient(connection, address=Address(host, port), version=47)  # the name asked, for proxies
        client.handshake()
        status = client.read_status()
    sample = status.players.sample or []
    version = status.version.name if status.version else None
    return QueryResult("minecraft-java", status.players.online, status.players.max, [player.name for player in sample],
                       version, status.latency, status.motd.to_plain())


def _minecraft_bedrock(host: str, port: int, timeout: float) -> QueryResult:
    from mcstatus._net.address import Address
    from mcstatus._protocol.bedrock_client import BedrockClient

    deadline = _Deadline(timeout)
    address = Address(_resolve(host, port, deadline), port)
    # One ping, one datagram of at most 2048 bytes read with what is left of the deadline (not mcstatus's 3 tries).
    status = BedrockClient(address, timeout=deadline.left()).read_status()
    version = status.version.name if status.version else None
    return QueryResult("minecraft-bedrock", status.players.online, status.players.max, [], version, status.latency,
                       status.motd.to_plain())


class _A2SConnection:
    """python-a2s's transport (what its request_sync_impl calls) with the deadline on every datagram, only the
    server's datagrams (a connected socket), and split answers reassembled within A2S_ANSWER_BYTES, a compressed
    one decompressed to at most that (python-a2s reads split answers without a bound and bz2-decompresses without
    one; Valve's format: the first packet of a compressed answer carries its size and CRC32)."""

    def __init__(self, address: tuple[str, int], deadline: _Deadline):
        self._deadline = deadline
        self._socket = socket.socket(_family(address[0]), socket.SOCK_DGRAM)
        self._socket.connect(address)

    def close(self) -> None:
        self._socket.close()

    def request(self, payload: bytes) -> bytes:
        self._socket.settimeout(self._deadline.left())
        self._socket.send(A2S_SIMPLE + payload)
        packet = self._datagram()
        if packet[:4] == A2S_SIMPLE:
            return packet[4:]
        if packet[:4] == A2S_SPLIT:
            return self._reassembled(packet)
        raise ValueError(f"not an A2S packet (header {packet[:4]!r})")

    def _datagram(self) -> bytes:
        self._socket.settimeout(self._deadline.left())
        return self._socket.recv(UDP_DATAGRAM_BYTES)

    def _reassembled(self, packet: bytes) -> bytes:
        parts: dict[int, bytes] = {}
        message, received = None, 0
        while True:
            identity, total, number, _size = struct.unpack_from("<lBBH", packet, 4)
            if message is None:
                message = (identity, total)
            if (identity, total) != message or number >= total:
                raise ValueError(f"split answer packet {number} of {total} does not belong to the answer")
            received += len(packet) - 12
            if received > A2S_ANSWER_BYTES:
                raise ValueError(f"split answer over {A2S_ANSWER_BYTES:,} bytes")
            parts[number] = packet[12:]
            if len(parts) == total:
                break
            packet = self._datagram()
            if packet[:4] != A2S_SPLIT:
                raise ValueError(f"a split answer's packet has the header {packet[:4]!r}")
        answer = b"".join(parts[number] for number in range(total))
        if identity < 0:  # the ID's top bit: bzip2-compressed before it was split
            answer = _decompressed(answer)
        return answer[4:] if answer.startswith(A2S_SIMPLE) else answer


def _decompressed(answer: bytes) -> bytes:
    size, crc = struct.unpack_from("<lL", answer)
    if not 0 <= size <= A2S_ANSWER_BYTES:
        raise ValueError(f"compressed answer announces {size:,} bytes, over {A2S_ANSWER_BYTES:,}")
    data = bz2.BZ2Decompressor().decompress(answer[8:], max_length=size + 1)
    if len(data) != size or zlib.crc32(data) != crc:
        raise ValueError("compressed answer does not match its announced size and checksum")
    return data


def _a2s(host: str, port: int, timeout: float) -> QueryResult:
    from a2s.a2s_sync import request_sync_impl
    from a2s.info import InfoProtocol
    from a2s.players import PlayersProtocol

    deadline = _Deadline(timeout)
    connection = _A2SConnection((_resolve(host, port, deadline), port), deadline)
    with contextlib.closing(connection):
        started = monotonic()
        info = request_sync_impl(connection, "utf-8", InfoProtocol)
        latency = (monotonic() - started) * 1000
        try:  # names are a bonus, within the same deadline: some servers answer A2S_INFO but not A2S_PLAYER
            names = [player.name for player in request_sync_impl(connection, "utf-8", PlayersProtocol) if player.name]
        except Exception:  # noqa: BLE001 - any failure of the optional second query
            names = []
    return QueryResult("a2s", info.player_count, info.max_players, names, info.version or None, latency, info.server_name)


QUERIES = {"minecraft-java": _minecraft_java, "minecraft-bedrock": _minecraft_bedrock, "a2s": _a2s}


def _count(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value <= PLAYERS_POSSIBLE:
        raise QueryFailed(f"an impossible {what} ({clean(repr(value), 40)})")
    return value


def _text(value: object, limit: int = TEXT_CHARS) -> str | None:
    return clean(value, limit) or None if value is not None else None


def _checked(answer: QueryResult) -> QueryResult:
    """The answer with its counts checked and its text made safe: what the server sent is input like any other."""
    players = _count(answer.players, "player count")
    maximum = answer.max_players
    if type(maximum) is not int or maximum < 0:  # a large maximum is a server's joke, not an impossible answer
        raise QueryFailed(f"an impossible maximum of players ({clean(repr(maximum), 40)})")
    names = [name for name in (_text(name, NAME_CHARS) for name in answer.names[: NAMES_KEPT * 4]) if name]
    latency = float(answer.latency_ms)
    return QueryResult(answer.protocol, players, maximum, names[:NAMES_KEPT], _text(answer.version),
                       round(latency, 1) if 0 <= latency < 1e9 else 0.0, _text(answer.motd))


def address(host: str, port: int) -> str:
    """host:port as a player writes it, an IPv6 address in brackets ([2001:db8::1]:25565, not 2001:db8::1:25565)."""
    host = clean(host, 100)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def query(protocol: str, host: str, port: int, timeout: float = 3.0) -> QueryResult:
    if protocol not in QUERIES:
        raise ValueError(f"unknown protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")
    where = address(host, port)
    try:
        return _checked(QUERIES[protocol](host, port, timeout))
    except TimeoutError:
        raise QueryFailed(f"no answer from {where} within {timeout:g} s ({protocol})") from None
    except QueryFailed as impossible:
        raise QueryFailed(f"{where} answered its {protocol} query with {impossible}") from None
    except Exception as error:  # noqa: BLE001 - sockets, truncated or malformed answers each raise their own kind
        raise QueryFailed(clean(f"{where} did not answer its {protocol} query ({type(error).__name__}: {error})")) from None
