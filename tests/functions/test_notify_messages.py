"""notify's message builders: whatever a game calls its players or its MOTD, each service's body stays within its
documented limits, mentions nobody and keeps its markup."""

import json
import re

from hypothesis import given, settings, strategies as st

from chat_messages import (
    DISCORD_CONTENT, DISCORD_DESCRIPTION, DISCORD_EMBED_TOTAL, DISCORD_TITLE, SLACK_HEADER, SLACK_SECTION, SLACK_TEXT,
    Alert, discord_body, slack_body, webhook_body,
)

PIECES = list("@everyone here<>&*_~`|#[]()\\:!-/ \n\u202e\x00a") + [
    "@everyone", "@here", "<@123>", "<!channel>", "[x](http://e.vil)", "&amp;", "\\"]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)
LONG = st.integers(min_value=0, max_value=9000).map(lambda n: "*_@<&" * (n // 5))


def alert(text: str, kind: str = "ready") -> Alert:
    return Alert(server="mc", kind=kind, subject=f"mc: {text[:80]}", message=f"mc is ready. Players: {text}",
                 time="2026-01-01T20:00:00.000Z")


def discord_text(body: dict) -> list[str]:
    embed = body["embeds"][0]
    return [body["content"], embed["title"], embed["description"], embed["footer"]["text"]]


@settings(max_examples=150, deadline=None)
@given(st.one_of(HOSTILE, LONG), st.sampled_from(["starting", "ready", "stopped", "problem"]))
def test_discord_bodies_ping_nobody_and_stay_within_its_limits(text, kind):
    body = discord_body(alert(text, kind))
    assert body["allowed_mentions"] == {"parse": []}
    embed = body["embeds"][0]
    assert len(body["content"]) <= DISCORD_CONTENT and len(embed["title"]) <= DISCORD_TITLE
    assert len(embed["description"]) <= DISCORD_DESCRIPTION
    assert sum(len(t) for t in discord_text(body)[1:]) <= DISCORD_EMBED_TOTAL
    for field in discord_text(body):
        assert "@everyone" not in field and "@here" not in field
        # Every markup character escaped (<@id> and [text](link) among them): an escaped backslash first removed.
        assert not re.search(r"(?<!\\)[*_~`|\[\]<>]", field.replace("\\\\", "")), field
        assert "\u202e" not in field and "\x00" not in field
    json.dumps(body)


@settings(max_examples=150, deadline=None)
@given(st.one_of(HOSTILE, LONG))
def test_slack_bodies_escape_its_three_characters_and_stay_within_its_limits(text):
    body = slack_body(alert(text))
    header, section = (block["text"] for block in body["blocks"])
    assert len(body["text"]) <= SLACK_TEXT and len(header["text"]) <= SLACK_HEADER and len(section["text"]) <= SLACK_SECTION
    assert header["type"] == section["type"] == "plain_text"
    for field in (body["text"], header["text"], section["text"]):
        assert "<" not in field and ">" not in field  # no <!everyone>, <@U1> or <http://link|text> can form
        assert not re.search(r"&(?!amp;|lt;|gt;)", field), field  # every & starts one of the three entities


def test_the_exact_bodies_of_one_alert():
    shown = Alert(server="mc", kind="ready", subject="mc: ready", message="mc is ready: mc.example.com:25565, 1/20 "
                  "players. MOTD: *Hi* @everyone <b>", time="2026-01-01T20:00:00.000Z")
    discord = discord_body(shown)
    assert discord["content"] == "mc: ready"
    assert discord["embeds"][0]["description"] == ("mc is ready: mc.example.com:25565, 1/20 players. MOTD: \\*Hi\\* "
                                                   "@\u200beveryone \\<b\\>")
    assert discord_body(Alert("mc", "ready", "mc: ready", "# big\n - list\n> quote"))["embeds"][0]["description"] == (
        "\\# big\n \\- list\n\\> quote")
    assert slack_body(shown)["text"] == "mc: ready\nmc is ready: mc.example.com:25565, 1/20 players. MOTD: *Hi* @everyone &lt;b&gt;"
    assert webhook_body(shown) == {"server": "mc", "kind": "ready", "subject": "mc: ready", "message": shown.message,
                                   "time": "2026-01-01T20:00:00.000Z"}
