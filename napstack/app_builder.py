"""Build the CDK app for one config: the shared base stack and the leaf stack of the container."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from napstack.config import NapstackConfig
from napstack.settings import LEAF_NAME_TAG
from stacks.base_stack import BaseStack
from stacks.leaf_stack import LeafStack
from stacks.start_stack import StartOnLookupStack


def build_app(config: NapstackConfig, app: cdk.App | None = None, nag: bool = True) -> cdk.App:
    app = app or cdk.App()
    # The base and leaf stacks deploy to LeafRegion, where start_server looks for them, whatever the CLI profile's
    # region. The account stays unresolved: a concrete one would make the VPC look up its zones (an AWS call).
    leaf_env = cdk.Environment(region=config.base.leaf_region)
    base = BaseStack(
        app, config.base.base_stack_name, config=config.base, env=leaf_env, description="napstack: shared VPC and alerts"
    )
    leaf = LeafStack(
        app,
        config.leaf.stack_name,
        config=config,
        vpc=base.vpc,
        alerts_topic=base.alerts_topic,
        key_pair=base.key_pair,
        env=leaf_env,
        description=f"napstack: {config.leaf.name} ({config.leaf.container.image}) on demand",
    )
    cdk.Tags.of(leaf).add(LEAF_NAME_TAG, config.leaf.name)
    if config.base.start_on_lookup:
        StartOnLookupStack(
            app,
            config.base.start_stack_name,
            config=config.base,
            served=dict(config.served),
            description=f"napstack: a DNS lookup in {config.base.domain_name} starts its server (us-east-1)",
        )
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
