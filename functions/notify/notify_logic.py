"""Which channels an alert goes to, and what happens when one cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

from chat_messages import BUILDERS, Alert
from webhook_post import post


@dataclass(frozen=True)
class Channel:
    Channel: str
    UrlParameter: str
    Kinds: list[str] = field(default_factory=list)


def _undelivered_text(alert: Alert, channel: Channel, why: str) -> str:
    fix = ("the webhook was deleted or its URL is wrong: create a new one and put its URL in the parameter"
           if why.startswith(("HTTP 404", "HTTP 401", "HTTP 403")) else "")
    return (f"The {channel.Channel} notification '{alert.subject}' ({alert.kind}) for {alert.server} was not delivered "
            f"to the webhook in {channel.UrlParameter}: {why}." + (f" Probably {fix}." if fix else "")
            + " The server itself is not affected.")


def deliver(alert: Alert, channels: list[Channel], read_url: Callable[[str], str], seconds_left: Callable[[], float],
            alert_undelivered: Callable[[Alert, str], None]) -> list[dict]:
    """Post `alert` to each channel that takes its kind; one e-mail per channel it could not reach."""
    results = []
    for channel in channels:
        if (alert.kind not in channel.Kinds and alert.kind != "test") or channel.Channel not in BUILDERS:  # notify-test
            continue
        result = {"channel": channel.Channel, "parameter": channel.UrlParameter, "kind": alert.kind}
        try:
            url = read_url(channel.UrlParameter)
        except (ClientError, BotoCoreError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
            why = f"its parameter could not be read ({code})"
            result.update(delivered=False, error=why)
        else:
            outcome = post(url, BUILDERS[channel.Channel](alert), seconds_left)
            why = outcome.error
            result.update(delivered=outcome.delivered, attempts=outcome.attempts, status=outcome.status, error=why)
        if not result["delivered"]:
            try:
                alert_undelivered(alert, _undelivered_text(alert, channel, why))
            except (ClientError, BotoCoreError) as error:  # told in the log; nothing else can be done
                result["alert_error"] = type(error).__name__
        results.append(result)
    return results
