#!/usr/bin/env python3
"""The CDK app: `cdk synth -c config=examples/minecraft-java.yaml`. A bad config stops here with exit code 2."""

import sys

from napstack.cli import stopping_cleanly  # the standard library only: the rest loads once Ctrl-C is one line


def main() -> int:
    from napstack.leftovers import jsii_temp_folder

    with jsii_temp_folder():  # jsii starts node here: its temporary files go where a Ctrl-C still removes them
        import aws_cdk as cdk

    from napstack.app_builder import build_app
    from napstack.cli import report_config_error
    from napstack.config import ConfigError, load_config
    from napstack.synth import synth_app
    from stacks.lambda_packages import BundleError

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
