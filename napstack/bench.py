"""`make bench`: medians of repeated runs on this machine. It measures; it does not judge (no thresholds)."""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEFAULT_CONFIG = ROOT / "examples" / "minecraft-java.yaml"
QUIET_ENV = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"}
# What Lambda sets for every function: the handlers create their clients at import, which needs a region.
LAMBDA_ENV = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
PEAK_RSS = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def _run(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env={**os.environ, **QUIET_ENV, **(env or {})}, check=True, capture_output=True, text=True
    )


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _run(command)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synth(config: Path, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as outdir:
        command = ["npx", "--no-install", "cdk", "synth", "--no-notices", "--quiet", "-c", f"config={config}", "-o", outdir]
        seconds = median_seconds(command, runs)
        peak_kib = [int(_run([sys.executable, "-c", PEAK_RSS, *command]).stdout.strip()) for _ in range(runs)]
    return {"synth_seconds": round(seconds, 2), "synth_peak_mib": round(statistics.median(peak_kib) / 1024)}


# What Lambda's Python runtime provides beside a function's code: the AWS SDK and what it needs.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def lambda_sys_path(asset: Path, workdir: Path) -> list[str]:
    """The sys.path of an interpreter that imports as Lambda does: the asset first, then only what the runtime
    provides (run it with -I -S: no site-packages). The asset is copied into `workdir` with each compiled module
    beside this machine's build of the same pinned release (the asset's own is built for Lambda's python and cannot
    load here); every other file imported is the asset's own."""
    import importlib.util
    import shutil
    from importlib.metadata import distributions, packages_distributions, version

    code, runtime = workdir / "task", workdir / "runtime"
    shutil.copytree(asset, code)
    runtime.mkdir()
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin)
        target = origin.parent if origin.name == "__init__.py" else origin
        (runtime / target.name).symlink_to(target)
    in_asset = {d.metadata["Name"].lower(): d.version for d in distributions(path=[str(code)])}
    for compiled in code.rglob("*.so"):
        relative = compiled.relative_to(code)
        module = ".".join([*relative.parts[:-1], relative.name.split(".")[0]])
        for dist in packages_distributions()[relative.parts[0]]:
            if in_asset.get(dist.lower()) != version(dist):
                raise RuntimeError(f"{dist} {version(dist)} here, {in_asset.get(dist.lower())} in {asset}: run `make setup`")
        shutil.copyfile(importlib.util.find_spec(module).origin, compiled.parent / Path(importlib.util.find_spec(module).origin).name)
    return [str(code), str(runtime)]


def lambda_import_command(asset: Path, workdir: Path, code: str, *options: str) -> list[str]:
    """A fresh interpreter running `code` after importing nothing but the asset and the runtime's own packages."""
    paths = lambda_sys_path(asset, workdir)
    return [sys.executable, "-I", "-S", *options, "-c", f"import sys; sys.path[:0] = {paths!r}; {code}"]


WAKE_PATH = ("start_server", "count_connections")  # the functions a player waits for on a wake


def handler_cold_start(function: str, samples: int) -> dict:
    """The function's cold start as whole processes from its asset (Powertools and the packages bundled beside it,
    the SDK from the runtime), alternated with `python -c pass` in the same run (one warm-up each, then the median of
    `samples`): `import app`, what Lambda's init runs, and for the wake path also the first invocation after it,
    its AWS calls answered at once: what a first check or delivery adds (clients made on first use, the event's
    validation), so no cost hides from the import's figure by moving out of it."""
    from stacks.lambda_function import code_folder

    floor = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as workdir:
        asset = Path(code_folder(function))
        commands = {"import": lambda_import_command(asset, Path(workdir), "import app")}
        if function in INVOCATION_SCRIPTS:
            commands["first_invocation"] = lambda_import_command(
                asset, Path(workdir) / "invoke", INVOCATION_SCRIPTS[function] + "invoke()\n")
        timings: dict[str, list[float]] = {"floor": [], **{name: [] for name in commands}}
        for turn in range(samples + 1):
            for name, command in [("floor", floor), *commands.items()]:
                seconds = _timed(lambda: _run(command, env=LAMBDA_ENV))
                if turn:  # the first writes the byte code a deployed asset's read-only folder would not keep either
                    timings[name].append(seconds)
    floor_ms = statistics.median(timings["floor"]) * 1000
    result = {"floor_ms": round(floor_ms, 1)}
    for name in commands:
        ms = statistics.median(timings[name]) * 1000
        result.update({f"{name}_ms": round(ms, 1), f"{name}_ratio": round(ms / floor_ms, 1)})
    return result


