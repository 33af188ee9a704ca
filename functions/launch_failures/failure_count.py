"""Whether the hook gives up on a server that cannot launch: N failed launches within a window. Plain functions.

Auto Scaling retries a failed launch by itself, in another subnet or zone where it can (a capacity shortage is
often one zone's). Setting the group back to 0 on the first failure would cancel those retries; never giving up
would let a quota or a retired instance type retry all night. The recent failures are kept on the group itself,
in a tag (its value: their times), so no store costs anything while the server sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The same tag keys as napstack/settings.py (this folder is deployed on its own and cannot import it).
LAUNCH_FAILURES_TAG = "napstack:launch-failures"
IDLE_STOP_TAG = "napstack:idle-stop-at"
MAX_REASON = 500  # characters of AWS's reason in an alert


@dataclass(frozen=True)
class Decision:
    failures: int
    give_up: bool
    tag_value: str  # what the tag holds next: empty once given up, so the next start counts afresh
    message: str


def _times(value: str | None) -> list[datetime]:
    """The times a tag value holds; anything unreadable (a hand-edited tag) is left out, never fatal."""
    found = []
    for word in (value or "").split():
        try:
            moment = datetime.fromisoformat(word.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            found.append(moment)
    return found


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reason(status_message: str | None, cause: str | None) -> str:
    """AWS's reason for the failure: the status message (what went wrong), else the cause (what was attempted)."""
    text = " ".join((status_message or "").split()) or " ".join((cause or "").split()) or "AWS gave no reason"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def count_failure(
    server: str, tags: dict[str, str], now: datetime, give_up_after: int, within_minutes: int, why: str
) -> Decision:
    """Fold one failed launch at `now` into the group's tags: the failures within the window (and since the last idle
    stop) count; the `give_up_after`-th gives up."""
    since = now - timedelta(minutes=within_minutes)
    idle_stops = _times(tags.get(IDLE_STOP_TAG))
    if idle_stops:
        since = max(since, max(idle_stops))
    recent = [moment for moment in _times(tags.get(LAUNCH_FAILURES_TAG)) if since < moment <= now] + [now]
    failures = len(recent)
    window = f"within {within_minutes} min"
    if failures >= give_up_after:
        message = (f"{server} could not start and was set back to zero: {failures} launches failed {window} "
                   f"(Ec2.LaunchFailures), and Auto Scaling would retry all night. Last reason: {why}")
        return Decision(failures, True, "", message)
    message = (f"{server}: a launch failed ({failures} of {give_up_after} {window} before napstack gives up): {why} "
               "Auto Scaling tries again, in another subnet or zone where it can.")
    return Decision(failures, False, " ".join(_iso(moment) for moment in recent), message)
