"""Route53 query-log lines, and the tags by which a napstack leaf says what should start it."""

from __future__ import annotations

from dataclasses import dataclass

# The same tag keys as napstack/settings.py (this folder is deployed on its own and cannot import it).
DNS_NAME_TAG = "napstack:dns-name"
START_ON_TAG = "napstack:start-on"
COOLDOWN_TAG = "napstack:cooldown"
IDLE_STOP_TAG = "napstack:idle-stop-at"
COOLDOWN_COUNT_TAG = "napstack:cooldown-lookups"
LAST_LOOKUP_TAG = "napstack:last-lookup"
DEFAULT_START_ON = ("A", "AAAA")


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


def parse_line(line: str) -> Lookup:
    fields = line.split()
    if len(fields) < 9 or fields[0] != "1.0":
        raise BadQueryLogLine(f"not a Route53 query-log line: {line[:120]!r}")
    return Lookup(
        time=fields[1],
        hosted_zone_id=fields[2],
        name=fields[3].lower().rstrip("."),
        query_type=fields[4].upper(),
        resolver_ip=fields[8],
    )


def lookups_by_name(lookups: list[Lookup]) -> dict[str, list[str]]:
    """{name: [query types]}: a burst of lookups of one name is one decision."""
    found: dict[str, list[str]] = {}
    for lookup in lookups:
        found.setdefault(lookup.name, []).append(lookup.query_type)
    return found