EMPTY_CDK_APP = "import aws_cdk as cdk, tempfile; cdk.App(outdir=tempfile.mkdtemp()).synth()"


def floors(runs: int) -> dict:
    """What this machine does with nothing of napstack: every other figure is also printed as a ratio to these."""
    python_ms = statistics.median(
        _timed(lambda: _run([sys.executable, "-c", "pass"])) * 1000 for _ in range(runs)
    )
    cdk_app_s = statistics.median(_timed(lambda: _run([sys.executable, "-c", EMPTY_CDK_APP])) for _ in range(runs))
    return {"floor_bare_python_ms": round(python_ms, 1), "floor_empty_cdk_app_seconds": round(cdk_app_s, 2)}


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def emulator(config_path: Path, runs: int) -> dict:
    """World set-up and the evening session replayed in this process (wall time, and CPU of every thread)."""
    from napstack.config import load_config
    from napstack.emulator.replay import replay
    from napstack.emulator.scenario import load_scenario
    from napstack.emulator.world import Emulator

    config = load_config(config_path)
    first_setup = _timed(lambda: Emulator(config).__enter__().__exit__(None, None, None))  # imports, models, parses
    setups = [_timed(lambda: Emulator(config).__enter__().__exit__(None, None, None)) for _ in range(runs)]
    event = json.loads((ROOT / "events" / "route53-query-lookup.json").read_text())
    scenario = load_scenario(ROOT / "events" / "scenarios" / "evening-session.yaml")
    walls, cpus, checks = [], [], 0
    for _ in range(runs):
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        checks = replay(config, event, scenario).watchdog_checks
        walls.append(time.perf_counter() - wall_before)
        cpus.append(time.process_time() - cpu_before)
    return {
        "emulator_setup_seconds": round(statistics.median(setups), 2),
        "emulator_first_setup_seconds": round(first_setup, 2),
        "evening_replay_seconds": round(statistics.median(walls), 2),
        "evening_replay_checks": checks,
        "cpu_ms_per_simulated_check": round(statistics.median(cpus) * 1000 / max(checks, 1), 1),
    }


def replay_command_seconds(config_path: Path, runs: int) -> float:
    """`napstack replay` of the evening session in a fresh process, as a user runs it: imports, the world, the first
    parse of each definition, the report (the assembly is already in the cache: the emulator figures built it)."""
    command = [sys.executable, "-m", "napstack", "replay", "events/route53-query-lookup.json", "--config",
               str(config_path), "--scenario", "events/scenarios/evening-session.yaml"]
    return round(median_seconds(command, runs), 2)


SHORT_EVENT = "events/asg-terminate-lifecycle-action.json"  # the hook's stop: 12 state transitions, no watchdog
MOTO_FLOOR = "import boto3, moto"


def short_replay_command(config_path: Path, runs: int) -> dict:
    """`napstack replay` of a short event as a command against `python -c "import boto3, moto"`, the two alternated
    in the same run (hyperfine-like: one warm-up, then the median of at least 5 of each): a replay's cold start
    as a multiple of the imports any moto user pays."""
    replay = [sys.executable, "-m", "napstack", "replay", SHORT_EVENT, "--config", str(config_path)]
    floor = [sys.executable, "-c", MOTO_FLOOR]
    _run(replay)  # the assembly and the definitions' tokens are in the cache, as after a user's first replay
    replays, floors = [], []
    for _ in range(max(runs, 5)):
        floors.append(_timed(lambda: _run(floor)))
        replays.append(_timed(lambda: _run(replay)))
    seconds, floor_seconds = statistics.median(replays), statistics.median(floors)
    return {"short_replay_command_seconds": round(seconds, 2), "floor_import_boto3_moto_seconds": round(floor_seconds, 2),
            "short_replay_command_ratio": round(seconds / floor_seconds, 1)}


