#!/usr/bin/env python3
"""The CDK app: `cdk synth -c config=examples/minecraft-java.yaml`. A bad config stops here with exit code 2."""

import sys

import aws_cdk as cdk

from napstack.app_builder import build_app
from napstack.cli import report_config_error, stopping_cleanly
from napstack.config import ConfigError, load_config
from napstack.synth import synth_app
from stacks.lambda_packages import BundleError


def main() -> int:
    app = cdk.App()
    config_file = app.node.try_get_context("config")
    if not config_file:
        print("napstack: no config given; run cdk with -c config=path/to/game.yaml", file=sys.stderr)
        return 2
    try:
        config = load_config(config_file)
    except ConfigError as error:
        return report_config_error(error)
    try:
        build_app(config, app)
    except BundleError as error:  # the functions' packages for Lambda are not installed: `make setup`
        print(f"napstack: cannot package the functions: {error}", file=sys.stderr)
        return 1
    synth_app(config, app)  # the templates, and beside them the config they were made from
    return 0


if __name__ == "__main__":
    sys.exit(stopping_cleanly(main))  # Ctrl-C during `cdk synth`: one line, exit 130
