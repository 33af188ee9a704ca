"""What the instance reports at each watchdog check, as the on-host script would really print it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from napstack.inputs import InputError, load_yaml, pydantic_problems


class ScenarioError(Exception):
    """A scenario file that cannot be used; the message names the file and the problem."""


# Counts are whole numbers as written: YAML's `true`, "3" or 1.0e+26 is a mistake to name, not a number to coerce.
MAX_COUNT = 1_000_000  # connections or sessions on one host
MAX_PACKETS = 1_000_000_000  # UDP datagrams in one check interval


class CheckReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tcp: int = Field(default=0, ge=0, le=MAX_COUNT, strict=True, description="established TCP connections on the game port")
    udp_packets: int = Field(default=0, ge=0, le=MAX_PACKETS, strict=True, description="UDP datagrams received since the previous check")
    ssh: int = Field(default=0, ge=0, le=MAX_COUNT, strict=True, description="SSH/SFTP sessions on the host")
    running: bool = Field(default=True, strict=True, description="the game container is running")
    listening: bool = Field(default=True, strict=True, description="the game port is listening")
    error: str | None = Field(default=None, min_length=1, description="the SSM command fails with this error instead")
    players: int | None = Field(
        default=None, ge=0, le=100_000, strict=True,
        description="players the game answers its query with (Watchdog.Query); default: as many as `tcp`",
    )
    names: list[str] = Field(default_factory=list, max_length=100_000, description="their names, where the protocol gives names")
    query: Literal["answers", "timeout"] = Field(
        default="answers", description="timeout: the game does not answer its query (a game that is not up never does)"
    )
    repeat: int = Field(default=1, ge=1, le=100_000, strict=True, description="how many checks in a row report this")


ACTIVE = CheckReport(tcp=1, udp_packets=10_000)
IDLE = CheckReport()
STARTING = CheckReport(running=False, listening=False, query="timeout")  # the task not yet placed, the image pulling


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[CheckReport] = Field(default_factory=list)
    then: Literal["idle", "active"] = "idle"
    launch_failures: int = Field(
        default=0, ge=0, le=100,
        description="the group's first N launches fail, as when a zone has no capacity for the instance type: Auto "
        "Scaling sends \"EC2 Instance Launch Unsuccessful\" and tries again 1, 2, 4, ... (at most 10) minutes later",
    )


def load_scenario(path: str | Path | None) -> Scenario:
    if path is None:
        return Scenario()
    path = Path(path)
    try:
        data, _ = load_yaml(path)
    except InputError as error:
        raise ScenarioError(str(error)) from None
    try:
        return Scenario.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise ScenarioError(f"{path}: {pydantic_problems(error)}") from None


class SimulatedHost:
    """Answers each watchdog check in scenario order; counts the checks it answered."""

    def __init__(self, scenario: Scenario, now: Callable[[], datetime] | None = None):
        self._now = now
        # With AWS's times modeled (aws_times.py): when the game's container can first run on the instance; a check
        # before it finds the task still starting, and the scenario's own reports begin after it.
        self.container_from: datetime | None = None
        self._queue = [check for check in scenario.checks for _ in range(check.repeat)]
        self.launch_failures_left = scenario.launch_failures
        self._then = ACTIVE if scenario.then == "active" else IDLE
        self._udp_counter = 0
        self.checks_answered = 0
        self._current: CheckReport | None = None
        self.queries_answered = 0

    def new_instance(self) -> None:
        """A launch: the game on it answers as the next check finds it, not as the last instance's did."""
        self._current = None

    def game_answer(self, result_type, protocol: str, host: str, port: int, timeout: float):
        """What the game answers a query during the current check: `players` (default: `tcp`), or nothing."""
        report = self._current
        if report is None or report.query == "timeout" or not (report.running and report.listening):
            raise TimeoutError(f"the game at {host}:{port} did not answer")
        self.queries_answered += 1
        players = report.players if report.players is not None else report.tcp
        return result_type(protocol, players, max(20, players), list(report.names), "emulated", 12.0)

    def answer(self, instance_id: str, commands: list[str]) -> tuple[str, str, str]:
        """(status, stdout, stderr) of AWS-RunShellScript running count_connections.sh."""
        if self.container_from is not None and self._now is not None and self._now() < self.container_from:
            report = STARTING
        else:
            report = self._queue.pop(0) if self._queue else self._then
        self._current = report
        self.checks_answered += 1
        if report.error:
            return "Failed", "", report.error
        self._udp_counter += report.udp_packets  # the script prints the namespace's absolute counter
        line = {
            "container_running": report.running,
            "listening": report.listening and report.running,
            "tcp": report.tcp,
            "udp_packets": self._udp_counter,
            "ssh": report.ssh,
        }
        return "Success", json.dumps(line) + "\n", ""
