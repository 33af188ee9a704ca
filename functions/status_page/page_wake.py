"""POST /wake: one game woken by a friend who knows its passphrase, through the same rule as a DNS lookup's wake
(wake_rule: one cool-down, "already up" changes nothing), with the wake record the hook names in its alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

import wake_rule
from page_view import ADDRESS_TAG, LEAF_NAME_TAG, PASSPHRASE_TAG, napstack_groups, tags_of
from wake_guard import Lock, cross_site_problem, expired, failure_tag, failures_in, lock, source_of
from wake_passphrase import BadPassphraseHash, matches

# A wrong guess is answered a little later (the issue asks for a short wait): short, since the wait holds one of the
# function's concurrent executions and is billed to the owner, not the guesser; the lock-out limits the rate.
WRONG_PASSPHRASE_WAIT_SECONDS = 0.25
logger = Logger(child=True)


@dataclass(frozen=True)
class WakeRequest:
    server: str
    passphrase: str
    token: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, as function URLs pass them
    cookies: list[str] = field(default_factory=list)
    host: str = ""
    source: str = ""

    @classmethod
    def from_form(cls, body: str, **context) -> WakeRequest:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=10)
        first = {name: values[0] for name, values in fields.items()}
        return cls(first.get("server", ""), first.get("passphrase", ""), first.get("token", ""), **context)


@dataclass(frozen=True)
class Outcome:
    outcome: str  # woken | refused | locked-out | cross-site | unknown-server | no-passphrase | already-up | cooling-down | failed
    sentence: str
    status: int = 200
    server: str = ""
    source: str = ""


def _record_failure(autoscaling, group: str, source: str, now: datetime, failures: list) -> None:
    """One more wrong guess on the group, and the group's guesses too old to count deleted (not a failure to report:
    the guess is refused either way, and a tag that could not be written still leaves the others counting)."""
    key, value = failure_tag(source, now)
    try:
        autoscaling.create_or_update_tags(Tags=[{"ResourceId": group, "ResourceType": "auto-scaling-group", "Key": key,
                                                 "Value": value, "PropagateAtLaunch": False}])
        old = expired(failures, now)
        if old:
            autoscaling.delete_tags(Tags=[{"ResourceId": group, "ResourceType": "auto-scaling-group", "Key": f.key}
                                          for f in old])
    except (ClientError, BotoCoreError) as failed:
        logger.warning("a wrong guess was not recorded", extra={"group": group, "error": type(failed).__name__})


def _locked_out(held: Lock, name: str, said: dict) -> Outcome:
    after = held.until.strftime("%H:%M")
    if held.whose == "source":
        return Outcome("locked-out", f"Too many wrong passphrases from your address: try again after {after} UTC.",
                       429, **said)
    return Outcome("locked-out", f"Too many wrong passphrases for {name} lately, from anyone: the wake button waits "
                                 f"until {after} UTC.", 429, **said)


def wake(autoscaling, request: WakeRequest, base: str, base_hash: str | None, now: datetime,
         sleep: Callable[[float], None]) -> Outcome:
    """`base`: the page's base stack (only its games can be woken); `base_hash`: its passphrase hash, for the games
    without their own."""
    source = source_of(request.source)
    problem = cross_site_problem(request.headers, request.host, request.token, request.cookies)
    if problem:
        return Outcome("cross-site", f"Not woken: {problem}. Reload the page and try again.", 403, source=source)
    groups = napstack_groups(autoscaling, base)
    group = next((g for g in groups if tags_of(g).get(LEAF_NAME_TAG) == request.server), None)
    if group is None:
        return Outcome("unknown-server", "There is no such game on this page.", 404, source=source)
    name, tags = request.server, tags_of(group)
    said = {"server": name, "source": source}
    stored = tags.get(PASSPHRASE_TAG) or base_hash
    if not stored:
        return Outcome("no-passphrase", f"The owner has not set a wake passphrase for {name}.", 403, **said)
    # Guesses count for the passphrase, whichever of its games they asked for: every game taking the base's hash
    # shares one budget, else N games would give N budgets.
    sharing = [g for g in groups if (tags_of(g).get(PASSPHRASE_TAG) or base_hash) == stored]
    held = lock([f for g in sharing for f in failures_in(tags_of(g))], source, now)
    if held:
        return _locked_out(held, name, said)
    try:
        right = matches(request.passphrase, stored)
    except BadPassphraseHash:
        return Outcome("failed", f"{name}'s passphrase hash is not one `napstack passphrase` makes: tell the owner.",
                       500, **said)
    if not right:
        sleep(WRONG_PASSPHRASE_WAIT_SECONDS)
        _record_failure(autoscaling, group["AutoScalingGroupName"], source, now, failures_in(tags))
        return Outcome("refused", f"Wrong passphrase: {name} stays asleep.", 403, **said)
    try:
        step = wake_rule.plan(name, group, wake_rule.Wake.page(), now)  # a start writes the wake record too
        action = step.decision.action
        wake_rule.apply(autoscaling, group["AutoScalingGroupName"], step)
    except (ClientError, BotoCoreError) as failed:  # after the SDK's retries: nothing or part was done; say so
        code = failed.response["Error"].get("Code", "") if isinstance(failed, ClientError) else type(failed).__name__
        then = "tell the owner" if code.startswith(("AccessDenied", "UnauthorizedOperation")) else "try again in a minute"
        return Outcome("failed", f"{name} could not be woken just now (AWS said {code}): {then}.", 503, **said)
    if action == "started":
        return Outcome("woken", f"{name} is waking up: join {tags.get(ADDRESS_TAG, name)} once it says "
                                "ready.", **said)
    if action == "already up":
        return Outcome("already-up", f"{name} is already starting or up: nothing changed.", **said)
    return Outcome("cooling-down", f"{name} stopped a moment ago: {step.decision.reason}. Press Wake again to "
                                   "insist.", **said)
