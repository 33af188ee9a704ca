"""LeafStack: one container run on demand, as six nested stacks wired exactly like the graph in DEVELOPERS.md."""

from aws_cdk import Stack, Tags, aws_ec2 as ec2, aws_sns as sns
from constructs import Construct

from napstack.config import NapstackConfig
from napstack.settings import leaf_tags
from stacks.asg_state_change_hook import AsgStateChangeHook
from stacks.container import Container
from stacks.ecs_asg import EcsAsg
from stacks.efs import Efs
from stacks.notify import Notify
from stacks.placement import ServerPlacement
from stacks.security_groups import SecurityGroups
from stacks.watchdog import Watchdog


class LeafStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: NapstackConfig,
        vpc: ec2.IVpc,
        alerts_topic: sns.ITopic,
        key_pair: ec2.IKeyPair | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        leaf = config.leaf
        # The state machines tag every alert with its server; this game's own recipients get only its alerts.
        # An address the base already subscribes gets every alert: a second subscription would send each twice.
        everyone = {email.lower() for email in config.base.alert_emails}
        for index, email in enumerate(e for e in leaf.alert_emails if e.lower() not in everyone):
            sns.Subscription(
                self,
                f"AlertEmail{index}",
                topic=alerts_topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=email,
                filter_policy={"server": sns.SubscriptionFilter.string_filter(allowlist=[leaf.name])},
            )
        if config.notify_channels:
            Notify(self, "Notify", alerts_topic=alerts_topic, config=config)
        placement = ServerPlacement(self, "ServerPlacement", vpc=vpc, config=leaf)
        security_groups = SecurityGroups(self, "SecurityGroups", vpc=vpc, config=leaf)
        container = Container(self, "Container", config=leaf)
        efs = Efs(
            self,
            "Efs",
            vpc=vpc,
            sg_efs_traffic=security_groups.sg_efs_traffic,
            task_definition=container.task_definition,
            container=container.container,
            placement=placement,
            config=leaf,
        )
        ecs_asg = EcsAsg(
            self,
            "EcsAsg",
            vpc=vpc,
            sg_container_traffic=security_groups.sg_container_traffic,
            task_definition=container.task_definition,
            efs_file_system=efs.efs_file_system,
            host_access_point=efs.host_access_point,
            subnets=placement.subnets,
            config=leaf,
            key_pair=key_pair,
        )
        ecs_asg.node.add_dependency(placement)  # a One Zone subnet routes to the internet before an instance boots
        for key, value in leaf_tags(config).items():
            Tags.of(ecs_asg.auto_scaling_group).add(key, value, apply_to_launched_instances=False)
        watchdog = Watchdog(
            self,
            "Watchdog",
            task_definition=container.task_definition,
            ecs_cluster=ecs_asg.ecs_cluster,
            ec2_service=ecs_asg.ec2_service,
            auto_scaling_group=ecs_asg.auto_scaling_group,
            scale_down_asg_action=ecs_asg.scale_down_asg_action,
            alerts_topic=alerts_topic,
            config=leaf,
        )
        AsgStateChangeHook(
            self,
            "AsgStateChangeHook",
            ecs_cluster=ecs_asg.ecs_cluster,
            ec2_service=ecs_asg.ec2_service,
            auto_scaling_group=ecs_asg.auto_scaling_group,
            watchdog_state_machine=watchdog.state_machine,
            alerts_topic=alerts_topic,
            config=config,
        )
