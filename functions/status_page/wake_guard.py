"""What stands between a POST /wake and the game: a cross-site post is refused, and so are guesses past a budget.

Cross-site: the browser's own word (`Sec-Fetch-Site`, `Origin`) must say the form came from this page, and the form's
token must equal the page's SameSite=Strict cookie (a double-submit token: another site can make a browser post,
but can neither read the cookie nor have it sent).

Guesses: each wrong passphrase is one tag of its own on the game's group (free), `napstack:wake-failure-<random>` =
`<source> <epoch s>`: two guesses at the same moment write two keys, so neither overwrites the other (a tag cannot be
written conditionally). They count for the passphrase hash, whichever of its games was asked (a base's hash is shared
by its games): FAILURES_ALLOWED within LOCKOUT refuse that source, HASH_FAILURES_ALLOWED from anyone refuse every
source, until the oldest of them is LOCKOUT old. Nothing is evicted early: a guess older than LOCKOUT is deleted, no
other. The source is an IPv4 address or an IPv6 address's /64 (an IPv6 host has a whole /64 to guess from), hashed
short to keep the tag small; it is not a secret (IPv4 has few enough addresses to try them all against the hash).
What remains: guesses sent at the same moment all read the count before any is written, so a burst gets up to the
function's concurrency in guesses before the budget stops the next.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

FAILURE_TAG_PREFIX = "napstack:wake-failure-"  # + 8 random hex digits: "<source> <epoch s>" (functions/README.md)
FAILURES_ALLOWED = 5  # per source, within LOCKOUT
HASH_FAILURES_ALLOWED = 20  # per passphrase hash, from every source together, within LOCKOUT
LOCKOUT = timedelta(minutes=15)
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
    """Who is guessing, in a tag's few characters: the IPv4 address, or the IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # not an address (Lambda always gives one): counted as it is
        key = address
    else:
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:203.0.113.5 is that IPv4 address
            ip = ip.ipv4_mapped
        key = str(ipaddress.ip_network((ip, 64), strict=False)) if ip.version == 6 else str(ip)
    return hashlib.sha256(f"napstack-wake {key}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Failure:
    key: str  # its tag's key
    source: str
    at: int  # epoch seconds; 0 for a tag that is not one the page wrote (it counts for nothing, and is deleted)


def failures_in(tags: dict[str, str]) -> list[Failure]:
    found = []
    for key, value in tags.items():
        if not key.startswith(FAILURE_TAG_PREFIX):
            continue
        source, _, at = value.partition(" ")
        found.append(Failure(key, source, int(at) if at.isdigit() else 0))
    return found


def expired(failures: list[Failure], now: datetime) -> list[Failure]:
    return [f for f in failures if now.timestamp() - f.at >= LOCKOUT.total_seconds()]


@dataclass(frozen=True)
class Lock:
    until: datetime
    whose: str  # "source": too many from this source; "everyone": too many for this passphrase


def lock(failures: list[Failure], source: str, now: datetime) -> Lock | None:
    """Whether `source` must wait, given every recent wrong guess at this passphrase (of all its games)."""
    recent = set(failures) - set(expired(failures, now))
    locks = []
    for whose, times, allowed in (("source", [f.at for f in recent if f.source == source], FAILURES_ALLOWED),
                                  ("everyone", [f.at for f in recent], HASH_FAILURES_ALLOWED)):
        if len(times) >= allowed:  # until enough of them are LOCKOUT old that fewer than `allowed` remain
            locks.append(Lock(datetime.fromtimestamp(sorted(times)[-allowed], timezone.utc) + LOCKOUT, whose))
    return max(locks, key=lambda held: held.until, default=None)


def failure_tag(source: str, now: datetime) -> tuple[str, str]:
    """(key, value) of a new wrong guess: a key of its own, so a guess made at the same moment does not overwrite it."""
    return FAILURE_TAG_PREFIX + secrets.token_hex(4), f"{source} {int(now.timestamp())}"
