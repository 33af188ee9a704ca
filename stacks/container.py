"""Container: the ECS-on-EC2 task definition and the game's container, logging to a log group with retention."""

from aws_cdk import NestedStack, aws_ecs as ecs
from constructs import Construct

from napstack.config import LeafConfig
from stacks.acknowledge import acknowledge
from stacks.log_group import napstack_log_group

CONTAINER_NAME = "game"


class Container(NestedStack):
    def __init__(self, scope: Construct, construct_id: str, *, config: LeafConfig) -> None:
        super().__init__(scope, construct_id)
        # Bridge mode gives the game its own network namespace: the watchdog counts connections there,
        # so the host's own traffic (SSM, EFS, ECS agent) never looks like a player.
        self.task_definition = ecs.Ec2TaskDefinition(self, "Task", network_mode=ecs.NetworkMode.BRIDGE)
        log_group = napstack_log_group(self, "Logs")
        self.container = self.task_definition.add_container(
            CONTAINER_NAME,
            image=ecs.ContainerImage.from_registry(config.container.image),
            memory_limit_mib=config.container.memory_mib,
            environment=dict(config.container.environment),
            logging=ecs.LogDriver.aws_logs(stream_prefix=config.name, log_group=log_group),
            essential=True,
        )
        for mapping in config.container.ports:
            protocol = ecs.Protocol.TCP if mapping.protocol == "tcp" else ecs.Protocol.UDP
            for port in mapping.ports:
                self.container.add_port_mappings(ecs.PortMapping(container_port=port, host_port=port, protocol=protocol))
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "Environment comes from the user's config and holds game settings; the README says to keep secrets out.",
        )
