"""Which channels an alert goes to, and what happens when one cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

from chat_messages import BUILDERS, Alert
from dead_webhooks import DeadWebhooks
from webhook_post import post


@dataclass(frozen=True)
class Channel:
    Channel: str
    UrlParameter: str
    Kinds: list[str] = field(default_factory=list)


def _undelivered_text(alert: Alert, channel: Channel, why: str, gone: bool) -> str:
    text = (f"The {channel.Channel} notification '{alert.subject}' ({alert.kind}) for {alert.server} was not delivered "
            f"to the webhook in {channel.UrlParameter}: {why}.")
    if gone:
        text += (" Probably the webhook was deleted or its URL is wrong: create a new one and put its URL in the "
                 "parameter (aws ssm put-parameter --overwrite). Until then this URL is tried at each alert, and you "
                 "are not told again when it fails the same way.")
    return text + " The server itself is not affected."


def deliver(alert: Alert, channels: list[Channel], read_parameter: Callable[[str], tuple[str, int]],
            seconds_left: Callable[[], float], alert_undelivered: Callable[[Alert, str], None],
            dead_webhooks: DeadWebhooks) -> list[dict]:
    """Post `alert` to each channel that takes its kind; one e-mail per channel it could not reach, and for a gone
    webhook one e-mail per URL (its parameter's Version), whichever alert and game first found it gone."""
    results = []
    for channel in channels:
        if (alert.kind not in channel.Kinds and alert.kind != "test") or channel.Channel not in BUILDERS:  # notify-test
            continue
        result = {"channel": channel.Channel, "parameter": channel.UrlParameter, "kind": alert.kind}
        gone, version = False, None
        try:
            url, version = read_parameter(channel.UrlParameter)
        except (ClientError, BotoCoreError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
            why = f"its parameter could not be read ({code})"
            result.update(delivered=False, error=why)
        else:
            outcome = post(url, BUILDERS[channel.Channel](alert), seconds_left)
            why, gone = outcome.error, outcome.gone
            result.update(delivered=outcome.delivered, attempts=outcome.attempts, status=outcome.status, error=why)
        if not result["delivered"]:
            result.update(_tell_owner(alert, channel, why, gone, version, alert_undelivered, dead_webhooks))
        results.append(result)
    return results


def _tell_owner(alert: Alert, channel: Channel, why: str, gone: bool, version: int | None,
                alert_undelivered: Callable[[Alert, str], None], dead_webhooks: DeadWebhooks) -> dict:
    """What was done about an undelivered notification, for the log: told now, or before (a gone URL)."""
    if gone and dead_webhooks.told_before(channel.UrlParameter, version):
        return {"told": f"before (version {version} of the parameter)"}
    try:
        alert_undelivered(alert, _undelivered_text(alert, channel, why, gone))
    except (ClientError, BotoCoreError) as error:  # told in the log; the next failure tries again
        return {"alert_error": type(error).__name__}
    told = {"told": "now"}
    if gone:  # only once the mail is out: a mail that failed is tried again at the next alert
        not_kept = dead_webhooks.remember(channel.UrlParameter, version)
        if not_kept:
            told["mark_error"] = not_kept
    return told
