"""start_server: which lookups start which leaf, with spurious-start protection; the real handler on moto."""

import base64
import gzip
import importlib.util
import json

import boto3
import pytest
from moto import mock_aws

from napstack.emulator.log_payload import subscription_payload
from napstack.settings import DNS_NAME_TAG, SRV_TAG, START_ON_TAG, WOKEN_TAG
from query_log import BadQueryLogLine, parse_line
from tests.conftest import ROOT

ZONE = "Z0123456789ABCDEFGHIJ"


def test_the_functions_share_the_tag_contract():
    import host_check
    import query_log
    import wake_rule

    from napstack import settings

    assert (query_log.DNS_NAME_TAG, wake_rule.START_ON_TAG, wake_rule.COOLDOWN_TAG, wake_rule.WOKEN_TAG,
            wake_rule.SRV_TAG, wake_rule.LOOKUPS_OFF) == (
        settings.DNS_NAME_TAG, settings.START_ON_TAG, settings.COOLDOWN_TAG, settings.WOKEN_TAG, settings.SRV_TAG,
        settings.LOOKUPS_OFF)
    assert host_check.LAST_LOOKUP_TAG == wake_rule.LAST_LOOKUP_TAG


def test_parses_routes53_documented_line_format():
    lookup = parse_line("1.0 2017-12-13T08:15:50.235Z Z123412341234 Example.com. A NOERROR UDP Region 192.168.1.1 -")
    assert (lookup.name, lookup.query_type, lookup.hosted_zone_id) == ("example.com", "A", "Z123412341234")
    with pytest.raises(BadQueryLogLine):
        parse_line("hello world")


def load_handler():
    spec = importlib.util.spec_from_file_location("start_server_app", ROOT / "functions" / "start_server" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def make_group(autoscaling, ec2, name, dns_name, **tags):
    template = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.small"})
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=1, DesiredCapacity=0, VPCZoneIdentifier=subnet,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]},
        Tags=[{"Key": key, "Value": value, "PropagateAtLaunch": False} for key, value in {DNS_NAME_TAG: dns_name, **tags}.items()],
    )


def desired(autoscaling):
    return {g["AutoScalingGroupName"]: g["DesiredCapacity"] for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}


def line(name, qtype="A", second=1):
    return f"1.0 2026-11-26T20:00:{second:02d}.000Z {ZONE} {name} {qtype} NOERROR UDP IAD89-C1 198.51.100.7 -"


@mock_aws
def test_one_delivery_starts_two_leaves_of_one_zone_and_ignores_the_rest(monkeypatch):
    monkeypatch.setenv("LEAF_REGION", "eu-west-1")  # start_server runs in us-east-1 and calls the leaves' region
    autoscaling, ec2 = boto3.client("autoscaling", "eu-west-1"), boto3.client("ec2", "eu-west-1")
    make_group(autoscaling, ec2, "Napstack-Mc", "mc.example.com")
    make_group(autoscaling, ec2, "Napstack-Valheim", "valheim.example.com")
    make_group(autoscaling, ec2, "Napstack-Palworld", "palworld.example.com")
    payload = subscription_payload(
        [line("mc.example.com"), line("valheim.example.com", "AAAA"), line("www.example.com"), line("palworld.example.com", "TXT")]
        + [line("mc.example.com", second=s) for s in range(2, 40)],
        "/aws/route53/example.com", f"{ZONE}/IAD89-C1",
    )
    result = load_handler()(payload, None)
    assert desired(autoscaling) == {"Napstack-Mc": 1, "Napstack-Valheim": 1, "Napstack-Palworld": 0}
    actions = {d["name"]: d["action"] for d in result["decisions"]}
    assert actions == {"mc.example.com": "started", "valheim.example.com": "started", "www.example.com": "no leaf", "palworld.example.com": "ignored"}
    woken = {t["ResourceId"]: t["Value"] for t in autoscaling.describe_tags(
        Filters=[{"Name": "key", "Values": [WOKEN_TAG]}])["Tags"]}
    assert woken == {"Napstack-Mc": "2026-11-26T20:00:01Z by a lookup of mc.example.com (A)",  # the first ask
                     "Napstack-Valheim": "2026-11-26T20:00:01Z by a lookup of valheim.example.com (AAAA)"}


@mock_aws
def test_malformed_payload_is_a_named_error_and_scales_nothing():
    handler = load_handler()
    with pytest.raises(Exception) as caught:
        handler({"awslogs": {"data": "bm90IGd6aXBwZWQ="}}, None)
    assert type(caught.value).__name__ == "MalformedLogPayload"
    assert json.dumps(caught.value.args)


@pytest.mark.parametrize("message", [5, None, True, ["1.0"], {"message": "x"},
                                     "1.0 yesterday Z0123456789ABCDEFGHIJ mc.example.com A NOERROR UDP IAD89-C1 198.51.100.7 -",
                                     "1.0 2026-11-26T20:00:00 Z0123456789ABCDEFGHIJ mc.example.com A NOERROR UDP IAD89-C1 198.51.100.7 -"])
def test_a_hostile_line_is_skipped_and_the_real_lookup_beside_it_still_starts_the_server(monkeypatch, message):
    with pytest.raises(BadQueryLogLine):
        parse_line(message)
    payload = subscription_payload([line("www.example.com"), line("mc.example.com")], "/aws/route53/example.com", f"{ZONE}/IAD89-C1")
    data = json.loads(gzip.decompress(base64.b64decode(payload["awslogs"]["data"])))
    data["logEvents"][0]["message"] = message  # what a hostile or broken delivery could hold
    payload["awslogs"]["data"] = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    monkeypatch.setenv("LEAF_REGION", "eu-west-1")
    with mock_aws():
        autoscaling, ec2 = boto3.client("autoscaling", "eu-west-1"), boto3.client("ec2", "eu-west-1")
        make_group(autoscaling, ec2, "Napstack-Mc", "mc.example.com")
        result = load_handler()(payload, None)
        assert (result["lookups"], result["skipped"]) == (1, 1) and desired(autoscaling) == {"Napstack-Mc": 1}


@mock_aws
def test_a_clients_srv_lookup_and_its_a_lookup_are_one_wake_of_the_leaf(monkeypatch):
    monkeypatch.setenv("LEAF_REGION", "eu-west-1")
    autoscaling, ec2 = boto3.client("autoscaling", "eu-west-1"), boto3.client("ec2", "eu-west-1")
    make_group(autoscaling, ec2, "Napstack-Mc", "mc.example.com", **{START_ON_TAG: "SRV", SRV_TAG: "_minecraft._tcp"})
    payload = subscription_payload([line("_minecraft._tcp.mc.example.com", "SRV"), line("mc.example.com", second=2)],
                                   "/aws/route53/example.com", f"{ZONE}/IAD89-C1")
    result = load_handler()(payload, None)
    assert [(d["name"], d["action"]) for d in result["decisions"]] == [("mc.example.com", "started")]
    assert desired(autoscaling) == {"Napstack-Mc": 1}
