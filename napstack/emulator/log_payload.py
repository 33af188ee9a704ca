"""CloudWatch Logs subscription payloads (base64 of gzipped JSON), as a subscription filter delivers them to Lambda."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from datetime import datetime

from napstack.emulator import log_filter


def query_log_line(moment: datetime, zone_id: str, name: str, query_type: str = "A") -> str:
    """One Route53 query-log line, in the documented format (resolver and edge location are examples)."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return f"1.0 {stamp} {zone_id} {name} {query_type} NOERROR UDP IAD89-C1 198.51.100.7 -"


def lookup_payload(moment: datetime, zone_id: str, domain: str, name: str, query_type: str = "A") -> dict:
    """The delivery start_server receives for one lookup of `name` in the zone's query-log group."""
    line = query_log_line(moment, zone_id, name, query_type)
    return subscription_payload([line], f"/aws/route53/{domain}", f"{zone_id}/IAD89-C1")


def subscription_payload(lines: list[str], log_group: str, log_stream: str, filter_name: str = "napstack-start") -> dict:
    """The event Lambda receives for these log lines (one delivery)."""
    events = []
    for index, line in enumerate(lines):
        try:
            millis = int(datetime.fromisoformat(line.split()[1].replace("Z", "+00:00")).timestamp() * 1000)
        except (IndexError, ValueError):
            millis = 0
        events.append({"id": f"{millis:020d}{index:036d}", "timestamp": millis, "message": line})
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": [filter_name],
        "logEvents": events,
    }
    return _encoded(data)


def decoded_lines(payload: dict) -> list[str]:
    data = json.loads(gzip.decompress(base64.b64decode(payload["awslogs"]["data"])))
    return [event["message"] for event in data["logEvents"]]


# CloudWatch Logs delivers at most 1 MB of log events at once; their JSON envelope adds a little.
MAX_DECOMPRESSED_BYTES = 4 * 1024 ** 2


def inflated_data(payload: dict) -> bytes | None:
    """The payload's data, inflated: at most MAX_DECOMPRESSED_BYTES of it, so a gzip bomb (a few KB that grow to
    gigabytes) is found without inflating it all (ValueError). None for data that is not base64 gzip: that is
    start_server's to refuse, as AWS would run it."""
    try:
        compressed = base64.b64decode(payload["awslogs"]["data"])
        inflater = zlib.decompressobj(wbits=31)  # gzip
        data = inflater.decompress(compressed, MAX_DECOMPRESSED_BYTES)
    except (binascii.Error, ValueError, zlib.error, KeyError, TypeError):
        return None
    if inflater.unconsumed_tail:
        raise ValueError(f"'awslogs.data' inflates to more than {MAX_DECOMPRESSED_BYTES // 1024 ** 2} MiB; "
                         "CloudWatch Logs delivers at most 1 MB of log events at once")
    return data


def passing_events(payload: dict, pattern: str) -> dict | None:
    """What a subscription filter with `pattern` delivers of the log events in `payload`: only the events that pass
    it, or None when none does. A payload that does not decode is passed on as it is, for its function to refuse."""
    matches = log_filter.parse(pattern).matches
    try:
        data = json.loads(gzip.decompress(base64.b64decode(payload["awslogs"]["data"])))
        events = [event for event in data["logEvents"] if matches(event["message"])]
    except (ValueError, OSError, EOFError, KeyError, TypeError):  # base64, gzip, JSON and shape each raise their own
        return payload
    if not events:
        return None
    data["logEvents"] = events
    return _encoded(data)


def _encoded(data: dict) -> dict:
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
