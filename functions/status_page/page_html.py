"""The status page as HTML: server-rendered, no script, no external asset, every text from a game or a player
escaped (a MOTD or a player name is hostile input).

The markup is a contract (README, "The status page"): per game a `section.server[data-server]` holding
`span.state[data-state]`, `span.players` ("N/M" when the game answered), its player names in `.name` elements and
the wake form (POST /wake: `server`, `token`, `passphrase`); after a wake, `p.message[data-outcome]`.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from page_view import ServerView
from wake_passphrase import MAX_PASSPHRASE_CHARACTERS

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
    ".server{border:1px solid #ccc;border-radius:.5rem;padding:.5rem 1rem;margin:1rem 0}"
    ".state{font-weight:bold}.state[data-state=ready]{color:#18794e}.state[data-state=starting]{color:#b25e00}"
    ".message{padding:.5rem 1rem;background:#eef}.message[data-outcome=woken]{background:#e6f6ec}"
    "code{font-size:1.1em}.note{color:#666;font-size:.9em}"
)
# The one inline style, allowed by its hash: the policy allows nothing else (no script, no image, no frame).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not no-referrer: under it a browser posts the page's own form with `Origin: null` (Fetch standard, "serializing
    # a request origin"), which wake_guard must refuse as cross-site; same-origin still tells other sites nothing.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000",
}
REFRESH_SECONDS = 5  # while a game starts or stops the page reloads itself (a meta refresh: no script)
STATE_WORDS = {
    "asleep": "asleep",
    "starting": "starting",
    "ready": "ready: join now",
    "stopping": "stopping",
}


def _when(iso: str | None) -> str:
    """`2026-01-01T20:00:00Z` as `2026-01-01 20:00 UTC` in a <time> element."""
    if not iso:
        return ""
    shown = iso.replace("T", " ")[:16] + " UTC"
    return f'<time datetime="{escape(iso)}">{escape(shown)}</time>'


def _details(view: ServerView) -> str:
    if view.state == "asleep":
        last = f"last ran until {_when(view.since)}" if view.since else "has not stopped idle since it was deployed"
        return f'<p class="note">{last}. Wake it and it is ready in a few minutes.</p>'
    if view.state == "stopping":
        return '<p class="note">Nobody played for a while: it is saving and stopping.</p>'
    if view.state == "starting":
        since = f" since {_when(view.since)}" if view.since else ""
        by = f" (woken by {escape(view.woken_by)})" if view.woken_by else ""
        usual = (f" It usually takes about {max(1, round(view.estimate_seconds / 60))} min."
                 if view.estimate_seconds else "")
        return f'<p class="note">Starting{since}{by}.{usual} This page reloads itself.</p>'
    parts = []
    if view.players is not None:
        names = ", ".join(f'<span class="name">{escape(name)}</span>' for name in view.names)
        parts.append(f'<p><span class="players">{view.players}/{view.max_players}</span> players'
                     + (f": {names}" if names else "") + "</p>")
    if view.version:
        parts.append(f'<p class="note">Version {escape(view.version)}</p>')
    if view.motd:
        parts.append(f'<p class="note motd">{escape(view.motd)}</p>')
    if view.query:
        parts.append(f'<p class="note">{escape(view.query)}</p>')
    return "".join(parts)


def _wake_form(view: ServerView, token: str) -> str:
    if not view.wake:
        return '<p class="note">The owner has not set a wake passphrase for this game.</p>'
    if view.state not in ("asleep", "stopping"):
        return ""  # a wake now would change nothing (POST /wake still says so)
    return (
        '<form method="post" action="/wake">'
        f'<input type="hidden" name="server" value="{escape(view.name)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<label>Passphrase <input type="password" name="passphrase" autocomplete="current-password" required '
        f'maxlength="{MAX_PASSPHRASE_CHARACTERS}"></label> <button type="submit">Wake</button></form>'
    )


def section(view: ServerView, token: str) -> str:
    return (
        f'<section class="server" data-server="{escape(view.name)}"><h2>{escape(view.name)}</h2>'
        f'<p>Join <code class="address">{escape(view.address)}</code></p>'
        f'<p>State: <span class="state" data-state="{escape(view.state)}">{STATE_WORDS[view.state]}</span></p>'
        f"{_details(view)}{_wake_form(view, token)}</section>"
    )


def page(views: list[ServerView], token: str, message: tuple[str, str] | None = None) -> str:
    """The whole page; `message`: (outcome, sentence) after a wake."""
    changing = any(v.state in ("starting", "stopping") for v in views)
    refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}; url=/">' if changing else ""
    shown = ""
    if message:
        outcome, sentence = message
        shown = f'<p class="message" data-outcome="{escape(outcome)}">{escape(sentence)}</p>'
    body = "".join(section(v, token) for v in views) or "<p>No game is deployed in this base yet.</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{refresh}<title>Game servers</title><style>{STYLE}</style></head>"
        f"<body><h1>Game servers</h1>{shown}{body}"
        '<p class="note">Servers sleep while nobody plays. Waking one takes a few minutes; '
        f'<a href="/status.json">status.json</a>.</p></body></html>'
    )
