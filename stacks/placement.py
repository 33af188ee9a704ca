"""Where a leaf's file system and instance live, decided once for both: the leaf passes it to Efs and EcsAsg."""

import hashlib

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from napstack.config import LeafConfig, is_zone_id


def one_zone_cidr(leaf_name: str) -> str:
    """A /28 (11 addresses: the instance and the mount target need two) outside the base VPC's 10.0.0.0/16, the
    same for a leaf at every deploy, and distinct between leaves unless a 1-in-a-million hash collision, which
    CloudFormation then refuses as an overlapping block."""
    digest = hashlib.sha256(leaf_name.encode()).digest()
    return f"10.{1 + digest[0] % 255}.{digest[1]}.{digest[2] % 16 * 16}/28"


class ServerPlacement(Construct):
    """Regional: any public subnet of the base VPC. One Zone: a public subnet of the leaf's own in the zone the config
    names, so the file system and the instance share it. A zone ID goes to the subnet's AvailabilityZoneId, which
    CloudFormation resolves in the account at deploy (synth looks nothing up); the file system takes the zone name the
    subnet reports. The subnet sits in a block added to the VPC: the base's subnets fill its primary block."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, config: LeafConfig) -> None:
        super().__init__(scope, construct_id)
        zone = config.efs.availability_zone
        if not config.efs.one_zone or zone is None:
            self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
            self.availability_zone: str | None = None
            return
        cidr = one_zone_cidr(config.name)
        block = ec2.CfnVPCCidrBlock(self, "Block", vpc_id=vpc.vpc_id, cidr_block=cidr)
        subnet = ec2.CfnSubnet(
            self,
            "Subnet",
            vpc_id=vpc.vpc_id,
            cidr_block=cidr,
            map_public_ip_on_launch=True,  # as the base's public subnets: no NAT gateway
            **({"availability_zone_id": zone} if is_zone_id(zone) else {"availability_zone": zone}),
        )
        subnet.node.add_dependency(block)
        # The base's public route table: its default route goes to the VPC's internet gateway.
        route_table_id = vpc.public_subnets[0].route_table.route_table_id
        ec2.CfnSubnetRouteTableAssociation(self, "Routes", subnet_id=subnet.ref, route_table_id=route_table_id)
        self.availability_zone = subnet.attr_availability_zone
        self.subnets = ec2.SubnetSelection(
            subnets=[
                ec2.Subnet.from_subnet_attributes(
                    self, "Server", subnet_id=subnet.ref, availability_zone=self.availability_zone, route_table_id=route_table_id
                )
            ]
        )
