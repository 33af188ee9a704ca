"""The watchdog's decision for one check, as plain functions: no AWS, no clock, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["Watching", "ScaleDown", "InstanceGone", "AlertMaxUptime", "ContinueAsNew"]
CheckResult = Literal["active", "idle", "grace", "failed", "gone"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    UdpPacketsSeen: int | None = None
    MaxUptimeAlerted: bool = False
    GameUp: bool = False  # the game has listened on its port (or had a player): the startup grace is over
    Verdict: Verdict = "Watching"
    Reason: str = ""


class HostReport(_Model):
    """What count_connections.sh printed."""

    container_running: bool
    listening: bool
    tcp: int = Field(ge=0)
    udp_packets: int = Field(ge=0)
    ssh: int = Field(ge=0)


class Check(_Model):
    """One check as the console shows it."""

    Number: int
    Result: CheckResult
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


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")


def next_watch(
    settings: Settings,
    watch: Watch,
    now: datetime,
    report: HostReport | None = None,
    error: str | None = None,
    instance_in_service: bool = True,
    looked_up: bool = False,
) -> tuple[Watch, Check]:
    """Fold one check into the watch state and decide what the state machine does next. A DNS lookup since
    the last check (`looked_up`) is activity: a player is waiting for the address, not gone."""
    number = watch.Checks + 1
    state = watch.model_copy(
        update={"Checks": number, "ChecksThisExecution": watch.ChecksThisExecution + 1, "Verdict": "Watching", "Reason": ""}
    )
    if not instance_in_service:
        state.Verdict, state.Reason = "InstanceGone", "The instance is no longer in service; nothing left to watch."
        return state, Check(Number=number, Result="gone")

    if report is None:
        state.FailedCount, state.LastError = watch.FailedCount + 1, error
        check = Check(Number=number, Result="failed", Error=error)
        if state.FailedCount >= settings.MaxFailedChecks:
            state.Verdict = "ScaleDown"
            state.Reason = (
                f"{settings.ServerName} scaled down: the last {state.FailedCount} checks failed "
                f"(last error: {error}), so the watchdog cannot tell whether anyone is playing."
            )
            return state, check
    else:
        udp_packets = udp_delta(watch.UdpPacketsSeen, report.udp_packets)
        state.FailedCount, state.LastError, state.UdpPacketsSeen = 0, None, report.udp_packets
        active = is_active(settings, report, udp_packets, looked_up)
        # Grace is for a game that is not up yet: it ends when the game first listens or has a player, and after
        # StartupGraceMinutes at the latest. Players who join at once and leave early are not kept waiting.
        state.GameUp = watch.GameUp or report.listening or active
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
            Tcp=report.tcp,
            UdpPackets=udp_packets,
            Ssh=report.ssh,
            ContainerRunning=report.container_running,
            LookedUp=looked_up,
        )
        if state.IdleCount >= settings.IdleChecks:
            state.Verdict = "ScaleDown"
            state.Reason = (
                f"{settings.ServerName} scaled down: idle for {state.IdleCount} checks of "
                f"{settings.IntervalSeconds} s since {_clock(state.IdleSince)}."
            )
            return state, check

    uptime = now - watch.LaunchedAt
    if uptime >= timedelta(hours=settings.MaxUptimeHours):
        hours = f"{settings.MaxUptimeHours:g} h"
        if settings.MaxUptimeAction == "stop":
            state.Verdict = "ScaleDown"
            state.Reason = f"{settings.ServerName} scaled down: up for {hours} (Watchdog.MaxUptime), players or not."
            return state, check
        if not watch.MaxUptimeAlerted:
            state.MaxUptimeAlerted, state.Verdict = True, "AlertMaxUptime"
            state.Reason = (
                f"{settings.ServerName} has been up for {hours} since {_clock(watch.LaunchedAt)}; "
                "it keeps running while players are connected."
            )
            return state, check

    if state.ChecksThisExecution >= settings.ChecksPerExecution:
        state.Verdict, state.Generation, state.ChecksThisExecution = "ContinueAsNew", watch.Generation + 1, 0
        state.Reason = f"Continuing as execution {state.Generation} to stay below the history limit."
    return state, check
