"""dns_record: the server's A record exists from the deploy (asleep), keeps a live value on update, and is
deleted on destroy whatever the hook last pointed it at; the real handler on moto's Route53."""

import importlib.util
import types

import boto3
import pytest
from moto import mock_aws

from napstack.emulator.moto_gaps import route53_as_aws
from napstack.settings import UNAVAILABLE_IP
from record import RecordSpec, create_record, delete_record, update_record
from tests.conftest import ROOT

NAME = "mc.example.com"
SERVER_IP = "203.0.113.10"


@pytest.fixture
def route53():
    with mock_aws(), route53_as_aws():  # Route53's DELETE needs the current values, as in AWS
        client = boto3.client("route53", region_name="us-east-1")
        client.create_hosted_zone(Name="example.com", CallerReference="napstack-test")
        yield client


def zone_of(route53) -> str:
    return route53.list_hosted_zones()["HostedZones"][0]["Id"].rsplit("/", 1)[-1]


def spec(route53, name=NAME, ttl=30) -> RecordSpec:
    return RecordSpec(hosted_zone_id=zone_of(route53), name=name, ttl=ttl, asleep_ip=UNAVAILABLE_IP)


def a_records(route53) -> dict[str, tuple[int, list[str]]]:
    sets = route53.list_resource_record_sets(HostedZoneId=zone_of(route53))["ResourceRecordSets"]
    return {s["Name"]: (s["TTL"], [r["Value"] for r in s["ResourceRecords"]]) for s in sets if s["Type"] == "A"}


def point_at_server(route53, record: RecordSpec, ip=SERVER_IP) -> None:
    """What the hook's PointDnsAtServer does on a launch."""
    route53.change_resource_record_sets(
        HostedZoneId=record.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": record.name, "Type": "A", "TTL": record.ttl, "ResourceRecords": [{"Value": ip}]}}]},
    )


def test_deploy_creates_the_record_pointing_at_the_asleep_address(route53):
    create_record(route53, spec(route53))
    assert a_records(route53) == {f"{NAME}.": (30, [UNAVAILABLE_IP])}


def test_destroy_deletes_the_record_whatever_the_hook_pointed_it_at(route53):
    record = spec(route53)
    create_record(route53, record)
    point_at_server(route53, record)
    assert "deleted (was 203.0.113.10)" in delete_record(route53, record)
    assert a_records(route53) == {}


def test_destroy_of_a_record_already_gone_succeeds(route53):
    assert "already gone" in delete_record(route53, spec(route53))


def test_delete_leaves_other_records_of_the_zone_alone(route53):
    create_record(route53, spec(route53, name="valheim.example.com"))
    create_record(route53, spec(route53))
    delete_record(route53, spec(route53))
    assert a_records(route53) == {"valheim.example.com.": (30, [UNAVAILABLE_IP])}


def test_a_ttl_change_keeps_a_running_servers_address(route53):
    old = spec(route53)
    create_record(route53, old)
    point_at_server(route53, old)
    update_record(route53, old, spec(route53, ttl=60))
    assert a_records(route53) == {f"{NAME}.": (60, [SERVER_IP])}


def test_a_new_name_creates_the_new_record_asleep(route53):
    old = spec(route53)
    create_record(route53, old)
    update_record(route53, old, spec(route53, name="minecraft.example.com"))
    # CloudFormation deletes the old one once the update returns a new physical id (the handler test below).
    assert a_records(route53)["minecraft.example.com."] == (30, [UNAVAILABLE_IP])


def test_a_record_that_changes_between_read_and_delete_is_read_again(route53):
    record = spec(route53)
    create_record(route53, record)
    original = route53.change_resource_record_sets
    raced = []

    def change_once_stale(**kwargs):
        if not raced:  # the hook points DNS at a starting server just before our DELETE lands
            raced.append(True)
            point_at_server(route53, record, "203.0.113.99")
        return original(**kwargs)

    route53.change_resource_record_sets = change_once_stale
    delete_record(route53, record)
    assert a_records(route53) == {} and raced


def load_handler():
    spec_ = importlib.util.spec_from_file_location("dns_record_app", ROOT / "functions" / "dns_record" / "app.py")
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    return module.handler


def cloudformation_request(request_type, zone, name=NAME, old_name=None, ttl="30"):
    properties = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x", "HostedZoneId": zone,
                  "RecordName": name, "Ttl": ttl, "AsleepIp": UNAVAILABLE_IP}
    request = {"RequestType": request_type, "ServiceToken": properties["ServiceToken"],
               "ResponseURL": "https://example.invalid/", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
               "RequestId": "1", "LogicalResourceId": "DnsRecord", "ResourceType": "Custom::NapstackDnsRecord",
               "ResourceProperties": properties}
    if request_type != "Create":
        request["PhysicalResourceId"] = old_name or name
    if request_type == "Update":
        request["OldResourceProperties"] = {**properties, "RecordName": old_name or name}
    return request


def test_handler_answers_cloudformation_with_the_record_name_as_its_identity(route53):
    handler, context = load_handler(), types.SimpleNamespace(function_name="dns_record", aws_request_id="1")
    zone = zone_of(route53)
    assert handler(cloudformation_request("Create", zone), context)["PhysicalResourceId"] == NAME
    renamed = handler(cloudformation_request("Update", zone, name="minecraft.example.com", old_name=NAME), context)
    assert renamed["PhysicalResourceId"] == "minecraft.example.com"  # a new id: CloudFormation deletes the old
    handler(cloudformation_request("Delete", zone, name=NAME), context)
    handler(cloudformation_request("Delete", zone, name="minecraft.example.com"), context)
    assert a_records(route53) == {}
