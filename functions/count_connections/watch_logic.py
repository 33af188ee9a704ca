"""The watchdog's decision for one check, as plain functions: no AWS, no clock, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["Watching", "ScaleDown", "InstanceGone", "AlertMaxUptime", "AlertConfigHint", "AlertReady", "ContinueAsNew", "RestartGame"]
CheckResult = Literal["active", "idle", "grace", "failed", "gone"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuerySettings(_Model):
    """Watchdog.Query: how to ask the game for its players."""

    Protocol: Literal["minecraft-java", "minecraft-bedrock", "a2s"]
    Port: int
    Transport: Literal["tcp", "udp"]
    TimeoutSeconds: float


class Settings(_Model):
    """What the hook passes in from the config (napstack/settings.py builds it)."""

    ServerName: str
    Protocol: Literal["tcp", "udp"]
    Port: int
    UdpPacketThreshold: int
    CountSsh: bool
    IntervalSeconds: int
    IdleChecks: int
    MaxFailedChecks: int
    StartupGraceMinutes: int
    MaxUptimeHours: float
    MaxUptimeAction: Literal["alert", "stop"]
    # A Standard execution's history ends at 25,000 events; a check writes about nine.
    ChecksPerExecution: int = 2000
    Query: QuerySettings | None = None
    HourlyUsd: float | None = None  # what an hour up costs (napstack/cost.py), for the session summary
    Address: str = ""  # host:port players join, for the ready alert


class Watch(_Model):
    """The state carried from check to check, and from one execution to the next."""

    LaunchedAt: datetime
    IdleCount: int = 0
    IdleSince: datetime | None = None
    FailedCount: int = 0
    LastError: str | None = None
    Checks: int = 0
    ChecksThisExecution: int = 0
    Generation: int = 1
    Restarts: int = 0  # times the hook's safety net restarted this watchdog; carried on by continue-as-new
    UdpPacketsSeen: int | None = None
    MaxUptimeAlerted: bool = False
    GameUp: bool = False  # the game has listened on its port (or had a player): the startup grace is over
    QueryAnswered: bool = False  # the game has answered its query at least once
    QueryHinted: bool = False  # the config hint about a query that never answers was sent
    ReadyAlerted: bool = False  # the ready alert was sent (the game answered its query, or listened without one)
    Woken: str = ""  # the wake record the hook read at launch ("<ISO time> by <who>"); empty: a console start
    RunningAt: datetime | None = None  # the first check that saw the game's container running
    PeakPlayers: int = 0
    PlayerNames: list[str] = Field(default_factory=list)  # everyone seen this session, first seen first
    Verdict: Verdict = "Watching"
    Reason: str = ""
    AlertSubject: str = ""  # with an Alert* verdict: the alert's subject after the server's name
    AlertKind: str = ""  # with an Alert* verdict: ready or problem (the chats choose which kinds they get)


class HostReport(_Model):
    """What count_connections.sh printed."""

    container_running: bool
    listening: bool
    tcp: int = Field(ge=0)
    udp_packets: int = Field(ge=0)
    ssh: int = Field(ge=0)


class Players(_Model):
    """What the game answered its query."""

    Count: int = Field(ge=0)
    Max: int = Field(default=0, ge=0)
    Names: list[str] = Field(default_factory=list)
    Version: str | None = None


class Check(_Model):
    """One check as the console shows it. `Counted`: what decided it, the players the game reported or the
    connections on its port (no query configured, or the game did not answer it)."""

    Number: int
    Result: CheckResult
    Counted: Literal["players", "connections"] | None = None
    Players: int | None = None
    Names: list[str] | None = None
    QueryError: str | None = None
    Tcp: int | None = None
    UdpPackets: int | None = None
    Ssh: int | None = None
    ContainerRunning: bool | None = None
    LookedUp: bool = False
    Error: str | None = None


def udp_delta(previous: int | None, current: int) -> int:
    """Datagrams since the previous check; a restarted container resets its counter."""
    if previous is None or current < previous:
        return current
    return current - previous


def is_active(settings: Settings, report: HostReport, udp_packets: int, looked_up: bool = False) -> bool:
    if looked_up or (settings.CountSsh and report.ssh > 0):
        return True
    if settings.Protocol == "tcp":
        return report.tcp > 0
    return udp_packets > settings.UdpPacketThreshold


MAX_NAMES = 20  # player names kept for the session summary


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")


def session_summary(settings: Settings, state: Watch, now: datetime) -> str:
    """How long the session ran, its peak players (when the game told), and what it cost."""
    minutes = int((now - state.LaunchedAt).total_seconds() // 60)
    ran = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    parts = [f"Session: {ran} since {_clock(state.LaunchedAt)}"]
    if state.QueryAnswered:
        names = f" ({', '.join(state.PlayerNames)})" if state.PlayerNames else ""
        parts.append(f"peak {state.PeakPlayers} player{'' if state.PeakPlayers == 1 else 's'}{names}")
    if settings.HourlyUsd is not None:
        parts.append(f"about ${settings.HourlyUsd * minutes / 60:.2f} at ${settings.HourlyUsd:.3f}/h")
    return ", ".join(parts) + "."


def _scale_down(settings: Settings, state: Watch, now: datetime, why: str) -> Watch:
    state.Verdict, state.Reason = "ScaleDown", f"{settings.ServerName} scaled down: {why} {session_summary(settings, state, now)}"
    return state


def _restart_game(settings: Settings, state: Watch) -> Watch:
    """The players were thrown out by the stop, not gone: the idle count starts again once the game is back."""
    state.Verdict, state.IdleCount, state.IdleSince = "RestartGame", 0, None
    state.Reason = (f"{settings.ServerName}: the game's ECS service was set to 0 while the instance runs (a deploy sends "
                    "the template's desired count): set back to 1, the game starts again.")
    return state


def _connections(settings: Settings, report: HostReport, udp_packets: int) -> str:
    return f"{report.tcp} TCP connections" if settings.Protocol == "tcp" else f"{udp_packets} UDP packets in a check"


def _query_hint(settings: Settings, report: HostReport, udp_packets: int, query_error: str | None) -> str:
    query = settings.Query
    return (
        f"{settings.ServerName}: the game does not answer its {query.Protocol} query on {query.Port}/{query.Transport} "
        f"({query_error or 'no answer'}) while it has {_connections(settings, report, udp_packets)}: is the query "
        "enabled in the game's settings, and is Watchdog.Query.Port the port it answers on? Until it answers, "
        "the watchdog counts connections."
    )


WAKE_SLACK = timedelta(minutes=5)  # clocks of the waker and of EC2's event may differ a little


def parse_wake(record: str, launched_at: datetime) -> tuple[datetime, str] | None:
    """(when, who) of a wake record "<ISO time> by <who>" written with the desired-capacity change that launched
    this instance; None for no record (a console or manual start) or one that cannot be this launch's (unreadable,
    after the launch). The record is hostile-ish input (anyone who may tag the group): bounded, never trusted."""
    when, _, who = (record or "")[:300].partition(" by ")
    try:
        moment = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or moment > launched_at + WAKE_SLACK or not who.strip():
        return None
    return moment, "".join(ch for ch in who.strip() if ch.isprintable())[:120]


def _seconds(span: timedelta) -> int:
    return max(0, int(span.total_seconds()))


def ready_text(settings: Settings, players: Players | None, watch: Watch, now: datetime) -> str:
    """`mc is ready: mc.example.com:25565, 0/20 players, Paper 1.21, 94 s after the wake.` Measured from the wake
    (a lookup, the status page) when the launch had one, else from the launch ("started from the console")."""
    parts = [settings.Address] if settings.Address else []
    if players is not None:
        parts.append(f"{players.Count}/{players.Max} players" if players.Max else f"{players.Count} players")
        if players.Version:
            parts.append(players.Version)
    else:
        parts.append(f"listening on {settings.Port}/{settings.Protocol}")
    wake = parse_wake(watch.Woken, watch.LaunchedAt)
    if wake is not None:
        parts.append(f"{_seconds(now - wake[0])} s after the wake ({wake[1]})")
    else:
        parts.append(f"{_seconds(now - watch.LaunchedAt)} s after the launch (started from the console)")
    return f"{settings.ServerName} is ready: {', '.join(parts)}."


def ready_figures(watch: Watch, now: datetime) -> dict[str, int]:
    """Seconds from the wake to the launch, to a running task, to ready (the metric); {} without a wake: a console
    start has no wake to measure from."""
    wake = parse_wake(watch.Woken, watch.LaunchedAt)
    if wake is None:
        return {}
    figures = {"WakeToLaunchSeconds": _seconds(watch.LaunchedAt - wake[0])}
    if watch.RunningAt is not None:
        figures["WakeToRunningTaskSeconds"] = _seconds(watch.RunningAt - wake[0])
    figures["WakeToReadySeconds"] = _seconds(now - wake[0])
    return figures


def next_watch(
    settings: Settings,
    watch: Watch,
    now: datetime,
    report: HostReport | None = None,
    error: str | None = None,
    instance_in_service: bool = True,
    looked_up: bool = False,
    players: Players | None = None,
    query_error: str | None = None,
    service_stopped: bool = False,
) -> tuple[Watch, Check]:
    """Fold one check into the watch state and decide what the state machine does next. A DNS lookup since
    the last check (`looked_up`) is activity: a player is waiting for the address, not gone. When the game
    answered its query (`players`), its player count decides; otherwise the connections on its port do.
    `service_stopped`: the game's ECS service is at 0 while the instance runs (a deploy did it): unless the server
    is idle enough to stop anyway, the state machine sets it back to 1."""
    number = watch.Checks + 1
    state = watch.model_copy(
        update={"Checks": number, "ChecksThisExecution": watch.ChecksThisExecution + 1, "Verdict": "Watching",
                "Reason": "", "AlertSubject": "", "AlertKind": ""}
    )
    if not instance_in_service:
        state.Verdict, state.Reason = "InstanceGone", "The instance is no longer in service; nothing left to watch."
        return state, Check(Number=number, Result="gone")

    if report is None and players is None:
        state.FailedCount, state.LastError = watch.FailedCount + 1, error
        check = Check(Number=number, Result="failed", Error=error, QueryError=query_error)
        if state.FailedCount >= settings.MaxFailedChecks:
            why = (f"the last {state.FailedCount} checks failed (last error: {error}), so the watchdog cannot tell "
                   "whether anyone is playing.")
            return _scale_down(settings, state, now, why), check
    else:
        udp_packets = udp_delta(watch.UdpPacketsSeen, report.udp_packets) if report is not None else None
        state.FailedCount, state.LastError = 0, None
        if report is not None:
            state.UdpPacketsSeen = report.udp_packets
        if state.RunningAt is None and (players is not None or (report is not None and report.container_running)):
            state.RunningAt = now  # the game's task runs (a game that answers runs too)
        if players is not None:  # the game said how many play: that decides, SSH sessions and lookups too
            active = looked_up or (settings.CountSsh and report is not None and report.ssh > 0) or players.Count > 0
            state.QueryAnswered, state.PeakPlayers = True, max(watch.PeakPlayers, players.Count)
            state.PlayerNames = (watch.PlayerNames + [n for n in players.Names if n not in watch.PlayerNames])[:MAX_NAMES]
            game_up = True
        else:
            active = is_active(settings, report, udp_packets, looked_up)
            game_up = report.listening
        # Grace is for a game that is not up yet: it ends when the game first listens, answers or has a player, and
        # after StartupGraceMinutes at the latest. Players who join at once and leave early are not kept waiting.
        state.GameUp = watch.GameUp or game_up or active
        in_grace = not state.GameUp and now - watch.LaunchedAt < timedelta(minutes=settings.StartupGraceMinutes)
        if active:
            result: CheckResult = "active"
        elif in_grace:
            result = "grace"
        else:
            result = "idle"
        if result == "idle":
            state.IdleCount, state.IdleSince = watch.IdleCount + 1, watch.IdleSince or now
        else:
            state.IdleCount, state.IdleSince = 0, None
        check = Check(
            Number=number,
            Result=result,
            Counted="players" if players is not None else "connections",
            Players=players.Count if players is not None else None,
            Names=players.Names if players is not None else None,
            QueryError=query_error,
            Tcp=report.tcp if report is not None else None,
            UdpPackets=udp_packets,
            Ssh=report.ssh if report is not None else None,
            ContainerRunning=report.container_running if report is not None else None,
            LookedUp=looked_up,
            Error=error,
        )
        if state.IdleCount >= settings.IdleChecks:
            told = " (the game reported no players)" if players is not None else ""
            why = f"idle for {state.IdleCount} checks of {settings.IntervalSeconds} s since {_clock(state.IdleSince)}{told}."
            return _scale_down(settings, state, now, why), check
        connections_without_answer = (
            settings.Query is not None and players is None and report is not None and is_active(settings, report, udp_packets)
        )
        if connections_without_answer and not state.QueryAnswered and not watch.QueryHinted:  # once per session
            state.QueryHinted, state.Verdict, state.AlertSubject = True, "AlertConfigHint", "check the game's query"
            state.AlertKind = "problem"
            state.Reason = _query_hint(settings, report, udp_packets, query_error)
            return state, check

    if service_stopped:
        return _restart_game(settings, state), check

    # Ready, said once: the game answers its query, or, without a query, first listens on its port. A watchdog the
    # hook restarted starts from its predecessor's first input and cannot know whether ready was said: it is silent.
    ready = players is not None if settings.Query is not None else (report is not None and report.listening)
    if ready and not watch.ReadyAlerted and not watch.Restarts:
        state.ReadyAlerted, state.Verdict, state.AlertSubject, state.AlertKind = True, "AlertReady", "ready", "ready"
        state.Reason = ready_text(settings, players, state, now)
        return state, check

    uptime = now - watch.LaunchedAt
    if uptime >= timedelta(hours=settings.MaxUptimeHours):
        hours = f"{settings.MaxUptimeHours:g} h"
        if settings.MaxUptimeAction == "stop":
            return _scale_down(settings, state, now, f"up for {hours} (Watchdog.MaxUptime), players or not."), check
        if not watch.MaxUptimeAlerted:
            state.MaxUptimeAlerted, state.Verdict, state.AlertSubject = True, "AlertMaxUptime", "up for a long time"
            state.AlertKind = "problem"
            state.Reason = (
                f"{settings.ServerName} has been up for {hours} since {_clock(watch.LaunchedAt)}; "
                "it keeps running while players are connected."
            )
            return state, check

    if state.ChecksThisExecution >= settings.ChecksPerExecution:
        state.Verdict, state.Generation, state.ChecksThisExecution = "ContinueAsNew", watch.Generation + 1, 0
        state.Reason = f"Continuing as execution {state.Generation} to stay below the history limit."
    return state, check
