"""What the state machines are told about a config, computed once here for both the stacks and the emulator."""

from __future__ import annotations

import json

from napstack.config import NapstackConfig

# Where the record points while the server sleeps: TEST-NET-1 (RFC 5737) is never routed, so a client
# fails fast instead of reaching someone else's machine.
UNAVAILABLE_IP = "192.0.2.1"


def watchdog_settings(config: NapstackConfig) -> dict:
    """The watchdog execution's Settings: everything one check needs, so one state machine serves any config."""
    leaf = config.leaf
    watchdog = leaf.watchdog
    return {
        "ServerName": leaf.name,
        "Protocol": leaf.watched_protocol,
        "Port": leaf.watched_port,
        "UdpPacketThreshold": watchdog.udp_packet_threshold,
        "CountSsh": watchdog.count_ssh,
        "IntervalSeconds": watchdog.interval_seconds,
        "IdleChecks": watchdog.idle_checks,
        "MaxFailedChecks": watchdog.max_failed_checks,
        "StartupGraceMinutes": watchdog.startup_grace_minutes,
        "MaxUptimeHours": watchdog.max_uptime.hours,
        "MaxUptimeAction": watchdog.max_uptime.action,
    }


def hook_settings_json(config: NapstackConfig) -> str:
    """The hook's settings as the JSON text its LoadSettings state parses."""
    return json.dumps({"RecordTtl": config.leaf.dns.ttl, "Watchdog": watchdog_settings(config)}, separators=(",", ":"))


def json_string_body(text: str) -> str:
    """`text` escaped to sit between the quotes of a JSON string (definition substitutions are raw text)."""
    return json.dumps(text)[1:-1]
