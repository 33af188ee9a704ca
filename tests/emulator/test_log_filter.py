"""CloudWatch Logs filter patterns as the emulator applies them, held to the examples of AWS's "Filter pattern
syntax" page, and the query-log filter napstack deploys, replayed: only the games' lookups reach start_server."""

from datetime import datetime, timezone

import pytest

from napstack.config import load_config
from napstack.emulator.log_filter import PatternError, parse, passes, split_fields
from napstack.emulator.log_payload import query_log_line, subscription_payload
from napstack.emulator.replay import replay
from napstack.query_filter import PATTERN_LIMIT, query_log_filter
from tests.conftest import ROOT

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 403 4355',
]
WORDS = ["ERROR WARN message", "ERROR message", "WARN message"]


def matching(pattern: str, lines: list[str]) -> list[int]:
    return [index + 1 for index, line in enumerate(lines) if passes(pattern, line)]


@pytest.mark.parametrize("pattern,expected", [
    ("", [1, 2, 3]),
    ("[w1=ERROR, w2]", [2]),  # the field count must agree without an ellipsis
    ("[w1=ERROR || w1=WARN, w2]", [2, 3]),
    ("[w1=ERROR, ...]", [1, 2]),
    ("[w1=error, w2]", []),  # case-sensitive
    ("[w1=%ERR|WAR%, w2]", [2, 3]),
])
def test_documented_space_delimited_examples_on_words(pattern, expected):
    assert matching(pattern, WORDS) == expected


@pytest.mark.parametrize("pattern,expected", [
    ("[ip, user, username, timestamp, request, status_code, bytes]", [1, 2, 3]),
    ("[..., status_code, bytes]", [1, 2, 3]),
    ("[ip, user, ..., status_code, bytes]", [1, 2, 3]),
    ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", [2, 3]),
    ("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", [2]),
    ("[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]", [2]),
    ("[ip, user, username, timestamp, request, status_code = 200, bytes]", [1]),
    ("[ip, user, username]", []),
])
def test_documented_space_delimited_examples_on_an_access_log(pattern, expected):
    assert matching(pattern, APACHE) == expected


def test_quotes_and_brackets_make_one_field():
    assert split_fields(APACHE[0]) == ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700",
                                       "GET /apache_pb.gif HTTP/1.0", "200", "1534"]


@pytest.mark.parametrize("pattern,message", [
    ("[w1=%(ERROR)%, w2]", "refuses in a regex"),  # no parentheses in CloudWatch Logs' regex
    ("[a=%x%, b=%y%, c=%z%]", "may hold 2 regular expressions"),
    ("[w1=" + "x" * 1100 + "]", "CloudWatch Logs allows 1024"),
    ('{ $.eventType = "UpdateTrail" }', "not emulated"),
    ("ERROR", "not emulated"),
])
def test_what_cloudwatch_logs_refuses_or_the_emulator_does_not_emulate_is_said(pattern, message):
    with pytest.raises(PatternError, match=message):
        parse(pattern)


def lookup(name: str, query_type: str) -> str:
    return query_log_line(datetime(2026, 11, 20, 20, tzinfo=timezone.utc), "Z0123456789ABCDEFGHIJ", name, query_type)


def test_with_many_games_the_filter_still_fits_and_still_drops_other_types():
    served = {f"game-number-{i:03d}.example.com": ("A", "AAAA") for i in range(200)}
    pattern = query_log_filter("example.com", served)
    assert len(pattern) <= PATTERN_LIMIT
    assert passes(pattern, lookup("game-number-007.example.com", "A"))
    assert not passes(pattern, lookup("game-number-007.example.com", "MX"))


def test_a_www_or_mx_lookup_never_invokes_start_server_and_a_game_lookup_in_the_same_batch_starts_it():
    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    lines = [lookup("www.example.com", "A"), lookup("example.com", "MX"), lookup("MC.example.com", "TXT"),
             lookup("mC.ExAmPlE.cOm", "A")]
    event = subscription_payload(lines, "/aws/route53/example.com", "Z0123456789ABCDEFGHIJ/IAD89-C1")
    result = replay(config, event, max_hours=0.05)
    started = [row for row in result.timeline if row.state_machine == "start_server"]
    assert [(row.state, row.detail) for row in started] == [
        ("started", "mc.example.com: 1 A lookup(s); desired 0 -> 1")]
    dropped = replay(config, subscription_payload(lines[:3], "/aws/route53/example.com", "Z0123456789ABCDEFGHIJ/x"),
                     max_hours=0.05)
    assert not [row for row in dropped.timeline if row.state_machine == "start_server"]
    assert [row.state for row in dropped.timeline] == ["FilteredOut"] and dropped.asg_desired == 0