def long_session(config_path: Path) -> dict:
    """One session of 2,500 checks with players throughout (the watchdog continues as a new execution once)."""
    from napstack.config import load_config
    from napstack.emulator.replay import replay
    from napstack.emulator.scenario import CheckReport, Scenario

    config = load_config(config_path)
    event = json.loads((ROOT / "events" / "asg-launch-successful.json").read_text())
    scenario = Scenario(checks=[CheckReport(tcp=1, players=1, repeat=LONG_SESSION_CHECKS - config.leaf.watchdog.idle_checks)])
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    checks = replay(config, event, scenario, max_hours=LONG_SESSION_CHECKS).watchdog_checks
    return {"long_session_checks": checks, "long_session_seconds": round(time.perf_counter() - wall_before, 1),
            "long_session_cpu_ms_per_check": round((time.process_time() - cpu_before) * 1000 / max(checks, 1), 1)}


LONG_SESSION_CHECKS = 2500
# Run beside a function's app.py: `invoke()` calls its handler once with every AWS call answered at once (botocore's
# before-call event, as its Stubber answers, in any order). A call without an answer, or an answer never asked for,
# fails the script: a figure is never of an invocation that went another way.
ANSWERING = """
import types
from botocore.awsrequest import AWSResponse
import app
context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=256, aws_request_id="1",
                                invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
                                get_remaining_time_in_millis=lambda: 50_000)
asked = set()
def answer(model, **_):
    asked.add(model.name)
    return AWSResponse(None, 200, {}, None), ANSWERS[model.name]
def invoke():
    for client in CLIENTS():
        client.meta.events.register_first("before-call.*.*", answer, unique_id="napstack-bench")
    app.handler(event, context)
    assert asked == set(ANSWERS), f"asked {sorted(asked)}, answered {sorted(ANSWERS)}"
"""
INVOCATION_SCRIPTS = {
    "count_connections": """
import json
from datetime import datetime
CLIENTS = lambda: [app.client("autoscaling"), app.client("ssm")]
report = json.dumps({"container_running": True, "listening": True, "tcp": 1, "udp_packets": 0, "ssh": 0})
group = {"AutoScalingGroupName": "g", "MinSize": 0, "MaxSize": 1, "DesiredCapacity": 1, "DefaultCooldown": 300,
         "AvailabilityZones": ["us-east-1a"], "HealthCheckType": "EC2", "CreatedTime": datetime(2026, 1, 1),
         "Instances": [{"InstanceId": "i-0abc", "AvailabilityZone": "us-east-1a", "LifecycleState": "InService",
                        "HealthStatus": "Healthy", "ProtectedFromScaleIn": False}]}
ANSWERS = {"DescribeAutoScalingGroups": {"AutoScalingGroups": [group]},
           "SendCommand": {"Command": {"CommandId": "0b7c3d7e-1c43-4a8e-9a77-3d4f3b2f9a10"}},
           "GetCommandInvocation": {"Status": "Success", "StandardOutputContent": report}}
event = {"ExecutionName": "i-0abc", "Now": "2026-01-01T20:05:00+00:00", "InstanceId": "i-0abc",
         "AutoScalingGroupName": "g", "Watch": {"LaunchedAt": "2026-01-01T20:00:00+00:00"},
         "Settings": {"ServerName": "mc", "Protocol": "tcp", "Port": 25565, "UdpPacketThreshold": 10, "CountSsh": True,
                      "IntervalSeconds": 60, "IdleChecks": 10, "MaxFailedChecks": 5, "StartupGraceMinutes": 10,
                      "MaxUptimeHours": 12, "MaxUptimeAction": "alert"}}
""" + ANSWERING,
    "start_server": """
import base64, gzip, json
CLIENTS = lambda: [app.autoscaling]
line = "1.0 2026-01-01T20:00:00.000Z Z0123456789ABC mc.example.com A NOERROR UDP IAD89-C1 198.51.100.7 -"
logs = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/route53/example.com",
        "logStream": "s", "subscriptionFilters": ["f"], "logEvents": [{"id": "1", "timestamp": 0, "message": line}]}
event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(logs).encode())).decode()}}
group = {"AutoScalingGroupName": "g", "DesiredCapacity": 0, "Tags": [{"Key": "napstack:dns-name", "Value": "mc.example.com"}]}
ANSWERS = {"DescribeAutoScalingGroups": {"AutoScalingGroups": [group]}, "SetDesiredCapacity": {},
           "CreateOrUpdateTags": {}}
""" + ANSWERING,
}
WARM_CHECK_SCRIPT = """
import sys
sys.path[:0] = sys.argv[2:]  # the function's folder and functions/shared/, as its asset holds them
""" + INVOCATION_SCRIPTS["count_connections"] + """
import statistics, time
samples = []
for _ in range(int(sys.argv[1]) + 1):  # the first is the cold one
    start = time.perf_counter()
    invoke()
    samples.append(time.perf_counter() - start)
print(statistics.median(samples[1:]) * 1000)
"""


