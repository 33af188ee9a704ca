"""A Lambda function URL, as Lambda serves one: an HTTP request becomes the documented payload format 2.0 event, the
function's resource policy must let the public call it, and the function's answer becomes the HTTP response.

Gap: moto creates a function URL (CreateFunctionUrlConfig) but serves nothing at it; the emulator's deployment
records each URL (napstack/emulator/deploy.py) and `Emulator.open_url` calls it through this module.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl

# Bodies Lambda passes as text; any other is base64 (the handler must decode either: Powertools' decoded_body).
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def request_event(url_id: str, region: str, account: str, method: str, target: str, headers: dict[str, str],
                  body: bytes, source_ip: str, now: datetime, served_at: str | None = None, scheme: str = "https") -> dict:
    """The event Lambda sends for one request (Lambda developer guide, "Invoking Lambda function URLs", request
    payload): header names lower-case, repeated values joined by commas, cookies apart. `served_at`: the host the
    browser sees when it is not the URL's own (`napstack page` on 127.0.0.1, over plain http)."""
    path, _, query = target.partition("?")
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    domain = served_at or f"{url_id}.lambda-url.{region}.on.aws"
    lowered["host"] = domain  # Lambda answers on its own name: what a browser's Origin names
    lowered["x-forwarded-proto"] = scheme
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    text = lowered.get("content-type", "text/plain").lower().startswith(TEXT_TYPES)
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": domain,
            "domainPrefix": url_id,
            "http": {"method": method, "path": path or "/", "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": lowered.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": bool(body) and not text,
    }
    if cookies:
        event["cookies"] = cookies
    if parameters:
        event["queryStringParameters"] = parameters
    if body:
        event["body"] = body.decode("utf-8", "replace") if text else base64.b64encode(body).decode()
    return event


def http_response(payload: dict | str, function_error: bool) -> HttpResponse:
    """What Lambda makes of the function's answer: a response object as the format says; anything else, a JSON body
    with status 200; a function error, 502 as Lambda answers it."""
    if function_error:
        return HttpResponse(502, [("Content-Type", "application/json")], b'{"Message":"Internal Server Error"}')
    if not isinstance(payload, dict) or "statusCode" not in payload:
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(payload).encode())
    body = payload.get("body") or ""
    data = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
    headers = [(name, str(value)) for name, value in (payload.get("headers") or {}).items()]
    headers += [("Set-Cookie", cookie) for cookie in payload.get("cookies") or []]
    return HttpResponse(int(payload["statusCode"]), headers, data)


def public_url_allowed(permissions: list[dict], function_arn: str, function_name: str) -> str | None:
    """Why the public may not call the URL (AuthType NONE), or None: the function's resource policy must allow
    lambda:InvokeFunctionUrl to everyone for FunctionUrlAuthType NONE and, since October 2025, lambda:InvokeFunction
    through the URL (InvokedViaFunctionUrl)."""
    mine = [p for p in permissions if p.get("FunctionName") in (function_arn, function_name) and p.get("Principal") == "*"]
    if not any(p.get("Action") == "lambda:InvokeFunctionUrl" and p.get("FunctionUrlAuthType") == "NONE" for p in mine):
        return "no resource policy lets everyone call lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE)"
    if not any(p.get("Action") == "lambda:InvokeFunction" and str(p.get("InvokedViaFunctionUrl")).lower() == "true"
               for p in mine):
        return "no resource policy lets everyone call lambda:InvokeFunction through the URL (InvokedViaFunctionUrl)"
    return None
