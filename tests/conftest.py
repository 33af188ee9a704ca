"""Shared fixtures. No test may reach AWS: fake credentials, no metadata lookups, one synth per example config."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Set before any boto3 or jsii import: nothing here has, or may find, real credentials.
for key, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
}.items():
    os.environ[key] = value
for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(key, None)

from napstack.cli import main  # noqa: E402 (after the environment above)

def napstack_cli(*args: str) -> subprocess.CompletedProcess:
    """`napstack ARGS` run in this process from the repository root (a fresh interpreter per call costs seconds of
    imports and cold caches); exit code, stdout and stderr as a subprocess would give them. A traceback is not
    caught: it fails the test."""
    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse
                code = stop.code
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["napstack", *args], code, out.getvalue(), err.getvalue())


EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "base.yaml")
# The examples' base (example.com, LeafRegion us-east-1): its stacks are named after the zone and the region.
BASE_STACK, START_STACK = "Napstack-Base-ExampleCom-UsEast1", "Napstack-Start-ExampleCom-UsEast1"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    """synthesized(config_file) -> cdk.out folder; each config is synthesized once per session (validation off)."""
    import aws_cdk as cdk

    from napstack.app_builder import build_app
    from napstack.config import load_config

    cache: dict[Path, Path] = {}

    def synth(config_file: Path) -> Path:
        config_file = Path(config_file)
        if config_file not in cache:
            outdir = tmp_path_factory.mktemp(config_file.stem)
            app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
            build_app(load_config(config_file), app).synth()
            cache[config_file] = outdir
        return cache[config_file]

    return synth


@pytest.fixture(scope="session")
def minecraft(synthesized):
    """The minecraft-java assembly as {stack: StackTemplate}."""
    from napstack.assembly import load_assembly

    return load_assembly(synthesized(ROOT / "examples" / "minecraft-java.yaml"))


@pytest.fixture(scope="session")
def leaf(minecraft):
    return minecraft["Napstack-MinecraftJava"]