def warm_check_ms(runs: int) -> float:
    """A warm count_connections invocation whose AWS calls are answered at once: handler time with its clients
    created once, as in a reused Lambda environment."""
    from napstack.function_modules import importable

    folder = FUNCTIONS / "count_connections"
    result = _run([sys.executable, "-c", WARM_CHECK_SCRIPT, str(max(runs, 20)), *importable(folder)], cwd=folder, env=LAMBDA_ENV)
    return round(float(result.stdout.strip().splitlines()[-1]), 1)


def asset_bytes(function: str) -> int:
    """The function's code zipped as CDK packages it (no __pycache__, no tests; bundled packages included)."""
    from stacks.lambda_function import code_folder

    folder = Path(code_folder(function))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" and "tests" not in path.parts:
                zipped.write(path, path.relative_to(folder))
    return len(archive.getvalue())


def transitions(config_path: Path) -> dict:
    """State transitions counted from a replayed session: the launch fixture, nobody playing."""
    from napstack.config import load_config
    from napstack.cost import load_prices
    from napstack.emulator.replay import replay

    config = load_config(config_path)
    result = replay(config, json.loads((ROOT / "events" / "asg-launch-successful.json").read_text()))
    start_hook, watchdog, stop_hook = result.executions
    checks = [i for i, state in enumerate(watchdog.states) if state == "CountConnections"]
    per_check = (checks[-1] - checks[0]) / (len(checks) - 1)
    price = load_prices()["global"]["stepfunctions_thousand_transitions"]["usd"] / 1000
    per_hour = per_check * 3600 / config.leaf.watchdog.interval_seconds
    return {
        "watchdog_transitions_per_idle_check": per_check,
        "watchdog_interval_seconds": config.leaf.watchdog.interval_seconds,
        "watchdog_usd_per_server_hour": round(per_hour * price, 6),
        "hook_transitions_per_start": start_hook.transitions,
        "hook_transitions_per_stop": stop_hook.transitions,
    }


def _progress(step: str) -> None:
    """What is being measured now, on stderr: the whole bench takes minutes (the test suite alone runs `runs` times)."""
    print(f"bench: {step}", file=sys.stderr, flush=True)


def measure(runs: int, config: Path, with_tests: bool) -> dict:
    functions = sorted(p.name for p in FUNCTIONS.iterdir() if (p / "app.py").is_file())
    _progress("floors: bare python, an empty CDK app")
    results = floors(runs)
    _progress(f"synth of {config.name} with the CDK CLI, {runs} runs")
    results.update(synth(config, runs))
    _progress("emulator set-up and the evening session (145 checks), in this process and as a command")
    results.update(emulator(config, runs))
    results["replay_command_seconds"] = replay_command_seconds(config, runs)
    _progress(f"a short replay as a command ({SHORT_EVENT}) against python -c \"{MOTO_FLOOR}\", alternated")
    results.update(short_replay_command(config, runs))
    _progress(f"a session of {LONG_SESSION_CHECKS:,} checks")
    results.update(long_session(config))
    if with_tests:
        _progress(f"the whole test suite, {runs} runs (about 2 minutes each here)")
        results["test_suite_seconds"] = round(median_seconds([sys.executable, "-m", "pytest", "-q"], runs), 2)
    _progress("handler cold starts against python -c pass, alternated, and asset sizes")
    results["handler_cold_start"] = {name: handler_cold_start(name, max(runs, 9)) for name in functions}
    results["warm_check_ms"] = warm_check_ms(runs)
    results["function_asset_bytes"] = {name: asset_bytes(name) for name in functions}
    _progress("state transitions per check, start and stop (one replay)")
    results.update(transitions(config))
    return results


