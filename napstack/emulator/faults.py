"""Faults the emulated AWS produces on purpose (`replay --faults FILE`): failed API calls, a timed-out check,
a watchdog stopped by hand, an event delivered twice or never.

A fault file is a YAML list; each entry is one of:

    - {call: route53:ChangeResourceRecordSets, error: PriorRequestNotComplete, times: 2}
    - {call: lambda:Invoke, function: count_connections, error: Sandbox.Timedout, at_check: 3}
    - {execution: watchdog, abort_at_check: 5}
    - {event: duplicate}                       # or lost; optionally detail_type: "EC2 Instance Launch Successful"
    - {deploy: service, at_check: 3}           # a deploy updates the game's ECS service right after that check
    - {webhook: discord, status: 404}          # a Notify channel's webhook answers that (404: it was deleted)

`call` is `service:Operation` as IAM names it; `error` is the code AWS returns. Calls fail only when napstack
makes them (a state machine task or a handler), never the emulator's own set-up or report.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import botocore.session
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from napstack.config import NotifyChannel
from napstack.inputs import InputError, load_yaml, pydantic_problems

# IAM's service prefixes where botocore names the service differently.
BOTOCORE_SERVICE = {"states": "stepfunctions"}
FUNCTIONS = ("count_connections", "start_server", "dns_record", "launch_failures", "reconciler")
EVENT_ACTIONS = ("duplicate", "lost")
CHANNELS = get_args(NotifyChannel.model_fields["channel"].annotation)
MAX_CHECK = 1_000_000  # more checks than a year of one a minute


class FaultError(Exception):
    """A fault file that cannot be used; the message names the file, the entry and the problem."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallFault(_Entry):
    call: str = Field(description="service:Operation as in IAM, e.g. route53:ChangeResourceRecordSets")
    # An error code as AWS writes one (letters, digits, dots: Sandbox.Timedout); it is printed in the timeline.
    error: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,99}$", description="the error code AWS returns, e.g. Throttling")
    times: int = Field(default=1, ge=1, le=100_000, strict=True, description="how many calls in a row fail")
    function: Literal[FUNCTIONS] | None = Field(default=None, description="with lambda:Invoke: which function")
    at_check: int | None = Field(default=None, ge=1, le=MAX_CHECK, strict=True, description="with lambda:Invoke of count_connections: that check")

    @model_validator(mode="after")
    def _names_a_real_call(self):
        service, _, operation = self.call.partition(":")
        if self.call == "lambda:Invoke":
            if self.function is None:
                raise ValueError(f"lambda:Invoke needs `function` ({', '.join(FUNCTIONS)})")
            if self.at_check is not None and self.function != "count_connections":
                raise ValueError("`at_check` applies to count_connections only")
            return self
        if self.function is not None or self.at_check is not None:
            raise ValueError("`function` and `at_check` go with call: lambda:Invoke only")
        if operation not in _operations(BOTOCORE_SERVICE.get(service, service)):
            raise ValueError(f"{self.call!r} is not an AWS call: write service:Operation as IAM does, e.g. route53:ChangeResourceRecordSets")
        return self


class AbortFault(_Entry):
    execution: Literal["watchdog"] = Field(description="the state machine whose running execution is stopped")
    abort_at_check: int = Field(ge=1, le=MAX_CHECK, strict=True, description="stopped right after this check, as a person in the console would")


class DeployFault(_Entry):
    deploy: Literal["service"] = Field(description="service: a deploy updates the game's ECS service, as CloudFormation does")
    at_check: int = Field(ge=1, le=MAX_CHECK, strict=True, description="right after this watchdog check")


class EventFault(_Entry):
    event: Literal[EVENT_ACTIONS] = Field(description="duplicate: delivered twice; lost: never delivered")
    detail_type: str | None = Field(default=None, description="only the next event of this detail-type")


class WebhookFault(_Entry):
    webhook: Literal[CHANNELS] = Field(description="the Notify channel whose webhook answers (its posts in a replay)")
    status: int = Field(ge=400, le=599, strict=True, description="the HTTP status it answers: 404 deleted, 401 revoked, 429, 5xx")
    times: int = Field(default=1, ge=1, le=100_000, strict=True, description="how many posts in a row get it")


@functools.lru_cache(maxsize=None)
def _operations(service: str) -> frozenset[str]:
    """Each service's model is loaded once: a file of thousands of faults is read in moments, not minutes."""
    try:
        return frozenset(_botocore_session().get_service_model(service).operation_names)
    except Exception:  # an unknown service name
        return frozenset()


@functools.lru_cache(maxsize=1)
def _botocore_session():
    return botocore.session.get_session()


def _entry(data) -> _Entry:
    if not isinstance(data, dict):
        raise ValueError(f"expected a mapping such as {{call: ..., error: ...}}, got {type(data).__name__}")
    kinds = [kind for key, kind in (("call", CallFault), ("execution", AbortFault), ("event", EventFault),
                                    ("deploy", DeployFault), ("webhook", WebhookFault)) if key in data]
    if len(kinds) != 1:
        raise ValueError("each fault has exactly one of `call`, `execution`, `event`, `deploy` or `webhook`")
    return kinds[0].model_validate(data)


