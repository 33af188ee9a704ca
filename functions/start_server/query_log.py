"""Route53 query-log lines, and which of them should start a server."""

from __future__ import annotations

from dataclasses import dataclass

DNS_NAME_TAG = "napstack:dns-name"
DEFAULT_START_TYPES = frozenset({"A", "AAAA"})


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


def names_to_start(lookups: list[Lookup], start_types: frozenset[str] = DEFAULT_START_TYPES) -> dict[str, list[str]]:
    """{name: [why]} for names whose lookups should start a server; a burst of lookups is one name."""
    wanted: dict[str, list[str]] = {}
    for lookup in lookups:
        if lookup.query_type in start_types:
            wanted.setdefault(lookup.name, []).append(lookup.query_type)
    return wanted
