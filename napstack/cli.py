"""`python -m napstack COMMAND`: schema, summary (and later replay, diagram). Exit 2 for a bad command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from napstack.config import ConfigError, load_config
from napstack.reference import write_generated_files
from napstack.summary import summarize


def _schema(args: argparse.Namespace) -> int:
    for path in write_generated_files():
        print(f"wrote {path}")
    return 0


def report_config_error(error: ConfigError) -> int:
    print(f"napstack: {len(error.problems)} problem(s) in the config:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)
    return 2


def _check(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        return report_config_error(error)
    print(f"{args.config}: ok — stack {config.leaf.stack_name}, players connect to {config.dns_name}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    cdk_out = Path(args.cdk_out)
    if not (cdk_out / "manifest.json").is_file():
        print(f"napstack: {cdk_out} holds no cloud assembly (manifest.json); run `make demo` first", file=sys.stderr)
        return 2
    print("\n".join(summarize(cdk_out)))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m napstack", description="napstack: containers on AWS only while someone plays")
    commands = root.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="write the JSON Schemas (examples/) and CONFIG.md from the config model")
    schema.set_defaults(run=_schema)
    check = commands.add_parser("check", help="validate a game config and its base config")
    check.add_argument("config", help="path to the game's YAML file")
    check.set_defaults(run=_check)
    summary = commands.add_parser("summary", help="list the stacks and nested stacks of a cloud assembly")
    summary.add_argument("cdk_out", nargs="?", default="cdk.out")
    summary.set_defaults(run=_summary)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
