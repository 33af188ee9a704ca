"""`make bench`: medians of repeated runs on this machine. It measures; it does not judge (no thresholds)."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
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


def handler_import_ms(function: str, runs: int) -> float:
    """Cold import of functions/<name>/app.py in a fresh interpreter (-X importtime), Powertools included."""
    samples = []
    for _ in range(runs):
        stderr = _run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=FUNCTIONS / function, env=LAMBDA_ENV).stderr
        (cumulative,) = [int(m) for m in re.findall(r"\|\s*(\d+) \| app$", stderr, re.M)]
        samples.append(cumulative / 1000)
    return round(statistics.median(samples), 1)


def asset_bytes(function: str) -> int:
    """The function's code zipped as CDK packages it (no __pycache__, no tests)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((FUNCTIONS / function).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zipped.write(path, path.relative_to(FUNCTIONS / function))
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
    _progress(f"synth of {config.name} with the CDK CLI, {runs} runs")
    results = {**synth(config, runs)}
    if with_tests:
        _progress(f"the whole test suite, {runs} runs (about 3 minutes each here)")
        results["test_suite_seconds"] = round(median_seconds([sys.executable, "-m", "pytest", "-q"], runs), 2)
    _progress("handler cold imports and asset sizes")
    results["handler_cold_import_ms"] = {name: handler_import_ms(name, runs) for name in functions}
    results["function_asset_bytes"] = {name: asset_bytes(name) for name in functions}
    _progress("state transitions per check, start and stop (one replay)")
    results.update(transitions(config))
    return results


def render(results: dict, runs: int, config: Path) -> str:
    lines = [f"median of {runs} runs on this machine ({config.name}):"]
    lines.append(f"  full synth (cdk CLI)               {results['synth_seconds']:.2f} s, peak {results['synth_peak_mib']} MiB")
    if "test_suite_seconds" in results:
        lines.append(f"  test suite (pytest)                {results['test_suite_seconds']:.2f} s")
    for name, ms in results["handler_cold_import_ms"].items():
        lines.append(f"  cold import {name:<22} {ms:.1f} ms (Powertools included)")
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
    results = measure(args.runs, args.config, not args.no_tests)
    print(json.dumps({"runs": args.runs, **results}) if args.json else render(results, args.runs, args.config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
