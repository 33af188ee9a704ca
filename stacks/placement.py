"""Where a leaf's file system and instance live, decided once for both (Efs and EcsAsg read it from the config)."""

from aws_cdk import aws_ec2 as ec2

from napstack.config import LeafConfig


def server_subnets(vpc: ec2.IVpc, config: LeafConfig) -> ec2.SubnetSelection:
    """Where the file system and the instance live: any public subnet, or with Efs.OneZone the first one only,
    so that the instance always launches in the zone of its One Zone file system."""
    if config.efs.one_zone:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC, availability_zones=[vpc.availability_zones[0]])
    return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
