"""The `napstack` command leaves the process without tearing every module down: what it printed, its exit code and
its exit handlers must all survive that. Ctrl-C, SIGTERM and SIGKILL: one line, 130 or 143, nothing left behind."""

import contextlib
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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


def start(tmp_path: Path, *args: str, tty: bool = False) -> tuple[subprocess.Popen, int | None]:
    """`napstack ARGS` in a fresh process with its own temp folder and assembly cache; stderr on a terminal if `tty`."""
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "NAPSTACK_CACHE": str(tmp_path / "cache")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    master, slave = pty.openpty() if tty else (None, None)
    process = subprocess.Popen([sys.executable, "-m", "napstack", *args], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=slave if tty else subprocess.PIPE, start_new_session=True)
    if tty:
        os.close(slave)
    return process, master


def wait_for(condition, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


def read_terminal(master: int, seconds: float = 0.1) -> str:
    text = ""
    while select.select([master], [], [], seconds)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        text += chunk.decode(errors="replace")
    return text


def leftovers(tmp_path: Path) -> list[str]:
    cache = tmp_path / "cache" / "assemblies"
    # everything in the temp folder, not only napstack's: jsii's node leaves its jsii-kernel-* when a Ctrl-C reaches it
    return sorted(p.name for p in (tmp_path / "tmp").iterdir()) + sorted(
        p.name for p in (cache.glob(".*") if cache.is_dir() else []))


def stopped(process: subprocess.Popen, signum: int, group: bool = True) -> tuple[int, str]:
    (os.killpg if group else os.kill)(process.pid, signum)
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def bundling(tmp_path: Path) -> bool:
    """A function is being bundled (napstack-<function>-p<pid>-...; napstack-jsii-... is made on import)."""
    return any(not p.name.startswith("napstack-jsii-") for p in (tmp_path / "tmp").glob("napstack-*"))


def staging_folder(tmp_path: Path) -> bool:
    cache = tmp_path / "cache" / "assemblies"
    return cache.is_dir() and any(cache.glob(".*-p*"))


@pytest.mark.parametrize("signum,code,words", [(signal.SIGINT, 130, "interrupted (Ctrl-C)"),
                                               (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_signal_during_a_synth_is_one_line_its_exit_code_and_nothing_left_behind(tmp_path, signum, code, words):
    process, _ = start(tmp_path, "replay", str(ROOT / "events" / "asg-launch-successful.json"))
    wait_for(lambda: staging_folder(tmp_path), "started synthesizing")
    returncode, err = stopped(process, signum, group=signum == signal.SIGINT)  # Ctrl-C reaches node too
    assert returncode == code and err.strip().splitlines() == [f"napstack: {words}: stopped; nothing half-written is left behind"]
    assert not leftovers(tmp_path) and not any((tmp_path / "cache" / "assemblies").iterdir())


def test_ctrl_c_during_a_long_replay_on_a_terminal_is_one_line(tmp_path):
    scenario = tmp_path / "long.yaml"
    scenario.write_text("checks:\n  - {tcp: 1, repeat: 5000}\n")
    process, master = start(tmp_path, "replay", str(ROOT / "events" / "asg-launch-successful.json"), "--scenario",
                            str(scenario), "--max-hours", "200", tty=True)
    seen = []
    wait_for(lambda: seen.append(read_terminal(master)) or "watchdog checks" in "".join(seen), "showed progress", 180)
    assert "replaying: " in "".join(seen)  # the progress line, on a terminal
    os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    rest = read_terminal(master, 1)
    assert process.returncode == 130 and not out
    assert rest.replace("\r\x1b[K", "").strip() == "napstack: interrupted (Ctrl-C): stopped; nothing half-written is left behind"
    assert not leftovers(tmp_path)


def test_a_replay_not_on_a_terminal_shows_no_progress(tmp_path):
    result = subprocess.run([sys.executable, "-m", "napstack", "replay", str(ROOT / "events" / "asg-launch-successful.json")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "replaying:" not in result.stderr + result.stdout and "\x1b" not in result.stdout


def test_ctrl_c_while_a_game_does_not_answer_is_one_line(tmp_path):
    server, accepted = socket.socket(), threading.Event()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(60)

    def accept_and_say_nothing():
        with contextlib.suppress(OSError):
            connection, _ = server.accept()
            accepted.set()
            time.sleep(30)
            connection.close()

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    process, _ = start(tmp_path, "query", "--protocol", "minecraft-java", "--host", "127.0.0.1", "--port",
                       str(server.getsockname()[1]), "--timeout", "30")
    try:
        wait_for(accepted.is_set, "asked the game", 60)
        returncode, err = stopped(process, signal.SIGINT)
    finally:
        server.close()
    assert returncode == 130 and err.strip().splitlines() == [
        "napstack: interrupted (Ctrl-C): stopped; nothing half-written is left behind"]


def test_the_next_run_sweeps_what_a_killed_run_left_behind(tmp_path):
    process, _ = start(tmp_path, "replay", str(ROOT / "events" / "asg-launch-successful.json"))
    wait_for(lambda: staging_folder(tmp_path) and bundling(tmp_path), "bundled a function")
    stopped(process, signal.SIGKILL)
    left = leftovers(tmp_path)
    assert any(name.startswith(".") for name in left) and any(name.startswith("napstack-") for name in left), left
    alive = tmp_path / "tmp" / f"napstack-cdk.out-p{os.getpid()}-x"  # a live process's folder is never swept
    alive.mkdir()
    check, _ = start(tmp_path, "check", str(ROOT / "examples" / "valheim.yaml"))
    assert check.wait(timeout=60) == 0
    assert leftovers(tmp_path) == [alive.name]


def test_help_names_the_command_and_it_works_from_any_folder(tmp_path):
    def napstack(*args):
        return subprocess.run([sys.executable, "-m", "napstack", *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)

    assert napstack("--help").stdout.startswith("usage: napstack ")
    assert napstack("replay", "--help").stdout.startswith("usage: napstack replay ")
    lookup = napstack("dns-lookup-event")  # the default --config: napstack's example, not ./examples/...
    assert lookup.returncode == 0 and "awslogs" in json.loads(lookup.stdout)


def test_ctrl_c_during_the_cdk_app_is_one_line_and_leaves_no_folder(tmp_path):
    """What `cdk synth` runs (app.py): a Ctrl-C at the terminal reaches it and CDK's node process alike."""
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "CDK_OUTDIR": str(tmp_path / "cdk.out"),
           "CDK_CONTEXT_JSON": json.dumps({"config": str(ROOT / "examples" / "minecraft-java.yaml")})}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    wait_for(lambda: bundling(tmp_path), "bundled a function")
    returncode, err = stopped(process, signal.SIGINT)
    assert returncode == 130 and err.strip().splitlines() == [
        "napstack: interrupted (Ctrl-C): stopped; nothing half-written is left behind"]
    assert not list((tmp_path / "tmp").iterdir())  # jsii's node files included


def test_ctrl_c_at_the_very_start_is_one_line_not_an_import_traceback(tmp_path):
    """The command's module loads only the standard library: botocore and the config model load once the signal
    handlers are in place, so a Ctrl-C a tenth of a second after Enter is the same one line as any other."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, napstack.cli; print(sorted(sys.modules))"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    heavy = [name for name in eval(loaded.stdout) if name.split(".")[0] in {"botocore", "boto3", "yaml", "pydantic"}
             or name in {"napstack.config", "napstack.assembly", "napstack.summary", "napstack.reference"}]
    assert loaded.returncode == 0 and heavy == []
    (tmp_path / "tmp").mkdir()
    script = ("import signal, sys, napstack.cli\n"
              "sys.argv = ['napstack', 'check', 'whatever.yaml']\n"
              "import napstack.leftovers\n"  # the interrupt arrives while the command loads what it needs
              "real = __import__\n"
              "def interrupting(name, *args, **kwargs):\n"
              "    if name == 'napstack.config':\n"
              "        signal.raise_signal(signal.SIGINT)\n"
              "    return real(name, *args, **kwargs)\n"
              "import builtins; builtins.__import__ = interrupting\n"
              "napstack.cli.run()\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TMPDIR": str(tmp_path / "tmp"), "NAPSTACK_CACHE": str(tmp_path / "c")})
    assert result.returncode == 130 and result.stderr.strip().splitlines() == [
        "napstack: interrupted (Ctrl-C): stopped; nothing half-written is left behind"]
