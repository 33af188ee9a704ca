"""One JSON POST to a webhook, retried as the services ask: 429 waits what `retry_after`/`Retry-After` says (capped),
a timeout, a refused connection or a 5xx is tried again a bounded number of times, any other 4xx is permanent
(404: the webhook was deleted; 401/403: its token was revoked).

Errors name the status or the kind of failure, never the URL: a webhook URL is its own credential.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

ATTEMPTS = 3
TIMEOUT_SECONDS = 5  # per attempt: a webhook that hangs costs at most this
MAX_WAIT_SECONDS = 10  # the longest 429 or back-off wait honoured; a longer one gives up (the Lambda must end)
BACKOFF_SECONDS = (1, 2)
# This URL will not work again: the token revoked (Discord 401, Slack 403 action_prohibited), the webhook deleted
# (404), the channel archived (Slack 410 channel_is_archived).
GONE_STATUSES = (401, 403, 404, 410)
USER_AGENT = "napstack-notify (https://github.com/napstack/napstack, 1)"  # Discord asks for a descriptive agent


@dataclass
class Outcome:
    delivered: bool
    attempts: int
    status: int | None = None
    permanent: bool = False
    error: str = ""

    @property
    def gone(self) -> bool:
        """This URL will not work again (the webhook deleted, its token revoked, or no URL at all), whatever is sent:
        unlike another 4xx, which is about one message."""
        return self.permanent and (self.status is None or self.status in GONE_STATUSES)


def _wait_asked(error: HTTPError, body: bytes) -> float:
    """Seconds a 429 asks to wait: Discord's JSON `retry_after` (seconds, fractional), else the Retry-After header."""
    try:
        value = json.loads(body or b"{}").get("retry_after")
    except (ValueError, AttributeError):
        value = None
    if value is None:
        value = error.headers.get("Retry-After") if error.headers else None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return BACKOFF_SECONDS[0]
    return seconds if seconds == seconds and seconds >= 0 else BACKOFF_SECONDS[0]  # NaN or negative: a short wait


def post(url: str, body: dict, seconds_left=lambda: 60.0) -> Outcome:
    """POST `body` as JSON to `url`; `seconds_left()`: what remains of the function's own time."""
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return Outcome(False, 0, permanent=True, error="the parameter's value is not an https:// URL")
    data = json.dumps(body).encode()
    error, status = "", None
    for attempt in range(1, ATTEMPTS + 1):
        request = Request(url, data=data, method="POST",
                          headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
        wait = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
        try:
            with urlopen(request, timeout=min(TIMEOUT_SECONDS, max(0.1, seconds_left() - 1))) as response:
                return Outcome(True, attempt, response.status)
        except HTTPError as failed:
            status, answer = failed.code, failed.read(4096)
            error = f"HTTP {failed.code}"
            if failed.code == 429:
                wait = _wait_asked(failed, answer)
            elif failed.code < 500 and failed.code != 408:
                return Outcome(False, attempt, status, permanent=True, error=error)
        except (URLError, TimeoutError, socket.timeout, ConnectionError) as failed:
            reason = getattr(failed, "reason", failed)
            error = "timed out" if isinstance(reason, (TimeoutError, socket.timeout)) else f"{type(reason).__name__}"
        if attempt == ATTEMPTS:
            break
        if wait > MAX_WAIT_SECONDS or wait > seconds_left() - TIMEOUT_SECONDS - 1:
            error += f" (asked to wait {wait:g} s: more than this delivery can)"
            break
        time.sleep(wait)
    return Outcome(False, attempt, status, error=error)
