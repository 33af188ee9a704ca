"""Simulated time for the emulator: waits advance the clock instead of sleeping, so hours replay in seconds.

Every execution thread registers with the clock. Time moves only when all registered threads are asleep,
and then straight to the earliest wake-up: the usual discrete-event rule, so concurrent executions (the
hook and the watchdog it starts) see one consistent timeline.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Callable
from datetime import datetime, timedelta, timezone

POLL_SECONDS = 0.02  # how often a sleeping thread looks for a stop request (real time, tiny)


class SimulatedClock:
    def __init__(self, start: datetime | None = None, pace: float | None = None):
        """`pace`: at most this many simulated seconds per real second (`napstack page`, watched by a person);
        None: straight to the next wake-up (a replay)."""
        self._now = start or datetime.now(timezone.utc)
        self._pace = pace
        self._real = time.monotonic()
        self._condition = threading.Condition()
        self._running: set[int] = set()
        self._sleeping: dict[int, datetime] = {}
        self._tickets = itertools.count(1)
        self._local = threading.local()
        self._limit: datetime | None = None
        self.held = False  # every participant sleeps and the next wake-up lies past the limit

    def now(self) -> datetime:
        with self._condition:
            return self._now

    def set(self, moment: datetime) -> None:
        """Move the clock (only forwards), e.g. to the time of a replayed event."""
        with self._condition:
            if moment > self._now:
                self._now = moment

    def hold_at(self, limit: datetime | None) -> None:
        """Never move past `limit`: when everyone sleeps beyond it, set `held` and wait to be stopped."""
        with self._condition:
            self._limit, self.held = limit, False

    def join(self) -> int:
        """Count a participant in before its thread starts (so time cannot run ahead of it); returns its ticket."""
        with self._condition:
            ticket = next(self._tickets)
            self._running.add(ticket)
            return ticket

    def run_as(self, ticket: int, work) -> None:
        """Run `work` in the current thread as participant `ticket`, and count it out when done."""
        self._local.ticket = ticket
        try:
            work()
        finally:
            self._local.ticket = None
            with self._condition:
                self._running.discard(ticket)
                self._sleeping.pop(ticket, None)
                self._advance_if_all_asleep()
                self._condition.notify_all()

    def in_participant(self) -> bool:
        """Whether the calling thread works for an execution (as opposed to the emulator's own thread)."""
        return getattr(self._local, "ticket", None) is not None

    @property
    def busy(self) -> bool:
        with self._condition:
            return bool(self._running)

    def wait_until_idle(self, timeout: float, or_held: bool = False) -> bool:
        """Block (real time) until no participant runs (or, with `or_held`, the clock is held); True when idle."""
        with self._condition:
            self._condition.wait_for(lambda: not self._running or (or_held and self.held), timeout)
            return not self._running

    def sleep(self, seconds: float, interrupted: Callable[[], bool] | None = None) -> None:
        """Block the calling participant until simulated time has moved `seconds` on, or `interrupted()` is true."""
        ticket = getattr(self._local, "ticket", None)
        with self._condition:
            if ticket is None:  # not a participant (the CLI, a test): nobody to wait for
                self._now += timedelta(seconds=seconds)
                return
            wake = self._now + timedelta(seconds=seconds)
            self._sleeping[ticket] = wake
            try:
                while self._now < wake and not (interrupted and interrupted()):
                    self._advance_if_all_asleep()
                    if self._now < wake:
                        self._condition.wait(POLL_SECONDS)
            finally:
                self._sleeping.pop(ticket, None)

    def thread_class(self) -> type[threading.Thread]:
        """A Thread that works for the participant that created it (an execution's helper threads)."""
        clock = self

        class ParticipantThread(threading.Thread):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._participant = getattr(clock._local, "ticket", None)

            def run(self):
                clock._local.ticket = self._participant
                super().run()

        return ParticipantThread

    def _advance_if_all_asleep(self) -> None:
        if self._sleeping and set(self._sleeping) >= self._running:
            earliest = min(self._sleeping.values())
            if self._limit is not None and earliest > self._limit:
                self.held = True
                self._condition.notify_all()
            elif earliest > self._now:
                self._now = min(earliest, self._paced()) if self._pace else earliest
                self._condition.notify_all()

    def _paced(self) -> datetime:
        """How far time may have moved, at the clock's pace, since it last moved."""
        real = time.monotonic()
        moved = timedelta(seconds=(real - self._real) * self._pace)
        self._real = real
        return self._now + moved
