"""The `napstack` command leaves the process without tearing every module down: what it printed, its exit code and
its exit handlers must all survive that."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_command(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / "exit-handler-ran"
    script = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
        f"sys.argv = ['napstack', *{list(args)!r}]\n"
        "from napstack.cli import run\n"
        "run()\n"
    )
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60), marker


def test_a_command_prints_everything_and_runs_its_exit_handlers_before_leaving(tmp_path):
    result, marker = run_command(tmp_path, "cost", "examples/valheim.yaml", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instance_type"] == "m5.large"  # the whole document, flushed
    assert marker.read_text() == "ran"


def test_a_failing_command_keeps_its_exit_code_and_its_message(tmp_path):
    result, marker = run_command(tmp_path, "check", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "missing.yaml: cannot read the file" in result.stderr and "Traceback" not in result.stderr
    assert marker.read_text() == "ran"
