"""BaseStack: what every leaf shares — a VPC with public subnets only, the alerts topic, the status page, an optional
key pair."""

from aws_cdk import Stack, aws_ec2 as ec2, aws_sns as sns, aws_sns_subscriptions as subscriptions
from constructs import Construct

from napstack.config import BaseConfig
from stacks.acknowledge import acknowledge
from stacks.status_page import StatusPage


class BaseStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: BaseConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Public subnets only: a NAT gateway would cost ~$32/month per AZ while nobody plays.
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=config.max_azs,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC)],
            restrict_default_security_group=False,
        )
        acknowledge(self.vpc, "AwsSolutions-VPC7", "Flow logs are billed per GB; the only traffic is the game's own.")

        self.alerts_topic = sns.Topic(self, "Alerts", display_name="napstack alerts", enforce_ssl=True)
        for email in config.alert_emails:
            self.alerts_topic.add_subscription(subscriptions.EmailSubscription(email))

        if config.status_page.enabled:  # one page per base, every game on it (found at run time by their tags)
            self.status_page = StatusPage(self, "StatusPage", config=config)
        self.key_pair = (
            ec2.KeyPair(self, "SshKeyPair", key_pair_name=config.ssh_key_pair.name) if config.ssh_key_pair else None
        )