def render(results: dict, runs: int, config: Path) -> str:
    python_ms, cdk_s = results["floor_bare_python_ms"], results["floor_empty_cdk_app_seconds"]

    def python_x(seconds: float) -> str:
        return f"{seconds * 1000 / python_ms:.1f}x bare python"

    lines = [f"median of {runs} runs on this machine ({config.name}); x = ratio to a floor measured in the same run:"]
    lines.append(f"  floors                             bare python {python_ms:.1f} ms, empty CDK app {cdk_s:.2f} s")
    lines.append(
        f"  full synth (cdk CLI)               {results['synth_seconds']:.2f} s ({results['synth_seconds'] / cdk_s:.1f}x the empty "
        f"app), peak {results['synth_peak_mib']} MiB"
    )
    setup, evening, long = (results[key] for key in ("emulator_setup_seconds", "evening_replay_seconds", "long_session_seconds"))
    evening_check, long_check = results["cpu_ms_per_simulated_check"], results["long_session_cpu_ms_per_check"]
    first = results["emulator_first_setup_seconds"]
    lines.append(f"  emulator world set-up              {setup:.2f} s ({python_x(setup)}); a process's first {first:.2f} s "
                 f"({python_x(first)}: moto's imports, the handlers' imports, each definition's first parse)")
    lines.append(
        f"  evening replay                     {evening:.2f} s wall ({python_x(evening)}) for {results['evening_replay_checks']} "
        f"checks, {evening_check:.1f} ms of CPU per check ({python_x(evening_check / 1000)})"
    )
    lines.append(f"  replay command (fresh process)     {results['replay_command_seconds']:.2f} s "
                 f"({python_x(results['replay_command_seconds'])}), the evening session")
    lines.append(f"  short replay command               {results['short_replay_command_seconds']:.2f} s "
                 f"({results['short_replay_command_ratio']:.1f}x python -c \"{MOTO_FLOOR}\", "
                 f"{results['floor_import_boto3_moto_seconds']:.2f} s alternated with it; the hook's stop)")
    lines.append(
        f"  long session                       {long:.1f} s wall ({python_x(long)}) for {results['long_session_checks']:,} "
        f"checks, {long_check:.1f} ms of CPU per check ({python_x(long_check / 1000)})"
    )
    if "test_suite_seconds" in results:
        lines.append(
            f"  test suite (pytest, every core)    {results['test_suite_seconds']:.2f} s "
            f"({results['test_suite_seconds'] / cdk_s:.1f}x the empty CDK app)"
        )
    for name, cold in results["handler_cold_start"].items():
        first = (f"; with its first invocation {cold['first_invocation_ms']:.0f} ms ({cold['first_invocation_ratio']:.1f}x)"
                 if "first_invocation_ms" in cold else "")
        lines.append(f"  cold start {name:<23} import app {cold['import_ms']:.0f} ms ({cold['import_ratio']:.1f}x python -c pass, "
                     f"{cold['floor_ms']:.0f} ms alternated with it){first}")
    lines.append(
        f"  warm check (count_connections)     {results['warm_check_ms']:.1f} ms of handler time, AWS answering at once "
        f"({results['warm_check_ms'] / python_ms:.2f}x bare python)"
    )
    for name, size in results["function_asset_bytes"].items():
        lines.append(f"  asset {name:<28} {size:,} bytes")
    lines.append(
        f"  watchdog                           {results['watchdog_transitions_per_idle_check']:g} transitions per idle check, "
        f"${results['watchdog_usd_per_server_hour']:.4f} per server-hour at {results['watchdog_interval_seconds']} s"
    )
    lines.append(
        f"  hook                               {results['hook_transitions_per_start']} transitions per start, "
        f"{results['hook_transitions_per_stop']} per stop"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m napstack.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    os.environ.update(QUIET_ENV)  # also for this process: measuring asset sizes imports the stacks, and jsii starts node
    results = measure(args.runs, args.config, not args.no_tests)
    print(json.dumps({"runs": args.runs, **results}) if args.json else render(results, args.runs, args.config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
