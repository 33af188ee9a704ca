"""Synthesize a config's cloud assembly in-process, as `cdk synth` would, and keep it for the next replay.

The emulator replays what deploys: its world is read from this assembly. Synthesizing takes seconds, so each
assembly is kept under the cache folder (NAPSTACK_CACHE, default ~/.cache/napstack), named after a hash of the
config and of every file that shapes the templates; a change to either synthesizes anew.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

from napstack.config import NapstackConfig

ROOT = Path(__file__).resolve().parent.parent
# Everything the templates are made from: the stacks, the state machines, the functions' code, napstack's settings.
SOURCES = ("stacks", "state_machines", "functions", "napstack/config.py", "napstack/settings.py",
           "napstack/app_builder.py", "napstack/asl.py", "napstack/instance_types.json", "cdk.json")


@functools.lru_cache(maxsize=1)
def _sources_digest() -> str:
    digest = hashlib.sha256(version("aws-cdk-lib").encode())
    for source in SOURCES:
        path = ROOT / source
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def cache_folder() -> Path:
    return Path(os.environ.get("NAPSTACK_CACHE") or Path.home() / ".cache" / "napstack") / "assemblies"


def synthesize(config: NapstackConfig, outdir: Path) -> Path:
    """`cdk synth` for `config` into `outdir`, with cdk.json's context, without CloudFormation validation or nag."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # before jsii starts node
    import aws_cdk as cdk

    from napstack.app_builder import build_app

    context = json.loads((ROOT / "cdk.json").read_text()).get("context", {})
    app = cdk.App(outdir=str(outdir), context=context, builtin_cloud_formation_validation=False)
    build_app(config, app, nag=False)
    app.synth()
    return outdir


def assembly_key(config: NapstackConfig) -> str:
    """The same key for the same config and sources, another one when either changes."""
    return hashlib.sha256((_sources_digest() + config.model_dump_json()).encode()).hexdigest()[:24]


def cached_assembly(config: NapstackConfig) -> Path:
    """The config's assembly, synthesized once for these sources and this config."""
    key = assembly_key(config)
    folder = cache_folder() / key
    if (folder / "manifest.json").is_file():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
    except OSError:  # no cache to write to (read-only home): synthesize for this run only
        return synthesize(config, Path(tempfile.mkdtemp(prefix="napstack-cdk.out-")))
    try:
        synthesize(config, staging)
        staging.rename(folder)  # whole or not at all; another process may have won the race
    except OSError:
        if not (folder / "manifest.json").is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
