"""What stands between a POST /wake and the game: a cross-site post is refused, and so is a source that guessed
wrong too often.

Cross-site: the browser's own word (`Sec-Fetch-Site`, `Origin`) must say the form came from this page, and the form's
token must equal the page's SameSite=Strict cookie (a double-submit token: another site can make a browser post,
but can neither read the cookie nor have it sent).

Guesses: each wrong passphrase is counted per source (a hash of the address, never the address) in one tag on the
game's group (free, and bounded: at most FAILURE_ENTRIES sources within 256 characters); FAILURES_ALLOWED wrong
ones within LOCKOUT refuse that source until the window ends.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

FAILURES_TAG = "napstack:wake-failures"  # "<source> <count> <first failure, epoch s>;..." (functions/README.md)
FAILURES_ALLOWED = 5
LOCKOUT = timedelta(minutes=15)
FAILURE_ENTRIES = 8
TOKEN_COOKIE = "napstack-token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")
SAME_SITE = ("same-origin", "none")  # `none`: typed or bookmarked; a form of this page sends same-origin


def new_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_token(cookies: list[str]) -> str | None:
    """The page's token among the request's cookies (Lambda function URLs pass them as `name=value` strings)."""
    for cookie in cookies:
        name, _, value = cookie.strip().partition("=")
        if name == TOKEN_COOKIE and TOKEN.fullmatch(value):
            return value
    return None


def cross_site_problem(headers: dict[str, str], host: str, form_token: str, cookies: list[str]) -> str | None:
    """Why this post may not be the page's own form, or None."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_SITE:
        return f"the form was sent from another site ({fetch_site[:20]})"
    origin = headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
        return "the form was sent from another site"
    expected = cookie_token(cookies)
    if expected is None or not hmac.compare_digest(expected.encode(), form_token.encode()):
        return "the page's token is missing or old"
    return None


def source_of(address: str) -> str:
    """A short hash of the caller's address: enough to count its guesses, not enough to keep the address."""
    return hashlib.sha256(f"napstack-wake {address}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Failures:
    count: int
    first: int  # epoch seconds


def parse_failures(value: str | None, now: datetime) -> dict[str, Failures]:
    """The tag's entries still inside their window; anything malformed is dropped, never trusted."""
    found: dict[str, Failures] = {}
    for entry in (value or "").split(";"):
        try:
            source, count, first = entry.split()
            failures = Failures(int(count), int(first))
        except ValueError:
            continue
        if now.timestamp() - failures.first < LOCKOUT.total_seconds():
            found[source] = failures
    return found


def locked_until(failures: dict[str, Failures], source: str) -> datetime | None:
    entry = failures.get(source)
    if entry is None or entry.count < FAILURES_ALLOWED:
        return None
    return datetime.fromtimestamp(entry.first, timezone.utc) + LOCKOUT


def with_failure(failures: dict[str, Failures], source: str, now: datetime) -> str:
    """The tag's new value with one more wrong guess from `source`; the oldest sources give way past the bound."""
    entry = failures.get(source)
    updated = dict(failures)
    updated[source] = Failures(entry.count + 1, entry.first) if entry else Failures(1, int(now.timestamp()))
    kept = sorted(updated.items(), key=lambda item: item[1].first, reverse=True)[:FAILURE_ENTRIES]
    return ";".join(f"{s} {f.count} {f.first}" for s, f in kept)
