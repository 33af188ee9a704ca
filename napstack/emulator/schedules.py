"""Gap: EventBridge Scheduler stores a schedule and never invokes its target (moto 5.2.5); here rate schedules run
on the simulated clock.

A rate schedule without a start date fires at its creation time plus each multiple of its rate, as Scheduler
does. A replay must still end: a schedule whose run found nothing to do goes quiet until the world changes again
(`wake()`: an event delivered or lost, the group moved by the emulator's driver), since until then every run would
find the same nothing. tests/emulator/test_moto_gaps.py shows plain moto never invoking the target.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from napstack.emulator.clock import SimulatedClock
from napstack.emulator.template import TemplateError

_RATE = re.compile(r"^rate\((\d+) (minutes?|hours?|days?)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_period(expression: str, where: str) -> timedelta:
    """The period of `rate(N unit)`; cron() and at() schedules are not emulated (napstack deploys none)."""
    matched = _RATE.match(expression.strip())
    if not matched:
        raise TemplateError(f"{where}: the emulator runs rate(...) schedules only, not {expression!r}")
    return timedelta(seconds=int(matched.group(1)) * _UNITS[matched.group(2).rstrip("s")])


@dataclass(frozen=True)
class Schedule:
    name: str
    period: timedelta
    target_arn: str
    role_arn: str
    input: str


class ScheduleRunner:
    """Each schedule's runs, in a clock participant of its own while it is awake.

    `fire(schedule, scheduled_time)` invokes the target and returns True when the run found nothing to do.
    """

    def __init__(self, clock: SimulatedClock, schedules: list[Schedule], created: datetime,
                 fire: Callable[[Schedule, datetime], bool], stopping: Callable[[], bool]) -> None:
        self.clock, self.schedules, self.created = clock, schedules, created
        self.fire, self.stopping = fire, stopping
        self._lock = threading.Lock()
        self._awake: set[str] = set()
        self._woken: set[str] = set()  # woken while running: one more run even if this one found nothing

    def wake(self) -> None:
        for schedule in self.schedules:
            with self._lock:
                self._woken.add(schedule.name)
                if schedule.name in self._awake:
                    continue
                self._awake.add(schedule.name)
            ticket = self.clock.join()  # counted in before the thread exists, so time cannot run past a run
            threading.Thread(target=self.clock.run_as, args=(ticket, lambda s=schedule: self._run(s)), daemon=True).start()

    def next_run(self, schedule: Schedule, after: datetime) -> datetime:
        runs = (after - self.created) // schedule.period + 1
        return self.created + runs * schedule.period

    def _run(self, schedule: Schedule) -> None:
        went_quiet = False
        try:
            while not self.stopping():
                moment = self.next_run(schedule, self.clock.now())
                self.clock.sleep((moment - self.clock.now()).total_seconds(), interrupted=self.stopping)
                if self.stopping():
                    break
                with self._lock:
                    self._woken.discard(schedule.name)
                nothing_to_do = self.fire(schedule, moment)
                with self._lock:  # deciding and going quiet at once: a wake() after this starts a new thread
                    if nothing_to_do and schedule.name not in self._woken:
                        self._awake.discard(schedule.name)
                        went_quiet = True
                        return
        finally:
            if not went_quiet:  # stopped, or `fire` raised
                with self._lock:
                    self._awake.discard(schedule.name)
