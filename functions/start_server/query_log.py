"""Route53 query-log lines, and the tag by which a napstack leaf names what it serves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The same tag key as napstack/settings.py (this folder is deployed on its own and cannot import it); the wake's
# own tags are wake_rule's.
DNS_NAME_TAG = "napstack:dns-name"


class BadQueryLogLine(ValueError):
    """A line that is not in Route53's query-log format."""


@dataclass(frozen=True)
class Lookup:
    """One DNS query as Route53 logs it: `1.0 <time> <zone id> <name> <type> <rcode> <protocol> <edge> <resolver> <edns>`."""

    time: str
    hosted_zone_id: str
    name: str
    query_type: str
    resolver_ip: str


def parse_line(line: object) -> Lookup:
    """The lookup a line logs; BadQueryLogLine for anything else (the payload is input: a message of another JSON
    type or a time without its zone skips that line, not the whole delivery with its real lookups)."""
    if not isinstance(line, str):
        raise BadQueryLogLine(f"a log event's message is {type(line).__name__}, not a query-log line")
    fields = line.split()
    if len(fields) < 9 or fields[0] != "1.0":
        raise BadQueryLogLine(f"not a Route53 query-log line: {line[:120]!r}")
    try:
        zoned = datetime.fromisoformat(fields[1].replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        zoned = False
    if not zoned:  # Route53 writes UTC with its Z: 2017-12-13T08:15:50.235Z
        raise BadQueryLogLine(f"not a query-log time (UTC, ISO 8601): {fields[1][:40]!r}")
    return Lookup(
        time=fields[1],
        hosted_zone_id=fields[2],
        name=fields[3].lower().rstrip("."),
        query_type=fields[4].upper(),
        resolver_ip=fields[8],
    )


def asked_at(lookup: Lookup) -> datetime:
    return datetime.fromisoformat(lookup.time.replace("Z", "+00:00"))
