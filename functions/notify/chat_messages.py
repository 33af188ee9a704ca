"""What each service is sent for one alert: Discord's and Slack's documented webhook bodies, and a plain JSON one.

The alert's text carries what the game said (MOTD, version, player names): hostile input. It is escaped for each
service so that it can neither mention anyone nor break the markup, and cut to each field's documented limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Discord (developer docs, "Execute Webhook" and "Embed Limits"): content 2000 characters, an embed's title 256 and
# description 4096, footer 2048, 6000 in all of a message's embeds.
DISCORD_CONTENT, DISCORD_TITLE, DISCORD_DESCRIPTION, DISCORD_FOOTER, DISCORD_EMBED_TOTAL = 2000, 256, 4096, 2048, 6000
# Slack (Block Kit reference): a header's plain_text 150 characters, a section's text 3000; a message's top-level
# text is truncated past 40,000 and should stay under 4,000.
SLACK_HEADER, SLACK_SECTION, SLACK_TEXT = 150, 3000, 4000
KIND_COLOURS = {"starting": 0xF1C40F, "ready": 0x2ECC71, "stopped": 0x95A5A6, "problem": 0xE74C3C, "test": 0x3498DB}
DISCORD_MARKUP = re.compile(r"([\\*_~`|\[\]<>])")  # anywhere: emphasis, code, spoilers, [links](url), <@id> tags
DISCORD_LINE_MARKUP = re.compile(r"^(\s*)([#>-])", re.MULTILINE)  # at a line's start: headers, quotes, lists
MENTION = re.compile(r"@")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Alert:
    """One alert as the state machines publish it: subject `<server>: <what>`, the message, and its attributes."""

    server: str
    kind: str
    subject: str
    message: str
    time: str = ""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str) -> str:
    """Without control characters or direction overrides (they can make text read other than it is)."""
    return CONTROL.sub("", text)


def discord_escaped(text: str) -> str:
    """Markdown characters shown as themselves; `@` followed by a zero-width space, so `@everyone`, `@here` and
    `<@id>` are text even where allowed_mentions is not honoured (embeds in some clients)."""
    escaped = DISCORD_LINE_MARKUP.sub(r"\1\\\2", DISCORD_MARKUP.sub(r"\\\1", plain(text)))
    return MENTION.sub("@\u200b", escaped)


def discord_cut(text: str, limit: int) -> str:
    """Escaped and cut, never inside an escape (a dangling backslash would escape the ellipsis)."""
    escaped = discord_escaped(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut.removesuffix("@") + "…"


def slack_escaped(text: str) -> str:
    """Slack's documented escaping: &, < and > only; with them escaped no `<!everyone>` or `<@U1>` can form."""
    return plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_cut(text: str, limit: int) -> str:
    escaped = slack_escaped(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    entity = cut.rfind("&")
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]  # never half an entity
    return cut + "…"


def headline(alert: Alert) -> str:
    """The subject the e-mail has (`<server>: <what>`), or the server's name before the message's first line."""
    return alert.subject or f"{alert.server}: {alert.message.splitlines()[0] if alert.message else alert.kind}"


def discord_body(alert: Alert) -> dict:
    title = discord_cut(headline(alert), DISCORD_TITLE)
    description = discord_cut(alert.message, DISCORD_DESCRIPTION)
    footer = _cut(plain(f"napstack · {alert.kind}"), DISCORD_FOOTER)
    return {
        "content": discord_cut(headline(alert), DISCORD_CONTENT),
        "embeds": [{"title": title, "description": description, "color": KIND_COLOURS.get(alert.kind, 0),
                    "footer": {"text": footer}, **({"timestamp": alert.time} if alert.time else {})}],
        "allowed_mentions": {"parse": []},  # no mention pings anyone, whatever the text holds
    }


def slack_body(alert: Alert) -> dict:
    return {
        "text": slack_cut(f"{headline(alert)}\n{alert.message}", SLACK_TEXT),
        "blocks": [
            # plain_text: no markup, links or mentions are read from it.
            {"type": "header", "text": {"type": "plain_text", "text": slack_cut(headline(alert), SLACK_HEADER) or "-"}},
            {"type": "section", "text": {"type": "plain_text", "text": slack_cut(alert.message, SLACK_SECTION) or "-"}},
        ],
    }


def webhook_body(alert: Alert) -> dict:
    return {"server": alert.server, "kind": alert.kind, "subject": plain(alert.subject), "message": plain(alert.message),
            "time": alert.time}


BUILDERS = {"discord": discord_body, "slack": slack_body, "webhook": webhook_body}
