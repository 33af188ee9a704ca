"""`python -m napstack COMMAND` (see `--help`). Exit 2 for a bad command line, config or input file."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import logging
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from napstack import __version__

if TYPE_CHECKING:
    from napstack.config import ConfigError

# Nothing heavier than the standard library at import: botocore, the config model and the emulator load inside the
# command, once Ctrl-C and SIGTERM end it with one line (a signal during an import at the top would be a traceback).


def load_config(path):
    from napstack.config import load_config as load

    return load(path)


def _schema(args: argparse.Namespace) -> int:
    from napstack.reference import write_generated_files

    for path in write_generated_files():
        print(f"wrote {path}")
    return 0


def report_config_error(error: ConfigError) -> int:
    print(f"napstack: {len(error.problems)} problem(s) in the config:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)
    return 2


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(f"{args.config}: ok — stack {config.leaf.stack_name}, players connect to {config.dns_name}")
    if config.leaf.ec2.warm_pool:
        from napstack.cost import PriceError, warm_pool_trade_off

        try:
            print(warm_pool_trade_off(config))
        except PriceError as error:  # the config is fine; only its price is unknown
            print(f"Ec2.WarmPool: its cost is unknown ({error})")
        from napstack.image_registry import needs_credentials_we_lack

        host = needs_credentials_we_lack(config.leaf.container.image)
        if host:
            print(f"warning: Ec2.WarmPool pulls Container.Image ahead from {host} without a login (only ECR's is "
                  f"done for it): were the image private there, the pull fails and the pool only costs its volume")
    if config.base.status_page.enabled:
        from napstack.cost import PriceError, page_concurrency_note

        try:
            print(page_concurrency_note(config))
        except PriceError as error:  # the config is fine; only its price is unknown
            print(f"StatusPage: what a flood of requests costs is unknown ({error})")
        # Hashes made before napstack moved to OWASP's scrypt floor (N = 2^17) still match: say so, once each.
        for where, stored in (("the base's", config.base.status_page.passphrase_hash),
                              (f"{config.leaf.name}'s", config.leaf.status_page.passphrase_hash)):
            if stored and not stored.startswith("scrypt$17$"):
                print(f"warning: {where} StatusPage.PassphraseHash costs scrypt N=2^{stored.split('$')[1]}, below "
                      "OWASP's 2^17: it still works; `napstack passphrase` makes one a stolen hash resists better")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from napstack.assembly import AssemblyError
    from napstack.summary import summarize

    cdk_out = Path(args.cdk_out)
    if not (cdk_out / "manifest.json").is_file():
        print(f"napstack: {cdk_out} holds no cloud assembly (manifest.json); run `make demo` first", file=sys.stderr)
        return 2
    try:
        lines = summarize(cdk_out)
    except AssemblyError as error:  # it names the folder and what is wrong
        print(f"napstack: {error}; synthesize it again with `make synth`", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _replay(args: argparse.Namespace) -> int:
    import json as json_module

    from napstack.emulator.replay import EventError, load_event, replay, validate_event
    from napstack.emulator.template import TemplateError
    from napstack.emulator.report import render
    from napstack.emulator.faults import FaultError, load_faults
    from napstack.emulator.scenario import ScenarioError, load_scenario
    from napstack.synth import SynthError
    from napstack.assembly import AssemblyError

    config = load_config(args.config)
    try:
        event = load_event(args.event)
        if args.live is not None:
            local_only = (("--scenario", args.scenario), ("--faults", args.faults), ("--assembly", args.assembly),
                          ("--aws-times", args.aws_times))
            ignored = [name for name, value in local_only if value]
            if ignored or args.max_hours != DEFAULT_MAX_HOURS:
                print(f"napstack: {', '.join(ignored) or '--max-hours'} only apply to a local replay, not to --live",
                      file=sys.stderr)
                return 2
            if not args.live.strip():
                print("napstack: --live needs a deployed stack name, e.g. --live Napstack-MinecraftJava", file=sys.stderr)
                return 2
            return _replay_live(args.live, args.yes, validate_event(event), config.base.start_stack_name)
        scenario = load_scenario(args.scenario)
        faults = load_faults(args.faults)
        assembly = _assembly(args.assembly, config) if args.assembly else None
        progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
        try:
            result = replay(config, event, scenario, max_hours=args.max_hours, faults=faults, assembly=assembly,
                            progress=progress, aws_times=args.aws_times)
        finally:
            if progress:
                progress.clear()
    except AssemblyError as error:
        print(f"napstack: {error}", file=sys.stderr)
        return 2
    except SynthError as error:  # a full disk; the functions' packages for Lambda not installed
        print(f"napstack: {error}", file=sys.stderr)
        return 1
    except TemplateError as error:  # what CloudFormation or Step Functions would refuse at deploy
        print(f"napstack: the assembly would not deploy: {error}", file=sys.stderr)
        return 1
    except EventError as error:
        print(f"napstack: {args.event}: {error}", file=sys.stderr)
        return 2
    except (ScenarioError, FaultError) as error:  # the message names the file
        print(f"napstack: {error}", file=sys.stderr)
        return 2
    print(json_module.dumps(result.as_json(), indent=2) if args.json else render(result))
    if not args.json:
        for execution in result.executions:
            if execution.status != "SUCCEEDED" and not execution.stopped_by_napstack:
                print(f"napstack: {execution.state_machine} {execution.name} {execution.status}: "
                      f"{execution.error}: {execution.cause}", file=sys.stderr)
        for error in result.function_errors:
            print(f"napstack: {error}", file=sys.stderr)
    return 0 if result.succeeded else 1


class _Progress:
    """A long replay's progress on the terminal: one line on stderr, rewritten in place a few times a second and
    cleared at the end, so that nothing of it stays in what the replay prints."""

    EVERY_SECONDS = 0.25

    def __init__(self, stream):
        self.stream, self.shown, self.next_at = stream, False, 0.0

    def __call__(self, simulated, checks: int) -> None:
        import time

        if time.monotonic() < self.next_at:
            return
        self.next_at = time.monotonic() + self.EVERY_SECONDS
        hours, rest = divmod(int(simulated.total_seconds()), 3600)
        self.stream.write(f"\r\x1b[Kreplaying: {hours}:{rest // 60:02d} simulated, {checks} watchdog checks")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _assembly(folder: str, config) -> Path:
    """A cdk.out synthesized from the config, or an AssemblyError that says what differs and what to do."""
    from napstack.assembly import AssemblyError, load_assembly
    from napstack.synth import config_differences

    again = f"synthesize it again (make synth CONFIG={config.source})"
    try:
        stacks = load_assembly(folder)
    except AssemblyError as error:
        raise AssemblyError(f"{error}; {again}") from None
    if config.leaf.stack_name not in stacks:
        raise AssemblyError(f"{folder} holds no stack {config.leaf.stack_name} (it holds {', '.join(stacks) or 'none'}): "
                            f"{again}")
    source, differences = config_differences(Path(folder), config)
    if differences:
        shown = ", ".join(differences[:5]) + (f" and {len(differences) - 5} more" if len(differences) > 5 else "")
        raise AssemblyError(f"{folder} was synthesized from {source}, and --config {config.source} differs from it in "
                            f"{shown}: replay with --config {source}, or {again}")
    return Path(folder)


def _replay_live(stack_name: str, confirmed: bool, event: dict, start_stack_name: str) -> int:
    """Start an execution of the deployed hook with the event as input, in the account the credentials name."""
    import json as json_module

    from botocore.exceptions import BotoCoreError, ClientError

    from napstack.control import deployed_state_machine_arn
    from napstack.settings import hook_state_machine_name

    if "awslogs" in event:
        print(
            "napstack: --live sends EventBridge events to the deployed hook; a query-log payload belongs to "
            f"start_server in {start_stack_name} (invoke it from the Lambda console), so nothing was sent",
            file=sys.stderr,
        )
        return 2
    if not confirmed:
        print(
            f"napstack: --live starts a real execution of {hook_state_machine_name(stack_name)} in your AWS account, "
            "which may start or stop your server; add --yes to do it",
            file=sys.stderr,
        )
        return 2
    session = _aws_session(stack_name)
    if session is None:
        return 2
    try:
        arn = deployed_state_machine_arn(session, hook_state_machine_name(stack_name))
        execution = session.client("stepfunctions").start_execution(stateMachineArn=arn, input=json_module.dumps(event))
    except (BotoCoreError, ClientError) as error:
        print(f"napstack: could not start the deployed hook: {error}", file=sys.stderr)
        return 1
    print(f"started {execution['executionArn']}")
    print(f"watch it: https://console.aws.amazon.com/states/home?region={session.region_name}#/v2/executions/details/{execution['executionArn']}")
    return 0


def _event(args: argparse.Namespace) -> int:
    """Print a replayable event for a config: today, a Route53 query-log delivery of one lookup of its name."""
    import json as json_module
    from datetime import datetime, timezone

    from napstack.emulator.log_payload import lookup_payload

    config = load_config(args.config)
    base = config.base
    # An SRV lookup is of the record napstack publishes (`_minecraft._tcp.<name>`), as the game's client asks for it.
    prefix = config.leaf.srv_prefix
    name = f"{prefix}.{config.dns_name}" if args.type == "SRV" and prefix else config.dns_name
    payload = lookup_payload(datetime.now(timezone.utc), base.hosted_zone_id, base.domain_name, name, args.type)
    print(json_module.dumps(payload, indent=2))
    return 0


def _cost(args: argparse.Namespace) -> int:
    import json as json_module

    from napstack.cost import PriceError, estimate, hourly_while_up, render

    config = load_config(args.config)
    try:
        result = estimate(config, args.hours_per_month, args.region, args.storage_gb, args.sessions,
                          zone_queries=args.zone_queries, page_views=args.page_views)
    except PriceError as error:
        print(f"napstack: {error}", file=sys.stderr)
        return 2
    data = {**result.as_json(), "hourly_while_up": hourly_while_up(config, result.region)}
    print(json_module.dumps(data, indent=2) if args.json else render(config, result))
    return 0


# The example the README replays, found from any folder: not `examples/...` under the current one.
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "minecraft-java.yaml"
HOURS_IN_A_MONTH = 744  # 31 days
DEFAULT_MAX_HOURS = 72


def _number(text: str, low: float, high: float, what: str) -> float:
    """A finite number in [low, high]; argparse turns the error into `argument --x: ...` and exit 2."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} is not {what} (between {low:g} and {high:g})")
    return value


