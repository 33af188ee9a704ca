"""SecurityGroups: the game's ports open to the internet, NFS only from the container host to EFS, SSH only if configured."""

from aws_cdk import NestedStack, aws_ec2 as ec2
from constructs import Construct

from napstack.config import LeafConfig
from stacks.acknowledge import acknowledge

NFS_PORT = 2049


class SecurityGroups(NestedStack):
    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, config: LeafConfig) -> None:
        super().__init__(scope, construct_id)
        self.sg_container_traffic = ec2.SecurityGroup(
            self, "ContainerTraffic", vpc=vpc, description="Game ports from anywhere; SSH only from configured CIDRs"
        )
        for mapping in config.container.ports:
            port_range = (ec2.Port.tcp_range if mapping.protocol == "tcp" else ec2.Port.udp_range)(
                mapping.port, mapping.to_port or mapping.port
            )
            self.sg_container_traffic.add_ingress_rule(ec2.Peer.any_ipv4(), port_range, f"{config.name} players")
        for cidr in config.ssh.allowed_cidrs:
            self.sg_container_traffic.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(22), "SSH/SFTP")
        acknowledge(
            self.sg_container_traffic,
            "AwsSolutions-EC23",
            "A public game server: players connect from anywhere, on the configured game ports only.",
        )

        self.sg_efs_traffic = ec2.SecurityGroup(
            self, "EfsTraffic", vpc=vpc, description="NFS from the container host only", allow_all_outbound=False
        )
        self.sg_efs_traffic.add_ingress_rule(self.sg_container_traffic, ec2.Port.tcp(NFS_PORT), "NFS from the host")
