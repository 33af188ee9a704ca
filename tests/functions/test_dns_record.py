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


def properties(zone, name=NAME, ttl="30"):
    return {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x", "HostedZoneId": zone,
            "RecordName": name, "Ttl": ttl, "AsleepIp": UNAVAILABLE_IP}


def cloudformation_request(request_type, new, old=None, physical_id=None):
    request = {"RequestType": request_type, "ServiceToken": new["ServiceToken"],
               "ResponseURL": "https://example.invalid/", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
               "RequestId": "1", "LogicalResourceId": "DnsRecord", "ResourceType": "Custom::NapstackDnsRecord",
               "ResourceProperties": new}
    if request_type != "Create":
        request["PhysicalResourceId"] = physical_id
    if request_type == "Update":
        request["OldResourceProperties"] = old
    return request


class CloudFormation:
    """The custom resource's life as CloudFormation drives it: an Update answered with a new physical id is a
    replacement, and the old resource gets a Delete with its own properties once the update is done."""

    def __init__(self):
        self.handler = load_handler()
        self.context = types.SimpleNamespace(function_name="dns_record", aws_request_id="1")
        self.properties, self.physical_id = None, None

    def create(self, new):
        self.properties = new
        self.physical_id = self.handler(cloudformation_request("Create", new), self.context)["PhysicalResourceId"]

    def update(self, new):
        request = cloudformation_request("Update", new, self.properties, self.physical_id)
        answered = self.handler(request, self.context)["PhysicalResourceId"]
        if answered != self.physical_id:
            self.handler(cloudformation_request("Delete", self.properties, physical_id=self.physical_id), self.context)
        self.properties, self.physical_id = new, answered

    def delete(self):
        self.handler(cloudformation_request("Delete", self.properties, physical_id=self.physical_id), self.context)


def records_in(route53, zone):
    sets = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {s["Name"]: [r["Value"] for r in s["ResourceRecords"]] for s in sets if s["Type"] == "A"}


def test_a_new_name_replaces_the_record_and_the_old_name_is_deleted(route53):
    cloudformation, zone = CloudFormation(), zone_of(route53)
    cloudformation.create(properties(zone))
    cloudformation.update(properties(zone, name="minecraft.example.com"))
    assert records_in(route53, zone) == {"minecraft.example.com.": [UNAVAILABLE_IP]}
    cloudformation.delete()
    assert records_in(route53, zone) == {}


def test_a_new_hosted_zone_replaces_the_record_and_the_old_zones_record_is_deleted(route53):
    """The id carries the zone: a HostedZoneId change alone is a new record, and the old zone keeps none."""
    old_zone = zone_of(route53)
    new_zone = route53.create_hosted_zone(Name="example.com", CallerReference="second")["HostedZone"]["Id"].rsplit("/", 1)[-1]
    cloudformation = CloudFormation()
    cloudformation.create(properties(old_zone))
    point_at_server(route53, spec(route53))
    cloudformation.update(properties(new_zone))
    assert records_in(route53, old_zone) == {}
    assert records_in(route53, new_zone) == {f"{NAME}.": [UNAVAILABLE_IP]}


def test_a_ttl_change_keeps_the_record_and_its_id_even_in_the_form_of_an_older_deploy(route53):
    """A new id for the same record would make CloudFormation delete the record it just updated."""
    cloudformation, zone = CloudFormation(), zone_of(route53)
    cloudformation.create(properties(zone))
    cloudformation.physical_id = NAME  # what napstack answered before the id carried the zone
    point_at_server(route53, spec(route53))
    cloudformation.update(properties(zone, ttl="60"))
    assert cloudformation.physical_id == NAME
    assert a_records(route53) == {f"{NAME}.": (60, [SERVER_IP])}
