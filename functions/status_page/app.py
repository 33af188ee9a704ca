"""status_page: the base's status page behind a Lambda function URL (payload format 2.0): GET / (HTML), GET
/status.json (the same figures as JSON), POST /wake (the wake button)."""

import json
import os
import time  # the emulator swaps a handler module's `time` for its clock
from datetime import datetime, timezone

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

import game_query
import page_html
from page_view import estimate_of_starts, instance_of, napstack_groups, server_view
from page_wake import WakeRequest, wake
from wake_guard import TOKEN_COOKIE, cookie_token, new_token

logger = Logger()
app = LambdaFunctionUrlResolver()
# Throttling and 5xx are retried by the SDK's standard mode; short timeouts keep a page quick.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
autoscaling = boto3.client("autoscaling", config=CLIENT_CONFIG)
ec2 = boto3.client("ec2", config=CLIENT_CONFIG)
cloudwatch = boto3.client("cloudwatch", config=CLIENT_CONFIG)
BASE_HASH = os.environ.get("PASSPHRASE_HASH") or None
BASE_NAME = os.environ["BASE_NAME"]  # this page's games carry it in their base tag (page_view.napstack_groups)
QUERY_SECONDS = 1.5  # per game, whatever its Watchdog.Query.TimeoutSeconds: a page should not wait long
MAX_BODY_BYTES = 4096


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), timezone.utc)


def _ask(protocol: str, host: str, port: int, timeout: float):
    return game_query.query(protocol, host, port, min(timeout, QUERY_SECONDS))


def _views(now: datetime) -> list:
    estimate, instance = estimate_of_starts(cloudwatch, now), instance_of(ec2)
    return [server_view(group, BASE_HASH, instance, _ask, estimate) for group in napstack_groups(autoscaling, BASE_NAME)]


def _html(status: int, body: str, token: str, new: bool) -> Response:
    event = app.current_event
    secure = (event.headers.get("x-forwarded-proto") or "https") == "https"  # `napstack page` serves plain http
    cookies = [Cookie(TOKEN_COOKIE, token, path="/", secure=secure, http_only=True, same_site=SameSite.STRICT_MODE)]
    return Response(status, "text/html; charset=utf-8", body, headers=dict(page_html.HEADERS), cookies=cookies if new else None)


def _token() -> tuple[str, bool]:
    known = cookie_token(app.current_event.get("cookies") or [])
    return (known, False) if known else (new_token(), True)


@app.get("/")
def index() -> Response:
    token, new = _token()
    return _html(200, page_html.page(_views(_now()), token), token, new)


@app.get("/status.json")
def status_json() -> Response:
    servers = [view.as_json() for view in _views(_now())]
    return Response(200, "application/json", json.dumps({"servers": servers}), headers=dict(page_html.HEADERS))


@app.exception_handler([ClientError, BotoCoreError])
def aws_unavailable(error: Exception) -> Response:
    """AWS still refusing after the SDK's retries: say so, in a page (the games are left as they are)."""
    logger.warning("AWS did not answer the page", extra={"error": f"{type(error).__name__}: {error}"})
    return Response(503, "text/plain; charset=utf-8", "The game list cannot be read just now: reload in a minute.",
                    headers=dict(page_html.HEADERS))


@app.post("/wake")
def wake_button() -> Response:
    event = app.current_event
    token, new = _token()
    try:  # a form is hostile input: any size, any bytes, any number of fields
        body = event.decoded_body or ""
        if len(body.encode()) > MAX_BODY_BYTES:
            raise ValueError("too long")
        request = WakeRequest.from_form(body, headers=dict(event.headers), cookies=event.get("cookies") or [],
                                        host=event.request_context.domain_name,
                                        source=event.request_context.http.source_ip)
    except ValueError:  # UnicodeDecodeError and binascii.Error are ValueErrors too
        # The games still shown: an empty list would read "no game is deployed".
        return _html(400, page_html.page(_views(_now()), token,
                                         ("bad-form", "That was not the page's form: reload the page.")), token, new)
    now = _now()
    outcome = wake(autoscaling, request, BASE_NAME, BASE_HASH, now, sleep=time.sleep)
    logger.info(outcome.sentence, extra={"outcome": outcome.outcome, "server": outcome.server, "source": outcome.source})
    return _html(outcome.status, page_html.page(_views(_now()), token, (outcome.outcome, outcome.sentence)), token, new)


@app.not_found
def not_found(_) -> Response:
    return Response(404, "text/plain; charset=utf-8", "Not found: the page is at /", headers=dict(page_html.HEADERS))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