def load_faults(path: str | Path | None) -> "FaultPlan":
    if path is None:
        return FaultPlan([])
    path = Path(path)
    try:
        data, _ = load_yaml(path)
    except InputError as error:
        raise FaultError(str(error)) from None
    if not isinstance(data, list):
        raise FaultError(f"{path}: expected a list of faults (- {{call: ..., error: ...}}), got {type(data).__name__}")
    faults = []
    for index, item in enumerate(data):
        try:
            faults.append(_entry(item))
        except ValidationError as error:
            raise FaultError(f"{path}: fault {index + 1}: {pydantic_problems(error)}") from None
        except ValueError as error:
            raise FaultError(f"{path}: fault {index + 1}: {error}") from None
    return FaultPlan(faults)


def _described(fault: _Entry) -> str:
    if isinstance(fault, CallFault):
        target = f" {fault.function}" if fault.function else ""
        at = f" at check {fault.at_check}" if fault.at_check is not None else ""
        return f"{fault.call}{target}{at} fails with {fault.error}"
    if isinstance(fault, AbortFault):
        return f"the watchdog stopped by hand after check {fault.abort_at_check}"
    if isinstance(fault, DeployFault):
        return f"a deploy of the game's ECS service after check {fault.at_check}"
    if isinstance(fault, WebhookFault):
        return f"the {fault.webhook} webhook answers HTTP {fault.status}"
    return f"EventBridge {'delivers twice' if fault.event == 'duplicate' else 'loses'}: {fault.detail_type or 'the next event'}"


def _why_not(fault: _Entry) -> str:
    if isinstance(fault, AbortFault) or getattr(fault, "at_check", None) is not None:
        return "the watchdog never made that check"
    if isinstance(fault, EventFault):
        return "no such event was delivered"
    if isinstance(fault, WebhookFault):
        return "nothing was posted to that channel that often (is it in the config's Notify:?)"
    return "napstack did not make the call that often"


@dataclass
class Fired:
    time: str
    description: str


@dataclass
class FaultPlan:
    """The faults still to fire, and those that did (for the timeline)."""

    faults: list[_Entry]
    fired: list[Fired] = field(default_factory=list)
    _left: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._left = {i: getattr(f, "times", 1) for i, f in enumerate(self.faults)}

    def not_fired(self) -> list[str]:
        """Each fault that did not fire as often as the file says (a call never made, a check past the end)."""
        missed = []
        for index, fault in enumerate(self.faults):
            planned = getattr(fault, "times", 1)
            if not self._left[index]:
                continue
            fired = planned - self._left[index]
            how_often = f"fired {fired} of {planned} times" if fired else "never fired"
            missed.append(f"fault {index + 1} ({_described(fault)}) {how_often}: {_why_not(fault)}")
        return missed

    def _fire(self, index: int, moment, description: str) -> None:
        self._left[index] -= 1
        self.fired.append(Fired(moment.strftime("%Y-%m-%d %H:%M:%S"), description))

    def call_error(self, service: str, operation: str, moment) -> str | None:
        """The error code a napstack call to `service:Operation` (botocore names) fails with now, if any."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not isinstance(fault, CallFault) or fault.call == "lambda:Invoke" or not self._left[index]:
                    continue
                wanted_service, _, wanted_operation = fault.call.partition(":")
                if (BOTOCORE_SERVICE.get(wanted_service, wanted_service), wanted_operation) == (service, operation):
                    self._fire(index, moment, f"{fault.call} fails with {fault.error}")
                    return fault.error
        return None

    def invoke_error(self, function: str, check: int | None, moment) -> str | None:
        """The error type an invocation of `function` (at watchdog check `check`) fails with, if any."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not (isinstance(fault, CallFault) and fault.function == function and self._left[index]):
                    continue
                if fault.at_check is not None and fault.at_check != check:
                    continue
                where = f" at check {check}" if fault.at_check is not None else ""
                self._fire(index, moment, f"lambda:Invoke {function}{where} fails with {fault.error}")
                return fault.error
        return None

    def _after_check(self, kind: type, check: int | None, moment, description: str) -> bool:
        """Whether a fault of `kind` fires right after watchdog check `check`."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                at = getattr(fault, "abort_at_check", None) or getattr(fault, "at_check", None)
                if isinstance(fault, kind) and self._left[index] and at == check:
                    self._fire(index, moment, description)
                    return True
        return False

    def abort_after(self, check: int | None, moment) -> bool:
        """Whether the watchdog is to be stopped by hand right after check `check`."""
        return self._after_check(AbortFault, check, moment, f"the watchdog is stopped by hand after check {check}")

    def deploy_after(self, check: int | None, moment) -> bool:
        """Whether a deploy updates the game's service right after check `check`."""
        return self._after_check(DeployFault, check, moment, f"a deploy updates the game's ECS service after check {check}")

    def event_action(self, event: dict, moment) -> str | None:
        """`duplicate` or `lost` for this event, if a fault says so."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not (isinstance(fault, EventFault) and self._left[index]):
                    continue
                if fault.detail_type is not None and fault.detail_type != event.get("detail-type"):
                    continue
                self._fire(index, moment, f"EventBridge {'delivers twice' if fault.event == 'duplicate' else 'loses'}: {event.get('detail-type')}")
                return fault.event
        return None

    def webhook_answer(self, channel: str, moment) -> int | None:
        """The HTTP status a post to `channel`'s webhook gets now, if a fault says so (else the post goes through)."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                if isinstance(fault, WebhookFault) and fault.webhook == channel and self._left[index]:
                    self._fire(index, moment, f"the {channel} webhook answers HTTP {fault.status}")
                    return fault.status
        return None
