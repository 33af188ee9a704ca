"""Wakes bots cannot pull (issue 23 part 4): `StartOn: [SRV]` wakes only on the lookup a Minecraft Java client
makes first, `_minecraft._tcp.<name>` SRV, whose record napstack publishes; `StartOnLookup: false` leaves only the
status page; config combos that cannot work are one line each; the replay says why a lookup did not wake it."""

import json

import pytest

from napstack.config import ConfigError, load_config
from napstack.emulator.replay import replay
from napstack.query_filter import query_log_filter
from napstack.settings import LOOKUPS_OFF, SRV_TAG, START_ON_TAG, leaf_tags
from napstack.emulator.log_filter import passes
from tests.conftest import ROOT
from tests.test_config import GOOD, with_changes, write_configs

HASH = "scrypt$15$8$1$" + "A" * 22 + "==$" + "B" * 43 + "="
EVENTS = ROOT / "events"
BASE = {"DomainName": "example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}


def minecraft_with(tmp_path, **dns) -> object:
    """The minecraft-java example, Dns changed, in a folder of its own (no other game beside it)."""
    import yaml

    leaf = yaml.safe_load((ROOT / "examples" / "minecraft-java.yaml").read_text())
    leaf["Dns"] = {**leaf["Dns"], **dns}
    leaf.pop("Base", None)
    return load_config(write_configs(tmp_path, leaf, BASE))


@pytest.mark.parametrize("changes,expected", [
    ({"Dns__StartOn": ["SRV"]}, "Dns.StartOn has SRV: set Dns.SrvService to the service the game's clients look up"),
    ({"Dns__SrvService": "minecraft"}, "Dns.SrvService minecraft names the SRV record napstack publishes only with SRV"),
    ({"Dns__SrvService": "_minecraft", "Dns__StartOn": ["SRV"]}, "Dns.SrvService"),
    ({"Dns__StartOn": ["A"], "StartOnLookup": False}, "Dns.StartOn names lookups that start it, and StartOnLookup: false"),
    ({"StartOnLookup": False, "StatusPage": {"PassphraseHash": HASH}}, "StartOnLookup is false in every game under base.yaml"),
])
def test_combinations_that_cannot_work_are_one_line_each(tmp_path, changes, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(write_configs(tmp_path, with_changes(**changes)))
    assert any(expected in problem and "\n" not in problem for problem in caught.value.problems), caught.value.problems


def test_lookups_off_without_a_passphrase_would_leave_nothing_to_wake_it(tmp_path):
    (tmp_path / "other.yaml").write_text(json.dumps({**GOOD, "Name": "other", "Dns": {"SubDomain": "other"}}))
    with pytest.raises(ConfigError, match="StartOnLookup: false leaves only the status page's wake button, and it has no "
                                          "passphrase"):
        load_config(write_configs(tmp_path, with_changes(StartOnLookup=False)))


def test_a_page_only_game_beside_a_lookup_game_is_tagged_off_and_left_out_of_the_filter(tmp_path):
    (tmp_path / "other.yaml").write_text(json.dumps({**GOOD, "Name": "other", "Dns": {"SubDomain": "other"}}))
    config = load_config(write_configs(tmp_path, with_changes(StartOnLookup=False, StatusPage={"PassphraseHash": HASH})))
    assert leaf_tags(config)[START_ON_TAG] == LOOKUPS_OFF
    pattern = query_log_filter("example.org", dict(config.served))
    line = "1.0 2026-12-01T18:00:00Z Z1234567890 {} A NOERROR UDP IAD89-C1 192.0.2.10 -"
    assert passes(pattern, line.format("other.example.org")) and not passes(pattern, line.format("game.example.org"))


def test_srv_in_start_on_tags_the_srv_name_and_the_filter_passes_the_clients_lookup_only(tmp_path):
    config = minecraft_with(tmp_path, StartOn=["SRV"])  # Watchdog.Query minecraft-java: SrvService minecraft
    assert (leaf_tags(config)[START_ON_TAG], leaf_tags(config)[SRV_TAG]) == ("SRV", "_minecraft._tcp")
    pattern = query_log_filter("example.com", dict(config.served))
    line = "1.0 2026-12-01T18:00:00Z Z0123456789ABCDEFGHIJ {} {} NOERROR UDP IAD89-C1 192.0.2.10 -"
    assert passes(pattern, line.format("_minecraft._tcp.mc.example.com", "SRV"))
    assert passes(pattern, line.format("_Minecraft._TCP.MC.example.com.", "SRV"))  # resolvers may randomize case
    assert not passes(pattern, line.format("mc.example.com", "A"))  # a scanner asking only A
    assert not passes(pattern, line.format("_minecraft._tcp.www.example.com", "SRV"))


def test_the_srv_record_is_published_pointing_at_the_name_and_the_game_port(tmp_path, synthesized):
    from napstack.assembly import load_assembly
    from tests.test_stacks import resources_of

    config = minecraft_with(tmp_path, StartOn=["SRV"])
    stacks = load_assembly(synthesized(config.source))
    hook = stacks[config.leaf.stack_name].nested["AsgStateChangeHook"]
    (record,) = resources_of(hook, "AWS::Route53::RecordSet")
    assert record["Properties"] == {"HostedZoneId": "Z0123456789ABCDEFGHIJ", "Name": "_minecraft._tcp.mc.example.com.",
                                    "Type": "SRV", "TTL": "30", "ResourceRecords": ["0 0 25565 mc.example.com."]}
    plain = load_assembly(synthesized(ROOT / "examples" / "minecraft-java.yaml"))
    assert not resources_of(plain["Napstack-MinecraftJava"].nested["AsgStateChangeHook"], "AWS::Route53::RecordSet")


def test_replayed_the_clients_srv_lookup_wakes_it_and_the_alert_names_it(tmp_path):
    config = minecraft_with(tmp_path, StartOn=["SRV"])
    result = replay(config, json.loads((EVENTS / "route53-query-srv-lookup.json").read_text()), max_hours=0.2)
    (row,) = [r for r in result.timeline if r.state_machine == "start_server"]
    assert (row.state, row.detail) == ("started", "mc.example.com: 1 SRV lookup(s); desired 0 -> 1")
    (woken,) = [r for r in result.timeline if r.state == "StartWatchdog"]
    assert "by a lookup of _minecraft._tcp.mc.example.com (SRV)" in woken.detail


def test_replayed_a_scanner_asking_only_a_does_not_wake_an_srv_game_and_the_timeline_says_why(tmp_path):
    config = minecraft_with(tmp_path, StartOn=["SRV"])
    result = replay(config, json.loads((EVENTS / "route53-query-a-only-scanner.json").read_text()), max_hours=0.2)
    assert result.asg_desired == 0 and not result.executions
    (row,) = [r for r in result.timeline if r.state == "FilteredOut"]
    assert "only SRV of _<service>._tcp.mc.example.com start it" in row.detail


def test_dns_lookup_event_of_type_srv_asks_for_the_record_napstack_publishes(tmp_path):
    """A Valheim-like game (udp) with its own SRV service: the event's lookup is `_<service>._udp.<name>`, which the
    zone's filter passes, not the bare name, which an SRV game ignores."""
    import base64
    import gzip

    from tests.conftest import napstack_cli

    leaf = with_changes(Dns__StartOn=["SRV"], Dns__SrvService="valheim",
                        Container__Ports=[{"Protocol": "udp", "Port": 2456, "ToPort": 2457}])
    made = napstack_cli("dns-lookup-event", "--config", str(write_configs(tmp_path, leaf)), "--type", "SRV")
    assert made.returncode == 0, made.stderr
    delivery = json.loads(gzip.decompress(base64.b64decode(json.loads(made.stdout)["awslogs"]["data"])))
    (line,) = [event["message"] for event in delivery["logEvents"]]
    assert line.split()[3:5] == ["_valheim._udp.game.example.org", "SRV"]
    config = load_config(tmp_path / "game.yaml")
    assert passes(query_log_filter("example.org", dict(config.served)), line)
