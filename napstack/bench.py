"""`make bench`: medians of repeated runs on this machine. It measures; it does not judge (no thresholds)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "examples" / "minecraft-java.yaml"
QUIET_ENV = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env={**os.environ, **QUIET_ENV}, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(runs: int, config: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as outdir:
        synth = ["npx", "--no-install", "cdk", "synth", "--no-notices", "--quiet", "-c", f"config={config}", "-o", outdir]
        return {
            "synth_seconds": round(median_seconds(synth, runs), 2),
            "test_suite_seconds": round(median_seconds([sys.executable, "-m", "pytest", "-q"], runs), 2),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m napstack.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = measure(args.runs, args.config)
    if args.json:
        print(json.dumps({"runs": args.runs, **results}))
    else:
        print(f"median of {args.runs} runs on this machine:")
        print(f"  full synth ({args.config.name}, cdk CLI): {results['synth_seconds']:.2f} s")
        print(f"  test suite (pytest):                  {results['test_suite_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
