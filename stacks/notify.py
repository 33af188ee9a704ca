"""Notify: this server's alerts posted to the chats and webhooks its config names (issue 24).

A function subscribed to the base's alerts topic, filtered to this server and to the kinds its channels take, so it
runs only when there is something to send: nothing runs, and nothing is billed, while the server sleeps.
"""

from aws_cdk import Duration, Stack, aws_iam as iam, aws_sns as sns, aws_sns_subscriptions as subscriptions
from constructs import Construct

from napstack.config import NapstackConfig
from napstack.settings import NOTIFY, notify_environment
from stacks.lambda_function import napstack_function


class Notify(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, alerts_topic: sns.ITopic, config: NapstackConfig) -> None:
        super().__init__(scope, construct_id)
        channels = config.notify_channels
        # Three attempts of at most 5 s and waits of at most 10 s per channel; the rest is margin.
        self.function = napstack_function(
            self, "Function", name=NOTIFY, environment=notify_environment(config, alerts_topic.topic_arn),
            timeout=Duration.seconds(min(900, 30 + 40 * len(channels))),
        )
        stack = Stack.of(self)
        # Exactly the named parameters. Their values are encrypted with the AWS managed key aws/ssm, whose key policy
        # lets every principal of the account decrypt through SSM: no kms:Decrypt statement is needed. The tag calls
        # keep the mark of a gone webhook on its parameter (functions/notify/dead_webhooks.py): told once per URL.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["ssm:GetParameter", "ssm:ListTagsForResource", "ssm:AddTagsToResource"],
            resources=sorted({stack.format_arn(service="ssm", resource="parameter",
                                               resource_name=c.url_parameter.removeprefix("/")) for c in channels}),
        ))
        alerts_topic.grant_publish(self.function)  # the one e-mail about a notification that could not be delivered
        kinds = sorted({kind for channel in channels for kind in channel.kinds})
        alerts_topic.add_subscription(subscriptions.LambdaSubscription(self.function, filter_policy={
            "server": sns.SubscriptionFilter.string_filter(allowlist=[config.leaf.name]),
            "kind": sns.SubscriptionFilter.string_filter(allowlist=kinds),
        }))
