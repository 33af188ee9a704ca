"""The query-log subscription filter: only lookups that could start (or keep up) a napstack game reach start_server.

Route53 logs every query to the zone (www, MX, mail, scanners), one space-delimited line each:
`1.0 <time> <zone id> <name> <type> <rcode> <protocol> <edge> <resolver> <edns>`. The pattern passes a line when its
name is one of the games' names and its type one of their `Dns.StartOn` types (a type no game starts on is only
ever "ignored" by start_server). Names are compared in any letter case: resolvers may randomize it (DNS 0x20) and
Route53 logs the name as asked. CloudWatch Logs' regex has no groups and a pattern holds at most two regexes and
1,024 characters, so the first regex names the first label (`^[mM][cC]\\..*|^...`) and the second pins the rest to
exactly the zone's domain. With so many games that the names no longer fit, the filter passes every lookup of a
starting type instead (start_server then answers "no leaf" for the others), which still drops the other types.
"""

from __future__ import annotations

PATTERN_LIMIT = 1024  # CloudWatch Logs' longest filter pattern
FIELDS = "version, time, zone"  # the fields before the name, as Route53 writes them


def any_case(text: str) -> str:
    """`text` as a CloudWatch Logs regex matching it in any letter case: `mc.x` -> `[mM][cC]\\.[xX]`."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else "\\." if c == "." else c for c in text)


SRV_PREFIX = "_[0-9A-Za-z-]+\\._[0-9A-Za-z]+\\."  # `_minecraft._tcp.`: the SRV name a game's client asks


def query_log_filter(domain: str, served: dict[str, tuple[str, ...]]) -> str:
    """The pattern for the zone `domain` serving `served` ({DNS name: query types that start it; none: no lookup
    does}). A game started by SRV passes its `_<service>._<protocol>.<name>` lookups too."""
    served = {name: start_on for name, start_on in served.items() if start_on}
    types = " || ".join(f"type = {t}" for t in sorted({t for start_on in served.values() for t in start_on}))
    labels = sorted(name[: -len(domain) - 1] for name in served)
    srv = sorted(name[: -len(domain) - 1] for name, start_on in served.items() if "SRV" in start_on)
    first_label = "|".join([*(f"^{any_case(label)}\\..*" for label in labels),
                            *(f"^{SRV_PREFIX}{any_case(label)}\\..*" for label in srv)])
    in_zone = f"^[0-9A-Za-z_-]+\\.{any_case(domain)}\\.?$" + (f"|^{SRV_PREFIX}[0-9A-Za-z_-]+\\.{any_case(domain)}\\.?$" if srv else "")
    pattern = f"[{FIELDS}, name = %{first_label}% && name = %{in_zone}%, {types}, ...]"
    return pattern if len(pattern) <= PATTERN_LIMIT else f"[{FIELDS}, name, {types}, ...]"