def _hours_per_month(text: str) -> float:
    return _number(text, 0, HOURS_IN_A_MONTH, "a number of hours in a month")


def _storage_gb(text: str) -> float:
    return _number(text, 0, 1_000_000, "a size in GB")


def _whole(text: str, low: int, high: int, what: str) -> int:
    value = _number(text, low, high, what)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text} is not {what}")
    return int(value)


def _above_zero(text: str, high: float, what: str) -> float:
    value = _number(text, 0, high, what)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0")
    return value


def _region(text: str) -> str:
    from napstack.config import commercial_regions

    if text not in commercial_regions():
        raise argparse.ArgumentTypeError(f"{text!r} is not a region a leaf can be deployed to (one of: "
                                         f"{', '.join(commercial_regions())})")
    return text


def _zone_queries(text: str) -> int:
    return _whole(text, 0, 10**12, "a whole number of queries")


def _page_views(text: str) -> int:
    return _whole(text, 0, 100_000_000, "a number of page views")


def _sessions(text: str) -> int:
    return _whole(text, 0, 100_000, "a whole number of sessions")


def _max_hours(text: str) -> float:
    return _above_zero(text, 24 * 366, "a number of simulated hours")


def _aws_session(stack: str, region: str | None = None):
    """The user's own session in `region` (default: the profile's), or None after saying what is missing (exit 2)."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(region_name=region)
    except ProfileNotFound as error:
        print(f"napstack: {error}: check AWS_PROFILE against the profiles in ~/.aws/config", file=sys.stderr)
        return None
    if session.get_credentials() is None:
        print("napstack: no AWS credentials are configured: set AWS_PROFILE (or run `aws configure`) first", file=sys.stderr)
        return None
    if not session.region_name:
        print(
            f"napstack: no AWS region is configured: pass --config (its LeafRegion) or --region, or set "
            f"AWS_DEFAULT_REGION (or `region` in your profile) to {stack}'s region",
            file=sys.stderr,
        )
        return None
    return session


def _control(args: argparse.Namespace) -> int:
    import json as json_module

    from botocore.exceptions import BotoCoreError, ClientError

    from napstack.control import ControlError, render_status, set_running, status

    if args.config and args.region:
        print("napstack: --region goes with --stack; with --config the stack is asked in the config's LeafRegion",
              file=sys.stderr)
        return 2
    if args.config:  # the stack where it was deployed: LeafRegion, whatever the profile's region
        config = load_config(args.config)
        stack, region, base_stack = config.leaf.stack_name, config.base.leaf_region, config.base.base_stack_name
    else:  # a leaf named by hand: its base (and its page) unknown
        stack, region, base_stack = args.stack, args.region, None
    session = _aws_session(stack, region)
    if session is None:
        return 2
    try:
        if args.command == "status":
            data = status(session, stack, base_stack=base_stack)
            print(json_module.dumps(data, indent=2) if args.json else render_status(data))
        else:
            print(set_running(session.client("autoscaling"), stack, args.command == "start"))
    except ControlError as error:
        print(f"napstack: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"napstack: AWS said: {error}", file=sys.stderr)
        return 1
    return 0


def _query(args: argparse.Namespace) -> int:
    import json as json_module

    from napstack.query import QueryFailed, address, query

    try:
        result = query(args.protocol, args.host, args.port, args.timeout)
    except QueryFailed as error:
        if args.json:  # what a script reads: an object saying why, never an empty stdout
            print(json_module.dumps({"protocol": args.protocol, "host": args.host, "port": args.port,
                                     "error": str(error)}, indent=2))
        else:
            print(f"napstack: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json_module.dumps(result.as_json(), indent=2))
    else:  # the server's text arrives cleaned (game_query.clean): no escape sequence reaches the terminal
        names = f" ({', '.join(result.names)})" if result.names else ""
        motd = f" \"{result.motd}\"" if result.motd else ""
        print(f"{address(args.host, args.port)} {result.protocol}{motd}: {result.players}/{result.max_players} players{names}, "
              f"version {result.version or 'unknown'}, {result.latency_ms:g} ms")
    return 0


def _port(text: str) -> int:
    return _whole(text, 1, 65535, "a port number")


def _host(text: str) -> str:
    """--host: an IP address or a DNS name, refused as a bad command line rather than asked as a query that fails."""
    import ipaddress

    from napstack.config import DNS_LABEL, MAX_DNS_NAME

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        name = text.lower().removesuffix(".")
    if len(name) <= MAX_DNS_NAME and all(DNS_LABEL.fullmatch(label) for label in name.split(".")):
        return text
    raise argparse.ArgumentTypeError(f"{text[:80]!r} is not an IP address or a DNS name such as mc.example.com")


def _timeout(text: str) -> float:
    return _above_zero(text, 60, "a timeout in seconds")


def _notify_test(args: argparse.Namespace) -> int:
    import json as json_module

    from napstack.notify_test import NotifyTestError, local_preview, send_live

    config = load_config(args.config)
    if not config.notify_channels:
        print(f"napstack: {args.config} and its base name no Notify: channels; add one such as "
              "{Channel: discord, UrlParameter: /napstack/discord}", file=sys.stderr)
        return 2
    if not args.live:
        preview = local_preview(config)
        for post in preview if not args.json else []:
            print(f"{post['channel']} {post['kind']} (URL from {post['parameter']}):\n  {json_module.dumps(post['body'], ensure_ascii=False)}")
        if args.json:
            print(json_module.dumps(preview, indent=2, ensure_ascii=False))
        return 0
    session = _aws_session(config.leaf.stack_name, config.base.leaf_region)
    if session is None:
        return 2
    try:
        deliveries = send_live(session, config)
    except NotifyTestError as error:
        print(f"napstack: {error}", file=sys.stderr)
        return 1
    for delivery in deliveries:
        outcome = "delivered" if delivery.get("delivered") else f"NOT delivered: {delivery.get('error')}"
        print(f"{delivery.get('channel')} ({delivery.get('parameter')}): {outcome}")
    return 0 if deliveries and all(d.get("delivered") for d in deliveries) else 1


def _passphrase(args: argparse.Namespace) -> int:
    from napstack.passphrase import PassphraseError, passphrase_hash, read_passphrase

    try:
        text = read_passphrase()
    except (PassphraseError, EOFError) as error:
        print(f"napstack: {error or 'no passphrase was given'}", file=sys.stderr)
        return 2
    print(passphrase_hash(text))
    if sys.stdout.isatty():
        print("put it in base.yaml (every game) or a game's file:  StatusPage: {PassphraseHash: '...'}", file=sys.stderr)
    return 0


def _page(args: argparse.Namespace) -> int:
    from napstack.emulator.scenario import ScenarioError, load_scenario
    from napstack.page_server import PageError, serve
    from napstack.synth import SynthError

    config = load_config(args.config)
    try:
        scenario = load_scenario(args.scenario)
        serve(config, args.port, args.passphrase, scenario, sys.stdout, threading.Event())
    except (ScenarioError, PageError) as error:
        print(f"napstack: {error}", file=sys.stderr)
        return 2
    except SynthError as error:  # as replay: a full disk; the functions' packages for Lambda not installed
        print(f"napstack: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # the port is taken, or not ours to bind
        print(f"napstack: cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0


def _local_passphrase(text: str) -> str:
    from napstack.passphrase import PassphraseError, checked

    try:  # the same rules as `napstack passphrase`: what works locally works deployed
        return checked(text)
    except PassphraseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _listen_port(text: str) -> int:
    return _whole(text, 0, 65535, "a port number (0: any free port)")


def _diagram(args: argparse.Namespace) -> int:
    from napstack.diagram import README, write_diagrams

    print(f"{'updated' if write_diagrams() else 'already current:'} {README}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="napstack", description="napstack: containers on AWS only while someone plays")
    root.add_argument("--version", action="version", version=f"napstack {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="write the JSON Schemas (examples/) and CONFIG.md from the config model")
    schema.set_defaults(run=_schema)
    check = commands.add_parser("check", help="validate a game config and its base config")
    check.add_argument("config", help="path to the game's YAML file")
    check.set_defaults(run=_check)
    summary = commands.add_parser("summary", help="list the stacks and nested stacks of a cloud assembly")
    summary.add_argument("cdk_out", nargs="?", default="cdk.out")
    summary.set_defaults(run=_summary)
    event = commands.add_parser("dns-lookup-event", help="print a query-log delivery of one lookup of a config's name")
    event.add_argument("--config", default=str(DEFAULT_CONFIG), help="game config (default: napstack's minecraft-java example)")
    event.add_argument("--type", default="A", choices=["A", "AAAA", "TXT", "MX", "HTTPS", "SRV"], help="query type")
    event.set_defaults(run=_event)
    cost = commands.add_parser("cost", help="monthly cost of a config, line by line (no AWS calls)")
    cost.add_argument("config", help="game config")
    cost.add_argument("--hours-per-month", type=_hours_per_month, default=60, help="hours played a month (default 60)")
    cost.add_argument("--region", help="price another AWS region (default: the config's LeafRegion, where it runs)")
    cost.add_argument("--storage-gb", type=_storage_gb, default=10, help="GB kept on EFS (default 10)")
    cost.add_argument("--sessions", type=_sessions, help="play sessions a month (default: one per 3 hours played)")
    cost.add_argument("--zone-queries", type=_zone_queries, default=0,
                      help="queries a month to the zone's other names (www, MX, ...): logged, never passed on (default 0)")
    cost.add_argument("--page-views", type=_page_views,
                      help="views of the status page a month (default: 20 a session, friends waiting for a start)")
    cost.add_argument("--json", action="store_true", help="print one JSON object")
    cost.set_defaults(run=_cost)
    for name, text in (
        ("start", "start a deployed server now (desired capacity 1), with your AWS credentials"),
        ("stop", "stop a deployed server now (desired capacity 0); data stays on EFS"),
        ("status", "instances, public IP, DNS value, watchdog and its idle count"),
    ):
        control = commands.add_parser(name, help=text)
        target = control.add_mutually_exclusive_group(required=True)
        target.add_argument("--config", help="the game's YAML file: its leaf stack, in its LeafRegion")
        target.add_argument("--stack", help="the leaf stack by name, e.g. Napstack-MinecraftJava")
        control.add_argument("--region", type=_region, help="with --stack: the region it is deployed to (default: your profile's)")
        if name == "status":
            control.add_argument("--json", action="store_true", help="print one JSON object")
        control.set_defaults(run=_control)
    from napstack.query import PROTOCOLS

    ask = commands.add_parser("query", help="ask a running game server how many players are online (exit 1: no answer)")
    ask.add_argument("--protocol", required=True, choices=PROTOCOLS, help="the game's query protocol")
    ask.add_argument("--host", required=True, type=_host, help="the server's address, e.g. mc.example.com")
    ask.add_argument("--port", required=True, type=_port, help="the query port (often the game port)")
    ask.add_argument("--timeout", type=_timeout, default=3.0, help="seconds to wait for an answer (default 3)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(run=_query)
    notify = commands.add_parser("notify-test", help="show what each chat of a config's Notify would get; --live sends a test")
    notify.add_argument("--config", required=True, help="the game's YAML file")
    notify.add_argument("--live", action="store_true",
                        help="send one test message through the deployed function (your AWS credentials); exit 1 if one fails")
    notify.add_argument("--json", action="store_true", help="without --live: print the bodies as one JSON list")
    notify.set_defaults(run=_notify_test)
    passphrase = commands.add_parser("passphrase", help="hash a wake passphrase for StatusPage.PassphraseHash "
                                     "(typed without echo, or the first line of stdin)")
    passphrase.set_defaults(run=_passphrase)
    page = commands.add_parser("page", help="serve the status page on 127.0.0.1 against the emulated world (no AWS)")
    page.add_argument("--config", required=True, help="the game's YAML file (its base's other games are not shown)")
    page.add_argument("--port", type=_listen_port, default=8023, help="port on 127.0.0.1 (default 8023; 0: any free port)")
    page.add_argument("--passphrase", type=_local_passphrase,
                      help="the wake passphrase for this local run only (default: the config's StatusPage.PassphraseHash)")
    page.add_argument("--scenario", help="YAML: what the game answers at each watchdog check (see events/scenarios/)")
    page.set_defaults(run=_page)
    diagram = commands.add_parser("diagram", help="draw each state machine (mermaid) into state_machines/README.md")
    diagram.set_defaults(run=_diagram)
    replay = commands.add_parser(
        "replay", help="send an event through the emulated stack and print every state it causes (no AWS account)"
    )
    replay.add_argument("event", help="an event JSON file, as EventBridge delivers it (see events/)")
    replay.add_argument("--config", default=str(DEFAULT_CONFIG), help="game config (default: napstack's minecraft-java example)")
    replay.add_argument("--scenario", help="YAML: what the instance reports at each watchdog check")
    replay.add_argument("--faults", help="YAML: faults the emulated AWS produces (see events/faults/)")
    replay.add_argument("--json", action="store_true", help="print one JSON object instead of the timeline")
    replay.add_argument("--aws-times", action="store_true",
                        help="model how long AWS's own steps take (a launch, a start from the warm pool, the image pull: "
                        "napstack/emulator/aws_times.py) instead of none")
    replay.add_argument("--assembly", metavar="CDK_OUT",
                        help="replay this synthesized cloud assembly (default: the config's, synthesized in-process)")
    replay.add_argument(
        "--max-hours", type=_max_hours, default=DEFAULT_MAX_HOURS, help="stop executions still running after this much simulated time"
    )
    replay.add_argument("--live", metavar="STACK", help="send the event to this deployed leaf stack instead (e.g. Napstack-MinecraftJava)")
    replay.add_argument("--yes", action="store_true", help="confirm --live: it acts on your real server")
    replay.set_defaults(run=_replay)
    return root


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM. A BaseException, as KeyboardInterrupt is, so that no `except Exception` on the
    way takes it for an error; every `finally` and `with` on the way still removes what it made."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


SIGNAL_NAMES = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}


def _stop(signum, frame) -> None:
    for each in SIGNAL_NAMES:  # one signal is enough: a second one must not cut the clean-up short
        signal.signal(each, signal.SIG_IGN)
    # Threads still running while the clean-up stops them (moto's executions, after the emulator has put moto's log
    # level back) would log their interruption after the one line that says why.
    logging.disable(logging.CRITICAL)
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_stop_cleanly():
    """Within: SIGINT and SIGTERM raise Interrupted in the main thread. Outside, the caller's handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {each: signal.signal(each, _stop) for each in SIGNAL_NAMES}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def _interrupted(signum: int) -> int:
    # A Ctrl-C at a terminal reaches the whole process group: CDK's node process is gone already, and jsii's exit
    # handler, failing to write to its pipe, would print a traceback after the one line that says why (the command
    # and app.py, which `cdk synth` runs, alike).
    sys.unraisablehook = lambda unraisable: None
    print(f"napstack: {SIGNAL_NAMES[signum]}: stopped; nothing half-written is left behind", file=sys.stderr)
    return 128 + signum  # as a shell reports a command a signal ended: 130, 143


