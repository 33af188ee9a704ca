"""DnsRecord: the server's A record, deployed asleep and deleted whatever the hook last pointed it at.

A plain AWS::Route53::RecordSet cannot be: the hook rewrites its value at run time, and Route53 deletes a
record only given its current value, so CloudFormation's delete would fail or leave the record behind.
"""

import hashlib

from aws_cdk import CustomResource, Duration, Stack, aws_iam as iam, aws_route53 as route53
from constructs import Construct

from napstack.config import NapstackConfig
from napstack.settings import DNS_RECORD, UNAVAILABLE_IP, function_environment
from stacks.custom_resource import provider_for
from stacks.lambda_function import napstack_function

RESOURCE_TYPE = "Custom::NapstackDnsRecord"


def own_record_changes(scope: Construct, hosted_zone_id: str, record_name: str) -> iam.PolicyStatement:
    """ChangeResourceRecordSets on the zone, for this server's A record only."""
    return iam.PolicyStatement(
        actions=["route53:ChangeResourceRecordSets"],
        resources=[hosted_zone_arn(scope, hosted_zone_id)],
        conditions={
            "ForAllValues:StringEquals": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [record_name],
                "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
            }
        },
    )


def hosted_zone_arn(scope: Construct, hosted_zone_id: str) -> str:
    return Stack.of(scope).format_arn(
        service="route53", region="", account="", resource="hostedzone", resource_name=hosted_zone_id
    )


class DnsRecord(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, hosted_zone_id: str, record_name: str, ttl: int) -> None:
        super().__init__(scope, construct_id)
        function = napstack_function(
            self, "Function", name=DNS_RECORD, environment=function_environment(DNS_RECORD), timeout=Duration.seconds(60)
        )
        # The function's grant on the record is a policy of its own, named after the record's zone and name, that the
        # record depends on: when either changes, CloudFormation grants the new record first, then in its clean-up
        # deletes the old record (a new physical id) before the old grant, so the old zone's record is not left behind.
        identity = hashlib.sha256(f"{hosted_zone_id}/{record_name.rstrip('.').lower()}".encode()).hexdigest()[:8]
        grant = iam.Policy(
            self,
            f"RecordGrant{identity}",
            roles=[function.role],
            statements=[
                own_record_changes(self, hosted_zone_id, record_name),
                iam.PolicyStatement(
                    actions=["route53:ListResourceRecordSets"], resources=[hosted_zone_arn(self, hosted_zone_id)]
                ),
            ],
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider_for(self, function).service_token,
            resource_type=RESOURCE_TYPE,
            properties={"HostedZoneId": hosted_zone_id, "RecordName": record_name, "Ttl": ttl, "AsleepIp": UNAVAILABLE_IP},
        )
        self.resource.node.add_dependency(grant)


def srv_record(scope: Construct, config: NapstackConfig) -> route53.CfnRecordSet:
    """`_minecraft._tcp.mc.example.com SRV 0 0 25565 mc.example.com.`: what a Minecraft Java client asks before the A
    record, so with SRV in Dns.StartOn only such a lookup wakes the server. It never changes at run time (it names
    the A record, not an address), so a plain record set, which CloudFormation creates and deletes, serves."""
    leaf = config.leaf
    return route53.CfnRecordSet(
        scope, "SrvRecord", hosted_zone_id=config.base.hosted_zone_id, name=f"{leaf.srv_prefix}.{config.dns_name}.",
        type="SRV", ttl=str(leaf.dns.ttl), resource_records=[f"0 0 {leaf.watched_port} {config.dns_name}."],
    )
