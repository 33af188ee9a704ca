"""Ask a running game server how many players are online, as a player's client does.

The watchdog's check asks through this module (the game's public address, the port the game already opens to
players), and so does `napstack query` (napstack/query.py loads this very file): what a user tries by hand is what
the watchdog does.

Protocols come from well-kept libraries, not hand-written packet code: `mcstatus` for Minecraft Java (Server List
Ping over TCP) and Bedrock (RakNet unconnected ping over UDP), `python-a2s` for Steam's A2S_INFO / A2S_PLAYER
(Valheim, ARK, Rust, CS2, 7 Days to Die, Project Zomboid, Enshrouded, ...). A server that does not answer, or
answers with bytes of the wrong shape, is a failed query (QueryFailed), never a crash or a hang.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

PROTOCOLS = ("minecraft-java", "minecraft-bedrock", "a2s")


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

    def as_json(self) -> dict:
        return asdict(self)


def _minecraft_java(host: str, port: int, timeout: float) -> QueryResult:
    from mcstatus import JavaServer

    status = JavaServer(host, port, timeout=timeout).status(tries=1)
    sample = status.players.sample or []
    return QueryResult(
        "minecraft-java",
        int(status.players.online),
        int(status.players.max),
        [str(player.name) for player in sample],
        str(status.version.name) if status.version else None,
        round(float(status.latency), 1),
    )


def _minecraft_bedrock(host: str, port: int, timeout: float) -> QueryResult:
    from mcstatus import BedrockServer

    status = BedrockServer(host, port, timeout=timeout).status(tries=1)  # one wait of `timeout`, not three
    return QueryResult(
        "minecraft-bedrock",
        int(status.players.online),
        int(status.players.max),
        [],
        str(status.version.name) if status.version else None,
        round(float(status.latency), 1),
    )


def _a2s(host: str, port: int, timeout: float) -> QueryResult:
    import a2s

    started = time.perf_counter()
    info = a2s.info((host, port), timeout=timeout)
    latency = (time.perf_counter() - started) * 1000
    try:  # names are a bonus: some servers answer A2S_INFO but not A2S_PLAYER
        names = [player.name for player in a2s.players((host, port), timeout=timeout) if player.name]
    except Exception:  # noqa: BLE001 - any failure of the optional second query
        names = []
    return QueryResult("a2s", int(info.player_count), int(info.max_players), names, str(info.version) or None, round(latency, 1))


QUERIES = {"minecraft-java": _minecraft_java, "minecraft-bedrock": _minecraft_bedrock, "a2s": _a2s}


def query(protocol: str, host: str, port: int, timeout: float = 3.0) -> QueryResult:
    if protocol not in QUERIES:
        raise ValueError(f"unknown protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")
    try:
        return QUERIES[protocol](host, port, timeout)
    except TimeoutError:
        raise QueryFailed(f"no answer from {host}:{port} within {timeout:g} s ({protocol})") from None
    except Exception as error:  # noqa: BLE001 - sockets, truncated or malformed answers each raise their own kind
        raise QueryFailed(f"{host}:{port} did not answer a {protocol} query ({type(error).__name__}: {error})") from None