def stopping_cleanly(command: Callable[[], int]) -> int:
    """`command()`; Ctrl-C or SIGTERM ends it with one line and exit 130 or 143, once every `finally` ran."""
    try:
        with _signals_stop_cleanly():
            return command()
    except Interrupted as stop:
        return _interrupted(stop.signum)
    except KeyboardInterrupt:  # a SIGINT that arrived before the handler was in place, or after it was removed
        return _interrupted(signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    def command() -> int:
        from napstack.config import ConfigError
        from napstack.leftovers import sweep
        from napstack.synth import cache_folder

        args = parser().parse_args(argv)  # within: a type check may load botocore's region list
        sweep(cache_folder())  # what a run killed outright (SIGKILL) could not remove
        try:
            return args.run(args)
        except ConfigError as error:  # every command that reads a config reports its problems the same way
            return report_config_error(error)

    try:
        return stopping_cleanly(command)
    except BrokenPipeError:  # `napstack replay ... | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


GC_EVERY_ALLOCATIONS = 700_000  # Python's default: 700


def run() -> None:
    """The command's entry point: `main()`, then out of the process without tearing every module down one by one
    (a second after a replay, whose emulated world is hundreds of thousands of objects). Exit handlers still run
    (temporary folders, logging) and the output is flushed first: nothing written is lost.
    The cyclic garbage collector runs a thousand times less often: a command's objects (moto's models, the parsed
    definitions, the world) live until it ends, and scanning them again and again was a fifth of a replay's start."""
    gc.set_threshold(GC_EVERY_ALLOCATIONS, 50, 100)
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: the reader has gone
            pass
    os._exit(code or 0)
